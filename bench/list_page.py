"""Times the log list through Django's test client (server time: view, queries, template).

    DATABASE_URL=postgres://... python bench/list_page.py [--runs 15] [--user demo]

Scenarios: the first page under the default window; page 50 reached through Older cursors;
each filter alone; all filters together; range=all. Prints median and p95 per scenario.
"""

import argparse
import re
import time

from _setup import median_p95  # noqa: I001 - sets Django up, so it comes first
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from billing.accounts import user_accounts  # noqa: E402
from logs.models import Generation  # noqa: E402


def _time(client, params, runs):
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        response = client.get("/logs/", params)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (params, response.status_code, response.content[:300])
        samples.append(elapsed)
    return (*median_p95(samples), response)


def _older_cursor(response):
    # Read from the page like a browser would: the test client only records contexts under
    # the test runner's instrumentation, which would also slow what is measured.
    match = re.search(r'href="\?[^"]*cursor=(o\d+\.\d+)[^"]*" rel="next"', response.text)
    if match is None:
        raise SystemExit(
            "Too few generations for page 50: load more first, e.g. "
            "manage.py load_demo --count 1000000 --without-payloads"
        )
    return match.group(1)


def _cursor_for_page(client, params, page):
    params = dict(params)
    for _ in range(page - 1):
        response = client.get("/logs/", params)
        params["cursor"] = _older_cursor(response)
    return params


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user", default="demo")
    args = parser.parse_args()

    user = get_user_model().objects.get(username=args.user)
    account = user_accounts(user).first()
    total = Generation.objects.filter(account=account).count()

    def top(field):
        # Facets hold the values; the busiest one makes the filter the least selective.
        rows = Generation.objects.filter(account=account).values(field).annotate(n=Count("id"))
        return rows.order_by("-n").first()[field]

    model, provider, finish = top("model_slug"), top("provider_slug"), top("finish_reason")
    key = account.api_keys.order_by("external_id").first().external_id
    client = Client()
    client.force_login(user)

    scenarios = [
        ("first page, default window (7d)", {}),
        ("page 50 via cursor (7d)", _cursor_for_page(client, {}, 50)),
        (f"model={model}", {"model": model}),
        (f"provider={provider}", {"provider": provider}),
        (f"api_key={key}", {"api_key": key}),
        (f"finish_reason={finish}", {"finish_reason": finish}),
        (
            "request_id (exact)",
            {
                "request_id": Generation.objects.filter(account=account)
                .order_by("created_at")
                .values_list("generation_id", flat=True)
                .first()
            },
        ),
        (
            "all filters together",
            {"model": model, "provider": provider, "api_key": key, "finish_reason": finish},
        ),
        ("range=all", {"range": "all"}),
        ("range=all, page 50 via cursor", _cursor_for_page(client, {"range": "all"}, 50)),
    ]
    vendor = connection.vendor
    print(
        f"{vendor}: {total:,} generations in account {account.external_id}; "
        f"{args.runs} runs each, page_size 50"
    )
    print(f"{'scenario':<52} {'median ms':>10} {'p95 ms':>8} {'rows':>5}")
    for name, params in scenarios:
        median, p95, response = _time(client, params, args.runs)
        rows = response.text.count('<tr id="g-')
        print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {rows:>5}")


if __name__ == "__main__":
    main()
