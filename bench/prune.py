"""Retention by partition: prune the oldest day of a loaded database while ingestion runs.

    DATABASE_URL=postgres://... python bench/prune.py [--ingest-batch 200]

What a daily prune does, in its three parts, timed apart:
- the oldest whole day goes by dropping its partitions (generations, stages, ratings,
  search text): DETACH ... CONCURRENTLY and DROP TABLE;
- the cutoff's own day is deleted row by row up to the cutoff: with the cron line of the
  README (00:05 UTC) that is the first five minutes of the day, timed here on the next day;
- the filter choices last seen before the cutoff's day are dropped.
Meanwhile another process posts batches to /api/v1/generations non-stop and records each
batch's time: the report gives how many ran during the prune, the slowest, and any error.
Dead tuples are read from pg_stat_user_tables for every remaining partition afterwards.
Destructive: it removes the oldest day of the database it runs against.
"""

import argparse
import datetime as dt
import multiprocessing
import time

import _setup  # noqa: F401, I001 - sets Django up; must come first
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402
from ingest import _record  # noqa: E402

from billing.models import Account  # noqa: E402
from logs.management.commands.prune_generations import Command as Prune  # noqa: E402
from logs.management.commands.prune_generations import drop_unused_facets  # noqa: E402
from logs.models import Generation, IngestToken  # noqa: E402
from zenlogs import partitions  # noqa: E402


def _ingest_forever(token, batch, stop, timings, errors):
    import json

    from django.test import Client

    client = Client()
    run = f"P{int(time.time())}"
    i = 0
    while not stop.is_set():
        records = []
        for _ in range(batch):
            record = _record(run, i)
            record["createdAt"] = timezone.now().isoformat(timespec="milliseconds")
            records.append(record)
            i += 1
        started = time.monotonic()
        response = client.post(
            "/api/v1/generations",
            json.dumps(records),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        took = time.monotonic() - started
        timings.append((time.time() - took, took))
        if response.status_code != 200:
            errors.append(f"{response.status_code} {response.content[:200]!r}")


def _day_count(day):
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return Generation.objects.filter(
        created_at__gte=start, created_at__lt=start + dt.timedelta(days=1)
    ).count()


def _dead_tuples(day):
    """Dead tuples in the partitions of `day` and earlier. (Today's partitions have their
    own: settlement updates an unpaid generation right after inserting it.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname ~ %s "
            "AND right(relname, 8) <= %s",
            [
                r"^(logs_generation|logs_stagepayload|billing_rating|logs_searchtext)_p\d{8}$",
                f"{day:%Y%m%d}",
            ],
        )
        return cursor.fetchone()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingest-batch", type=int, default=200)
    options = parser.parse_args()
    days = partitions.partitions("logs_generation")
    if len(days) < 3:
        raise SystemExit("needs a loaded, partitioned PostgreSQL database")
    # The oldest full day of the demo's window (older days hold the odd imported record,
    # and go in the same prune).
    for _, oldest in days:
        count = _day_count(oldest)
        if count >= 1000:
            break
    _, token = IngestToken.issue(name="prune bench")
    connections.close_all()  # the forked writer must open its own, not share this socket

    manager = multiprocessing.Manager()
    stop, timings, errors = manager.Event(), manager.list(), manager.list()
    writer = multiprocessing.Process(
        target=_ingest_forever, args=(token, options.ingest_batch, stop, timings, errors)
    )
    writer.start()
    while len(timings) < 5:  # ingestion warmed up: imports, price book, partitions made
        time.sleep(0.2)

    dead_before = _dead_tuples(oldest + dt.timedelta(days=1))
    started = time.time()
    dropped, generations = partitions.drop_before(oldest + dt.timedelta(days=1))
    drop_took = time.time() - started

    # The next day's first five minutes, deleted by rows as the daily run at 00:05 would.
    next_day = dt.datetime.combine(oldest + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    cutoff = next_day + dt.timedelta(minutes=5)
    prune = Prune()
    edge_started = time.time()
    edge_rows = 0
    for account_id in Account.objects.order_by("id").values_list("id", flat=True):
        edge_rows += prune._prune(account_id, cutoff, 2000, 0)[0]
    edge_took = time.time() - edge_started
    facets_started = time.time()
    facets = drop_unused_facets(cutoff.date())
    facets_took = time.time() - facets_started
    finished = time.time()

    time.sleep(3)
    stop.set()
    writer.join()
    during = [took for at, took in timings if at + took >= started and at <= finished]
    everything = [took for _, took in timings]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_force_next_flush()" if connection.pg_version >= 150000 else "SELECT 1"
        )
    time.sleep(1)
    print(f"Generations in the database: {Generation.objects.count():,} (oldest day {oldest})")
    print(
        f"Dropped {len(dropped)} days up to {oldest}: {generations:,} generations "
        f"({count:,} on {oldest}) in {drop_took:.2f} s"
    )
    print(f"Cutoff day's first 5 minutes by rows: {edge_rows:,} generations in {edge_took:.2f} s")
    print(f"Filter choices last seen before {cutoff:%Y-%m-%d}: {facets} in {facets_took:.3f} s")
    print(f"Prune total: {finished - started:.2f} s")
    print(
        f"Ingestion: {len(everything)} batches of {options.ingest_batch}, "
        f"{len(during)} during the prune, slowest then {max(during, default=0):.2f} s, "
        f"slowest overall {max(everything, default=0):.2f} s, errors {len(errors)}"
        + (f": {list(errors)[:3]}" if errors else "")
    )
    after = _dead_tuples(oldest + dt.timedelta(days=1))
    print(
        f"Dead tuples in the partitions up to the cutoff's day: {dead_before:,} before, "
        f"{after:,} after (the dropped days' are gone with their files)"
    )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
