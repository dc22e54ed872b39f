"""What every bench script does first: put the project on the path, set Django up the way
production runs (no DEBUG query log), and summarise timings the same way. The page benches
also share how they time a request, sign in and page through the log list, so that their
figures mean the same thing."""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zenlogs.settings")
os.environ.setdefault("DEBUG", "1")  # only so SECRET_KEY may be absent

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
settings.DEBUG = False  # no query log, no debug overhead: measure what production does


def median_p95(samples):
    """(median, p95) of timings, dropping the first run, which warms caches and connections."""
    samples = sorted(samples[1:])
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * (len(samples) - 1)))
    ]


# The helpers below import the project and the test client inside them, not at the top:
# ingest.py, prune.py and storage.py import this module too and need none of it.


def page_bench_arguments(description):
    """The options every page bench takes, so that they all read the same: --runs (timed
    requests per scenario, after one warm-up) and --user (whose first account is measured).
    Returns the parser, for a script to add its own options before parsing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user", default="demo")
    return parser


def log_in(username):
    """(account, client): the user's first account, which the scenarios' own queries read,
    and a test client signed in as them, so that every page is rendered for that account as
    the user would see it."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from billing.accounts import user_accounts

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    return user_accounts(user).first(), client


def timed(call, *args):
    """(milliseconds, result) of one call. Every timed span of the page benches goes through
    here, so that they all start and stop the clock alike."""
    start = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - start) * 1000, result


class Timing(NamedTuple):
    """What time_get measured; unpacks as (median, p95, response, size)."""

    median: float
    p95: float
    response: object  # the last one: what the page showed, for a table's other columns
    size: int | None  # bytes of the body, with read_body


def time_get(client, path, params, runs, *, read_body=False):
    """Server time of GET path?params through the test client: runs + 1 requests, the first
    dropped by median_p95 as a warm-up.

    With read_body, reading the body is timed as well and its size returned: a streamed
    response (the CSV export) does its work only as it is read. A page's body is already
    rendered when the client returns it, so the list benches leave it out of the span."""

    def get():
        response = client.get(path, params)
        if not read_body:
            return response, None
        if response.streaming:
            return response, sum(len(chunk) for chunk in response.streaming_content)
        return response, len(response.content)

    samples = []
    for _ in range(runs + 1):
        elapsed, (response, size) = timed(get)
        # A failed request would time an error page, not the page meant.
        assert response.status_code == 200, (
            path,
            params,
            response.status_code,
            None if response.streaming else response.content[:300],
        )
        samples.append(elapsed)
    return Timing(*median_p95(samples), response, size)


def rows_shown(response):
    """How many generations a log list page shows, counted in its HTML (see older_cursor)."""
    return response.text.count('<tr id="g-')


def older_cursor(response):
    """The cursor of a log list page's Older link, None on the last page. Read from the HTML
    like a browser would: the test client only records template contexts under the test
    runner's instrumentation, which would also slow what is measured."""
    match = re.search(r'href="\?[^"]*cursor=(o[^"&]+)[^"]*" rel="next"', response.text)
    return match.group(1) if match else None


def params_for_page(client, params, page, too_few):
    """params with the cursor of the log list's page `page`, reached through Older links as a
    reader would: a keyset page is only as cheap as the cursor it starts from, so a deep page
    must be measured from a real one. Exits with the message too_few when there are fewer
    pages."""
    params = dict(params)
    for _ in range(page - 1):
        cursor = older_cursor(client.get("/logs/", params))
        if cursor is None:
            raise SystemExit(too_few)
        params["cursor"] = cursor
    return params


def busiest(account, field):
    """The account's most frequent value of this Generation field: as a filter it is the least
    selective one, so a scenario filtering by it reads the most rows."""
    from django.db.models import Count

    from logs.models import Generation

    rows = Generation.objects.filter(account=account).values(field).annotate(n=Count("id"))
    return rows.order_by("-n").first()[field]


def list_state(account, params):
    """(state, query): the log list's state (logs.listing.state) for these parameters, built
    as the view builds it from request.GET, so that a bench can ask what the view decided (the
    search mode, the histogram) without a request. Validated; its queryset is not built yet."""
    from django.http import QueryDict

    from logs.listing.filters import GenerationFilter
    from logs.listing.state import ListState
    from logs.models import Generation

    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    filterset = GenerationFilter(
        query, account=account, queryset=Generation.objects.for_account(account)
    )
    assert filterset.is_valid(), filterset.form.errors
    return ListState(filterset), query
