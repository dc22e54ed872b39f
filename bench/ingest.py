"""Ingestion throughput: POST /api/v1/generations through Django's full request path
(auth, JSON parsing, validation, redaction, rating, settlement, rollups, commit).

    DATABASE_URL=postgres://... python bench/ingest.py [--records 20000] [--batch 1000] [--gzip]

Every record carries four stage payloads of about 1 KB each. Prints records/s and MB/s of
request body.
"""

import argparse
import datetime as dt
import gzip
import json
import multiprocessing
import os
import resource
import statistics
import time
import uuid
from pathlib import Path

import _setup  # noqa: F401, I001 - sets Django up; must come first
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402

from billing.models import Account  # noqa: E402
from billing.settlement import credit  # noqa: E402
from logs.models import Generation, IngestToken  # noqa: E402

ACCOUNT = "2533ACbench000000001"
PROSE = "Summarise the incident report and list the follow-up actions for the on-call team. "


LIVE_START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _created_at(i, spread):
    if spread == "live":
        # A gateway flushing live traffic: createdAt advances a millisecond a record, so a
        # batch of 1,000 covers a second or so of calls.
        when = LIVE_START + dt.timedelta(milliseconds=i)
        return when.isoformat(timespec="milliseconds")
    # A backfill in no particular order: a batch touches ~300 different hours.
    return f"2026-11-{1 + i % 26:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.000+00:00"


def _record(run, i, spread="live"):
    question = (PROSE * 12)[:920]
    answer = (PROSE * 12)[:900]
    return {
        "generationId": f"B{run}{i:09d}",
        "accountId": ACCOUNT,
        "apiKeyId": f"2534AKbench{i % 4:09d}",
        "model": "Anthropic: Claude Sonnet 4",
        "modelSlug": [
            "anthropic/claude-sonnet-4",
            "openai/gpt-4.1",
            "google/gemini-2.5-flash",
            "deepseek/deepseek-chat",
        ][i % 4],
        "providerSlug": ["anthropic", "openai", "google", "deepseek"][i % 4],
        "createdAt": _created_at(i, spread),
        "generationTime": 1800 + i % 900,
        "latency": 400 + i % 300,
        "moderationLatency": 12,
        "streamed": i % 2 == 0,
        "cancelled": False,
        "throughput": "41.20",
        "nativeFeeTokens": {
            "prompt": 1200 + i % 500,
            "completion": 180 + i % 90,
            "input_cache_read": i % 3 * 100,
        },
        "nativeTokens": {"prompt_tokens": 1200, "completion_tokens": 180, "total_tokens": 1380},
        "finishReason": "stop",
        "nativeFinishReason": "end_turn",
        "requestRetryTimes": 0,
        "finalRetry": True,
        "stages": {
            "user_request": {
                "headers": {
                    "content-type": "application/json",
                    "authorization": "Bearer sk-bench-0123456789abcdef",
                },
                "body": {
                    "model": "anthropic/claude-sonnet-4",
                    "max_tokens": 512,
                    "messages": [{"role": "user", "content": question}],
                },
            },
            "origin_request": {
                "headers": {"anthropic-version": "2023-06-01"},
                "body": {
                    "model": "claude-sonnet-4-20250514",
                    "max_tokens": 512,
                    "messages": [{"role": "user", "content": question}],
                },
            },
            "origin_response": {
                "headers": {"content-type": "application/json"},
                "body": {
                    "id": "msg_01",
                    "type": "message",
                    "content": [{"type": "text", "text": answer}],
                    "stop_reason": "end_turn",
                },
            },
            "user_response": {
                "headers": {"content-type": "application/json"},
                "body": {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": answer},
                        }
                    ],
                },
            },
        },
    }


def _post_all(bodies, token, encoding):
    client = Client()
    for body in bodies:
        response = client.post(
            "/api/v1/generations",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_CONTENT_ENCODING=encoding,
        )
        assert response.status_code == 200, response.content[:500]
    connections.close_all()


def _postgres_cpu():
    """CPU seconds used so far by the PostgreSQL server on this host (the postmaster, its
    processes and the backends it has reaped), or None when it runs elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
        row = cursor.fetchone()
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), [int(v) for v in fields[11:15]]  # ppid; utime stime cu cs

    try:
        postmaster = stat(row[0])[0]
        total = sum(stat(postmaster)[1])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(postmaster):
                try:
                    ppid, times = stat(entry.name)
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if ppid == postmaster:
                    total += times[0] + times[1]
    except (TypeError, OSError):
        return None
    return total / tick


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args, token):
    """One measured run: returns (records/s, MB/s, python ms/record, postgres ms/record)."""
    run = uuid.uuid4().hex[:6].upper()
    bodies = []
    for start in range(0, args.records, args.batch):
        end = min(start + args.batch, args.records)
        batch = [_record(run, i, args.spread) for i in range(start, end)]
        bodies.append(json.dumps(batch))
    total_bytes = sum(len(b) for b in bodies)
    if args.gzip:
        bodies = [gzip.compress(b.encode(), compresslevel=6) for b in bodies]
    before = Generation.objects.count()
    pg_before = _postgres_cpu() if connection.vendor == "postgresql" else None
    connections.close_all()  # each process opens its own connection
    shares = [bodies[i :: args.clients] for i in range(args.clients)]
    py_before = _children_cpu()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.clients) as pool:
        encoding = "gzip" if args.gzip else "identity"
        pool.starmap(_post_all, [(share, token, encoding) for share in shares])
    elapsed = time.perf_counter() - started
    py_cpu = _children_cpu() - py_before
    pg_after = _postgres_cpu() if pg_before is not None else None
    created = Generation.objects.count() - before
    assert created == args.records, (created, args.records)
    pg_ms = None if pg_after is None else (pg_after - pg_before) * 1000 / args.records
    return (
        args.records / elapsed,
        total_bytes / 1e6 / elapsed,
        py_cpu * 1000 / args.records,
        pg_ms,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000, help="records per run")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1, help="concurrent posting processes")
    parser.add_argument("--runs", type=int, default=1, help="runs; the median is reported")
    parser.add_argument(
        "--spread",
        choices=["live", "backfill"],
        default="live",
        help="createdAt of live traffic (a batch spans ~1 s) or of a backfill (~300 hours)",
    )
    parser.add_argument(
        "--gzip", action="store_true", help="post batches gzip-compressed (MB/s stays inflated)"
    )
    args = parser.parse_args()
    token = IngestToken.issue(name="bench")[1]
    account, _ = Account.objects.get_or_create(external_id=ACCOUNT, defaults={"name": "Bench"})
    credit(account, "purchased", "1000000")
    stages = _record("X", 0)["stages"].values()
    stage_bytes = sum(len(json.dumps(s["headers"])) + len(json.dumps(s["body"])) for s in stages)
    print(
        f"{connection.vendor}: {args.records:,} records a run in batches of {args.batch} "
        f"from {args.clients} client process(es), {args.spread} createdAt, "
        f"4 stages of ~{stage_bytes // 4} B each (headers + body)"
    )
    results = []
    for number in range(1, args.runs + 1):
        rate, mb, py_ms, pg_ms = _run(args, token)
        results.append(rate)
        pg = "" if pg_ms is None else f", PostgreSQL {pg_ms:.3f}"
        print(
            f"run {number}: {rate:,.0f} records/s, {mb:.1f} MB/s; "
            f"CPU ms per record: Python {py_ms:.3f}{pg}"
        )
    if args.runs > 1:
        print(
            f"median {statistics.median(results):,.0f} records/s "
            f"(min {min(results):,.0f}, max {max(results):,.0f})"
        )


if __name__ == "__main__":
    main()
