"""Reading one record: `read_record` on raw JSON bytes (the ingest API's fast path), which
validates it and redacts secrets from every stored string. No database.

    python bench/read_record.py [--runs 7] [--loops 2000]

Two records: the spec's example carrying four realistic stages from tests/payloads (an
OpenAI chat request, an Anthropic request, an Anthropic SSE stream, an OpenAI chat stream;
~13 KB), and bench/ingest.py's record (~4.3 KB). Neither holds a secret except the caller's
key in an Authorization header, so this is the common case redaction must keep cheap.
Prints microseconds per record (the best of the runs: on a shared machine the other
runs measure the neighbours) and, apart, the time of
`might_hold_secret` over the record's bytes.
"""

import argparse
import json
import time
from pathlib import Path

import _setup  # noqa: F401, I001 - sets Django up; must come first
from ingest import _record  # noqa: E402

from logs.ingest.parse import read_record  # noqa: E402
from logs.ingest.redact import might_hold_secret  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = ROOT / "tests" / "payloads"


def _spec_record():
    record = json.loads((ROOT / "logs" / "fixtures" / "spec_example.json").read_text())
    headers = {"content-type": "application/json", "authorization": "Bearer sk-abc0123456789xyz"}
    record["stages"] = {
        "user_request": {
            "headers": headers,
            "body": json.loads((PAYLOADS / "openai_chat_request.json").read_text()),
        },
        "origin_request": {
            "headers": {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-0123456789"},
            "body": json.loads((PAYLOADS / "anthropic_request.json").read_text()),
        },
        "origin_response": {
            "headers": {"content-type": "text/event-stream", "request-id": "req_011CPm"},
            "body": (PAYLOADS / "anthropic_stream.txt").read_text(),
        },
        "user_response": {
            "headers": {"content-type": "text/event-stream"},
            "body": (PAYLOADS / "openai_chat_stream.txt").read_text(),
        },
    }
    return json.dumps(record).encode()


def _per_record_us(call, item, loops, runs):
    samples = []
    for _ in range(runs):
        start = time.process_time()
        for _ in range(loops):
            call(item)
        samples.append((time.process_time() - start) / loops * 1e6)
    return min(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--loops", type=int, default=2000)
    args = parser.parse_args()
    records = {"spec example + payloads": _spec_record()}
    records["bench/ingest.py record"] = json.dumps(_record(0, 1)).encode()
    for name, raw in records.items():
        record, errors = read_record(raw)
        assert not errors, errors
        read = _per_record_us(read_record, raw, args.loops, args.runs)
        check = _per_record_us(might_hold_secret, raw, args.loops * 10, args.runs)
        print(
            f"{name:<26} {len(raw):>6} bytes  read_record {read:7.1f} µs"
            f"  might_hold_secret(record bytes) {check:6.2f} µs"
        )


if __name__ == "__main__":
    main()
