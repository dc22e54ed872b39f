"""Bad input costs little: the wall time, CPU time and peak memory growth of one
POST /api/v1/generations at each of its limits, each in a fresh process.

    python bench/worst_case.py [--cases huge_exponent,many_elements_gzip] [--timeout 300]

Without DATABASE_URL it migrates a throwaway SQLite database under a temporary directory
(SQLite is what a request's parsing and validation cost is measured against; the cases
that store records store them there). Each case's body is built once by this process and
written to a file; a child process then reads it, sends one warm-up request (a tiny valid
record, so the imports and caches of a worker that has served before are in place), notes
its peak resident set size (ru_maxrss), sends the case's request through Django's full
request path (the test client: middleware, token, body, parsing, validation, storage), and
reports the answer, the wall time, the CPU time and how far ru_maxrss rose: the memory the
request made the worker grow by, Python objects, C buffers and all. The body itself is
already in memory before the baseline, as a worker's would be once read.
"""

import argparse
import gzip
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
LIMIT_BYTES = 50 * MB  # INGEST_MAX_BYTES' default
LIMIT_RECORDS = 10_000  # INGEST_MAX_RECORDS'
LIMIT_DEPTH = 64  # INGEST_MAX_DEPTH'
LIMIT_STAGE = 10 * MB  # INGEST_MAX_STAGE_BYTES'


def _record(i, **extra):
    return {
        "generationId": f"WCID{i:07d}",  # the child makes WCID its own: every run stores
        "accountId": "2533ACworst00000001",
        "apiKeyId": "2534AKworst00000001",
        "modelSlug": "openai/gpt-4.1",
        "providerSlug": "openai",
        "createdAt": "2026-11-20T09:00:00.000+00:00",
        "generationTime": 1200,
        "nativeFeeTokens": {"prompt": 100, "completion": 20},
        **extra,
    }


def _with_number(number, **fields):
    """A record whose "@@" values are the bare JSON number text `number`."""
    return json.dumps(_record(0, **fields)).replace('"@@"', number).encode()


def _padded(body, size):
    return body + b" " * (size - len(body))


def _many_records_body(count, size):
    """count records of about size/count bytes each (a user_request stage of prose)."""
    each = size // count
    prose = "Summarise the incident report and list the follow-up actions. " * (each // 60 + 1)
    records = []
    for i in range(count):
        stage = {"headers": {"content-type": "application/json"}, "body": {"text": ""}}
        record = _record(i, stages={"user_request": stage})
        room = each - len(json.dumps(record)) - 2
        stage["body"]["text"] = prose[: max(room, 0)]
        records.append(record)
    return _padded(json.dumps(records).encode(), size)


def _zip_bomb():
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    return b"".join([*(deflater.compress(zeros) for _ in range(100)), deflater.flush()])


def _deep(levels):
    return (
        json.dumps(_record(0, nested="@@"))
        .replace('"@@"', "[" * levels + "1" + "]" * levels)
        .encode()
    )


# name: (what it is, content type, headers, body builder)
CASES = {
    "max_records": (
        f"{LIMIT_RECORDS:,} small valid records (stored)",
        "application/json",
        {},
        lambda: json.dumps([_record(i) for i in range(LIMIT_RECORDS)]).encode(),
    ),
    "max_bytes": (
        "1,000 valid records of ~52 KB each, exactly 50 MB (stored)",
        "application/json",
        {},
        lambda: _many_records_body(1000, LIMIT_BYTES),
    ),
    "max_stage_bytes": (
        "one record with four stages of 10 MB each (JSON string bodies; stored)",
        "application/json",
        {},
        lambda: json.dumps(
            _record(
                0,
                stages={
                    stage: {"headers": {}, "body": "x" * (LIMIT_STAGE - 2)}
                    for stage in (
                        "user_request",
                        "origin_request",
                        "origin_response",
                        "user_response",
                    )
                },
            )
        ).encode(),
    ),
    "max_depth": (
        f"one record nested {LIMIT_DEPTH} levels (accepted)",
        "application/json",
        {},
        lambda: _deep(LIMIT_DEPTH - 2),
    ),
    "past_depth": (
        "50 MB of '[' (refused)",
        "application/json",
        {},
        lambda: b"[" * LIMIT_BYTES,
    ),
    "gzip_bomb": (
        "100 MB of zeros in ~100 KB of gzip (413)",
        "application/json",
        {"HTTP_CONTENT_ENCODING": "gzip"},
        _zip_bomb,
    ),
    "huge_exponent": (
        'the issue\'s 179-byte record, "generationTime": 1e500000 (400)',
        "application/json",
        {},
        lambda: _with_number("1e500000", generationTime="@@"),
    ),
    "huge_exponent_every_field": (
        "1e500000 in generationTime, latency and two nativeFeeTokens items (400)",
        "application/json",
        {},
        lambda: _with_number(
            "1e500000",
            generationTime="@@",
            latency="@@",
            nativeFeeTokens={"prompt": "@@", "completion": "@@"},
        ),
    ),
    "huge_integer": (
        "a 100,000-digit integer literal in latency (400)",
        "application/json",
        {},
        lambda: _with_number("9" * 100_000, latency="@@"),
    ),
    "many_elements_gzip": (
        "the issue's body: [1,1,1,…] of 10M elements, 19 KB of gzip (413)",
        "application/json",
        {"HTTP_CONTENT_ENCODING": "gzip"},
        lambda: gzip.compress(b"[" + b"1," * 9_999_999 + b"1]"),
    ),
    "many_elements_50mb": (
        "[1,1,1,…] of 25M elements, 50 MB plain (413)",
        "application/json",
        {},
        lambda: b"[" + b"1," * (LIMIT_BYTES // 2 - 2) + b"1]",
    ),
    "many_lines_ndjson": (
        "NDJSON of 25M lines '1', 50 MB (413)",
        "application/x-ndjson",
        {},
        lambda: b"1\n" * (LIMIT_BYTES // 2),
    ),
    "chunked_at_limit": (
        "chunked, no Content-Length: a valid record padded to 50 MB (stored)",
        "application/json",
        {"chunked": True},
        lambda: _padded(json.dumps([_record(0)]).encode(), LIMIT_BYTES),
    ),
    "chunked_past_limit": (
        "chunked, no Content-Length: 50 MB + 1 byte (413)",
        "application/json",
        {"chunked": True},
        lambda: _padded(json.dumps([_record(0)]).encode(), LIMIT_BYTES + 1),
    ),
}


def _child(case, body_path, token, trace):
    sys.path.insert(0, str(HERE))
    import _setup  # noqa: F401 - sets Django up
    from django.test import Client

    _, content_type, headers, _ = CASES[case]
    headers = dict(headers)
    # Same length, so a body padded to the limit stays at it.
    body = Path(body_path).read_bytes().replace(b"WCID", b"%04d" % (os.getpid() % 10000))
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    warm = client.post(
        "/api/v1/generations",
        json.dumps(_record(0, generationId=f"WCwarm{os.getpid()}")),
        content_type="application/json",
        **auth,
    )
    assert warm.status_code == 200, warm.content[:300]
    if headers.pop("chunked", False):
        # As gunicorn hands a chunked request over: decoded, without CONTENT_LENGTH.
        extra = {
            "HTTP_TRANSFER_ENCODING": "chunked",
            "CONTENT_LENGTH": "",
            "wsgi.input": io.BytesIO(body),
        }
        send = b""
    else:
        extra, send = {}, body
    if trace:
        tracemalloc.start()
    baseline = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    response = client.post(
        "/api/v1/generations", send, content_type=content_type, **auth, **headers, **extra
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = tracemalloc.get_traced_memory()[1] / MB if trace else None
    tracemalloc.stop()
    answer = response.json()
    summary = answer.get("error") or {k: answer[k] for k in ("created", "duplicate", "rejected")}
    if "results" in answer and answer.get("rejected"):
        summary = answer["error"] if "error" in answer else answer["results"][0]["errors"][0]
    print(
        json.dumps(
            {
                "status": response.status_code,
                "answer": str(summary)[:90],
                "wall_s": round(wall, 3),
                "cpu_s": round(
                    after.ru_utime + after.ru_stime - baseline.ru_utime - baseline.ru_stime, 3
                ),
                "rss_growth_mb": round((after.ru_maxrss - baseline.ru_maxrss) / 1024, 1),
                "rss_peak_mb": round(after.ru_maxrss / 1024, 1),
                "python_peak_mb": None if peak is None else round(peak, 2),
            }
        )
    )


def _setup_database(workdir):
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'worst_case.sqlite3'}"
        subprocess.run(
            [sys.executable, str(HERE.parent / "manage.py"), "migrate", "-v", "0"],
            env=env,
            check=True,
        )
    token = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(HERE)!r}); import _setup; "
            "from logs.models import IngestToken; "
            "print(IngestToken.issue(name='worst case')[1])",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return env, token


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a case may take")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the second, tracemalloc run of each case"
    )
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.body, args.token, args.trace)
        return
    names = args.cases.split(",") if args.cases else list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env, token = _setup_database(workdir)
        print("| case | request | answer | wall s | CPU s | RSS growth MB | Python peak MB |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
        for name in names:
            what = CASES[name][0]
            body_path = workdir / f"{name}.body"
            body = CASES[name][3]()
            body_path.write_bytes(body)
            size = f"{len(body):,} B"
            del body
            # Timed and RSS without tracemalloc, which slows allocation; its peak (Python
            # allocations only) from a second fresh process.
            traces = (False,) if args.no_trace else (False, True)
            runs = [_run_child(name, body_path, token, env, args.timeout, t) for t in traces]
            body_path.unlink()
            plain, traced = runs[0], (runs[1] if len(runs) > 1 else "not measured")
            if isinstance(plain, str):
                print(f"| {name} | {what}, {size} | {plain} | | | | |", flush=True)
                continue
            peak = traced["python_peak_mb"] if isinstance(traced, dict) else traced
            print(
                f"| {name} | {what}, {size} | {plain['status']} {plain['answer']} "
                f"| {plain['wall_s']} | {plain['cpu_s']} | {plain['rss_growth_mb']} | {peak} |",
                flush=True,
            )


def _run_child(name, body_path, token, env, timeout, trace):
    """The child's figures as a dict, or a sentence saying why there are none."""
    command = [sys.executable, __file__, "--child", name, "--body", str(body_path)]
    command += ["--token", token] + (["--trace"] if trace else [])
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"(no answer in {timeout:.0f} s)"
    if done.returncode:
        return f"child failed: {done.stderr[-200:]!r}"
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
