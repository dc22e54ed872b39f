"""Times the live list's polls (live=1, logs/listing/live.py) through Django's test client
(server time: view, queries, template), as static/zenlogs/app.js makes them: the list's URL
with `after` and `sums`, as an htmx request.

    DATABASE_URL=postgres://... python bench/live_poll.py [--runs 21] [--user demo] [--new 3]

A poll reads the rows stamped in the last LOOKBACK (10 minutes) off the list's index, the
id checked in the index. A demo load ends at the time it was made, so first the account's
usual traffic of the last LOOKBACK is stored (its rate over the day before its newest
generation; --no-fill leaves it out): without it every poll would walk an empty range.

Scenarios: the default window (7d), the busiest model, the busiest API key, and cost_min=0
(a numeric bound: the poll walks the time index and checks it row by row). For each, an
empty poll (nothing stored since), then polls that each bring --new generations stored just
before them through the real ingest path (logs.ingest.ingest: validation, rating,
settlement, rollups, facets), into the measured account, matching the scenario's filter.
Only the poll is timed. Prints median and p95 per scenario, the queries one poll runs, and
the rows it brought.
"""

import re
import time
import uuid
from datetime import timedelta

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    busiest,
    log_in,
    median_p95,
    page_bench_arguments,
    timed,
)
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from demo.records import build_records  # noqa: E402
from logs.ingest import ingest  # noqa: E402
from logs.listing.live import LOOKBACK  # noqa: E402
from logs.models import Generation  # noqa: E402

HTMX = {"HTTP_HX_REQUEST": "true"}


def _attr(text, name):
    return re.search(rf'{name}="([^"]*)"', text).group(1)


class Poller:
    """A live page of `params` and its next poll, as app.js keeps them."""

    def __init__(self, client, params):
        self.client, self.params = client, {**params, "live": "1"}
        page = client.get("/logs/", self.params)
        assert page.status_code == 200, page.content[:300]
        self.after = _attr(page.text, "data-live-after")
        self.sums = _attr(page.text, "data-live-sums")

    def poll(self):
        response = self.client.get(
            "/logs/", {**self.params, "after": self.after, "sums": self.sums}, **HTMX
        )
        assert response.status_code == 200, response.content[:300]
        self.after = _attr(response.text, "data-after")
        self.sums = _attr(response.text, "data-live-sums")
        return response


def _new_records(count, account, key, model, provider, spread=timedelta(seconds=1)):
    """`count` records of the account, stamped over the `spread` before now."""
    now = timezone.now()
    records = list(
        build_records(count, now=now, days=1, seed=uuid.uuid4().int % 10**6, with_payloads=False)
    )
    for i, record in enumerate(records):
        record.update(
            generationId=f"BENCH-LIVE-{uuid.uuid4().hex[:20]}",
            accountId=account.external_id,
            createdAt=(now - spread * i / max(count, 1)).isoformat(),
        )
        if model is not None:
            record.update(apiKeyId=key, modelSlug=model, providerSlug=provider)
        record.pop("ratingResponses", None)  # rated on arrival, as most are
    return records


def _fill(account, usual=None):
    """Stores the account's usual traffic of the last LOOKBACK (keys, models as the demo
    mixes them), so that each poll walks as many index entries as it would in production:
    `usual` generations, or its rate over the day before its newest generation, counted off
    the time index."""
    rows = Generation.objects.filter(account=account)
    if usual is None:
        newest = rows.order_by("-created_at", "-id").values_list("created_at", flat=True).first()
        day = rows.filter(created_at__gt=newest - timedelta(days=1), created_at__lte=newest)
        usual = round(day.count() * LOOKBACK / timedelta(days=1))
    recent = rows.filter(created_at__gte=timezone.now() - LOOKBACK).count()
    count = max(0, usual - recent)  # a run just before stored some already
    keys = list(account.api_keys.order_by("external_id").values_list("external_id", flat=True))
    for start in range(0, count, 1000):
        batch = _new_records(min(1000, count - start), account, None, None, None, LOOKBACK)
        for i, record in enumerate(batch):
            record["apiKeyId"] = keys[i % len(keys)]
        assert {o.status for o in ingest(batch)} == {"created"}
    return count


def main():
    parser = page_bench_arguments(__doc__)
    parser.add_argument("--new", type=int, default=3, help="generations per non-empty poll")
    parser.add_argument("--no-fill", action="store_true", help="store no traffic first")
    parser.add_argument(
        "--recent", type=int, help="store traffic until the last LOOKBACK holds this many"
    )
    parser.set_defaults(runs=21)
    args = parser.parse_args()
    account, client = log_in(args.user)
    model, key = busiest(account, "model_slug"), busiest(account, "api_key__external_id")
    provider = (
        Generation.objects.filter(account=account, model_slug=model)
        .values_list("provider_slug", flat=True)
        .first()
    )
    scenarios = [
        ("default window (7d)", {}),
        (f"model={model}", {"model": model}),
        (f"api_key={key}", {"api_key": key}),
        ("cost_min=0", {"cost_min": "0"}),
    ]
    filled = 0 if args.no_fill else _fill(account, args.recent)
    total = Generation.objects.filter(account=account).count()
    recent = Generation.objects.filter(account=account, created_at__gte=timezone.now() - LOOKBACK)
    print(f"stored {filled:,} first: {recent.count():,} of the account's in the last {LOOKBACK}")
    print(
        f"{connection.vendor}: {total:,} generations in account {account.external_id}; "
        f"{args.runs} timed polls per line (after one warm-up), {args.new} new per busy poll"
    )
    # Besides the wall time of each poll: the CPU time this process spent on it (the view,
    # the ORM, the template: what the shared cores' queueing does not inflate) and the time
    # its queries took as the database answered them (EXPLAIN ANALYZE's execution time of the
    # poll's reads is in bench/README.md).
    head = f"{'scenario':<32} {'poll':<6} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7}"
    print(f"{head} {'sql ms':>7} {'queries':>8} {'rows':>5}")
    for name, params in scenarios:
        for busy in (False, True):
            poller = Poller(client, params)
            samples, cpu, sql, rows, queries = [], [], [], 0, 0
            for _ in range(args.runs + 1):
                if busy:
                    outcomes = ingest(_new_records(args.new, account, key, model, provider))
                    assert {o.status for o in outcomes} == {"created"}, outcomes
                before = time.process_time()
                elapsed, response = timed(poller.poll)
                cpu.append((time.process_time() - before) * 1000)
                samples.append(elapsed)
                rows = response.text.count('<tr id="g-')
                if busy:
                    ingest(_new_records(args.new, account, key, model, provider))
                with CaptureQueriesContext(connection) as captured:
                    poller.poll()
                sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
                queries = len(captured.captured_queries)
            median, p95 = median_p95(samples)
            kind = "busy" if busy else "empty"
            print(
                f"{name[:32]:<32} {kind:<6} {median:>10.1f} {p95:>8.1f} "
                f"{median_p95(cpu)[0]:>7.1f} {median_p95(sql)[0]:>7.1f} {queries:>8} {rows:>5}"
            )


if __name__ == "__main__":
    main()
