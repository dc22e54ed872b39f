"""Server time of the details page with 5 MB of stage payloads.

    DATABASE_URL=postgres://... python bench/detail_page.py [--runs 20]

Stores one generation (id BENCH-DETAIL-5MB, in the demo account) whose four stages total
about 5 MB of realistic JSON and SSE, then times GET /logs/<id>/ in Pretty mode (its answer
rendered as Markdown, and as raw text) and JSON mode through Django's test client. Prints
median and p95.
"""

import argparse
import json
import time

from _setup import median_p95  # noqa: I001 - sets Django up, so it comes first
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from billing.accounts import user_accounts  # noqa: E402
from logs.ingest import ingest  # noqa: E402
from logs.models import Generation  # noqa: E402

GENERATION_ID = "BENCH-DETAIL-5MB"
CODE = "```python\ndef handler(event):\n    return {'status': 200, 'body': event}\n```\n"


def _messages(total_bytes):
    messages, size, i = [], 0, 0
    while size < total_bytes:
        role = "user" if i % 2 == 0 else "assistant"
        content = f"Turn {i}: " + ("The quarterly report shows growth. " * 40) + CODE
        messages.append({"role": role, "content": content})
        size += len(content) + 40
        i += 1
    return messages


def _stages():
    chat = {"model": "anthropic/claude-sonnet-4", "messages": _messages(2_000_000)}
    anthropic = {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 4096,
        "system": "You are a careful analyst.",
        "messages": _messages(2_000_000)[1:],
    }
    reply = "Here is the summary. " * 4000 + CODE
    chunks = [reply[i : i + 40] for i in range(0, len(reply), 40)]
    sse = "".join(
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": c}}]}) + "\n\n"
        for c in chunks
    )
    sse += "data: [DONE]\n\n"
    response = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [{"type": "text", "text": reply * 18}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 500000, "output_tokens": 12000},
    }
    return {
        "user_request": {"headers": {"content-type": "application/json"}, "body": chat},
        "origin_request": {"headers": {"anthropic-version": "2023-06-01"}, "body": anthropic},
        "origin_response": {"headers": {}, "body": response},
        "user_response": {"headers": {"content-type": "text/event-stream"}, "body": sse},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--user", default="demo")
    args = parser.parse_args()
    user = get_user_model().objects.get(username=args.user)
    account = user_accounts(user).first()
    key = account.api_keys.first()
    Generation.objects.filter(generation_id=GENERATION_ID).delete()
    record = {
        "generationId": GENERATION_ID,
        "accountId": account.external_id,
        "apiKeyId": key.external_id,
        "modelSlug": "anthropic/claude-sonnet-4",
        "providerSlug": "anthropic",
        "createdAt": "2025-08-22T02:49:18.000+00:00",
        "nativeFeeTokens": {"prompt": 500000, "completion": 12000},
        "stages": _stages(),
    }
    outcome = ingest([record])[0]
    assert outcome.status == "created", outcome.as_dict()
    generation = Generation.objects.get(generation_id=GENERATION_ID)
    sizes = dict(generation.stages.values_list("stage", "size_bytes"))
    client = Client()
    client.force_login(user)
    print(
        f"{connection.vendor}: stage bytes {sizes} = {sum(sizes.values()):,} total; "
        f"display limit {settings.DETAIL_MAX_BODY_BYTES:,} bytes per body"
    )
    for params in (
        {},
        {"text": "raw"},
        {"view": "json"},
        {"view": "json", "request_stage": "origin_request", "response_stage": "origin_response"},
    ):
        samples = []
        for _ in range(args.runs + 1):
            start = time.perf_counter()
            response = client.get(f"/logs/{GENERATION_ID}/", params)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        median, p95 = median_p95(samples)
        label = "&".join(f"{k}={v}" for k, v in params.items()) or "view=pretty (default)"
        print(
            f"{label:<70} median {median:7.1f} ms   p95 {p95:7.1f} ms"
            f"   page {len(response.content):,} bytes"
        )
    generation.delete()


if __name__ == "__main__":
    main()
