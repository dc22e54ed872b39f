"""OTLP ingestion throughput: the OpenTelemetry SDK's OTLP/HTTP protobuf exporter, from
several processes, posting GenAI spans with message content to /v1/traces on gunicorn
(auth, protobuf decoding, mapping, validation, redaction, rating, rollups, search text).

    DATABASE_URL=postgres://... python bench/otlp.py [--spans 20000] [--batch 512]
        [--clients 2] [--workers 2] [--port 8765]

Each span is a chat call with ~1 KB of input and ~0.5 KB of output messages as JSON
attributes, the way the official instrumentations send them with content capture on. The
spans are built before the clock starts; the figure is spans stored per second.
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import _setup  # noqa: F401, I001 - sets Django up; must come first
from django.db import connections  # noqa: E402
from ingest import _postgres_cpu  # noqa: E402 - bench/ingest.py's PostgreSQL CPU reading

from billing.models import Account  # noqa: E402
from logs.models import Generation, IngestToken  # noqa: E402

ACCOUNT = "2533ACotlpbench00001"
ROOT = Path(__file__).resolve().parent.parent
PROSE = "Summarise the incident report and list the follow-up actions for the on-call team. "


def _spans(count, client):
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"bench-{client % 4}"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    question = (PROSE * 12)[:1000]
    answer = (PROSE * 6)[:500]
    models = ["gpt-4o-mini", "gpt-4.1", "gpt-5-mini", "o4-mini"]
    for i in range(count):
        with tracer.start_as_current_span(f"chat {models[i % 4]}") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": models[i % 4],
                    "gen_ai.usage.input_tokens": 250 + i % 100,
                    "gen_ai.usage.output_tokens": 120,
                    "gen_ai.response.finish_reasons": ["stop"],
                    "gen_ai.input.messages": json.dumps(
                        [
                            {
                                "role": "user",
                                "parts": [{"type": "text", "content": f"{i} {question}"}],
                            }
                        ]
                    ),
                    "gen_ai.output.messages": json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [{"type": "text", "content": answer}],
                                "finish_reason": "stop",
                            }
                        ]
                    ),
                }
            )
    return memory.get_finished_spans()


def _client(args, token, client, ready, go, results):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    spans = _spans(args.spans // args.clients, client)
    exporter = OTLPSpanExporter(
        endpoint=f"http://127.0.0.1:{args.port}/v1/traces",
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    ready.wait()
    go.wait()
    cpu = time.process_time()
    for start in range(0, len(spans), args.batch):
        result = exporter.export(spans[start : start + args.batch])
        assert result == SpanExportResult.SUCCESS
    # The exporter's own CPU (encoding, HTTP), not the building of the spans before the clock.
    results.put((time.perf_counter(), time.process_time() - cpu))


def _warm_up(args, token):
    """A few one-span exports before the clock, so that each gunicorn worker has imported
    what a request needs and opened its database connection: a start-up cost, not a span's.
    Sequential requests are spread over the workers by the kernel, so several go."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(
        endpoint=f"http://127.0.0.1:{args.port}/v1/traces",
        headers={"Authorization": f"Bearer {token}"},
    )
    for _ in range(4 * args.workers):
        exporter.export(_spans(1, 99))
    exporter.shutdown()


def _workers_cpu(master):
    """CPU seconds the gunicorn workers (the master's children) have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _database_backends_cpu():
    """{pid: CPU seconds} of the PostgreSQL backends connected to this database (the gunicorn
    workers' connections, which outlive a request): the database's share of the work, apart
    from whatever else the host's PostgreSQL is doing for other databases."""
    tick = os.sysconf("SC_CLK_TCK")
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=512, help="the SDK's default batch")
    parser.add_argument("--clients", type=int, default=2, help="exporter processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    account, _ = Account.objects.get_or_create(external_id=ACCOUNT, defaults={"name": "OTLP"})
    token = IngestToken.issue(name="otlp bench", account=account)[1]
    connections.close_all()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "*"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "zenlogs.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{args.port}", "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        _warm_up(args, token)
        before = Generation.objects.filter(account=account).count()
        context = multiprocessing.get_context("fork")
        ready = context.Barrier(args.clients + 1)
        go = context.Event()
        results = context.Queue()
        processes = [
            context.Process(target=_client, args=(args, token, n, ready, go, results))
            for n in range(args.clients)
        ]
        for process in processes:
            process.start()
        ready.wait()  # every client has built its spans
        load = os.getloadavg()
        server_before, pg_before = _workers_cpu(server.pid), _postgres_cpu()
        backends_before = _database_backends_cpu()
        started = time.perf_counter()
        go.set()
        ends = [results.get() for _ in processes]
        for process in processes:
            process.join()
        elapsed = max(end for end, _ in ends) - started
        server_ms = (_workers_cpu(server.pid) - server_before) * 1000
        backends_after = _database_backends_cpu()
        pg_after = _postgres_cpu()
        pg_ms = None if pg_before is None else (pg_after - pg_before) * 1000
        backends_ms = 1000 * sum(
            cpu - backends_before.get(pid, 0) for pid, cpu in backends_after.items()
        )
        clients_ms = 1000 * sum(cpu for _, cpu in ends)
        stored = Generation.objects.filter(account=account).count() - before
        pg = "" if pg_ms is None else f" (all of PostgreSQL {pg_ms / stored:.2f})"
        print(
            f"{connections['default'].vendor}: {stored:,} GenAI spans stored in {elapsed:.1f} s "
            f"= {stored / elapsed:,.0f} spans/s ({args.clients} exporter processes, batches of "
            f"{args.batch}, {args.workers} gunicorn workers); CPU ms per span: gunicorn workers "
            f"{server_ms / stored:.2f}, this database's backends {backends_ms / stored:.2f}{pg}, "
            f"exporters {clients_ms / stored:.2f}; load average before {load[0]:.1f} "
            f"{load[1]:.1f} {load[2]:.1f}"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
