"""Data builders for tests: records in the gateway's raw metadata shape, stored through the
same ingest path the API uses."""

import copy
import itertools
import json
import threading
from datetime import UTC, datetime, timedelta

from django.db import connection

from demo.records import SPEC_EXAMPLE_PATH
from logs.ingest import ingest
from logs.models import Generation
from logs.record.codec import loads

EXAMPLE_TEXT = SPEC_EXAMPLE_PATH.read_text()
EXAMPLE = json.loads(EXAMPLE_TEXT)

ACCOUNT_A = "2533AC0Q5MIe14613672"
ACCOUNT_B = "2533ACzzOTHER0000001"
KEY_A = "2534AKkA4Nqn14642786"
KEY_B = "2534AKzzOTHER0000001"

_ids = itertools.count(1)


def example_record():
    """The spec's example, numbers as Decimal, as a gateway would post it."""
    return loads(EXAMPLE_TEXT)


def make_record(**overrides):
    """A valid record without ratingResponses (so it is rated on arrival)."""
    n = next(_ids)
    record = {
        "generationId": f"GEN{n:012d}",
        "accountId": ACCOUNT_A,
        "apiKeyId": KEY_A,
        "model": "Anthropic: Claude Sonnet 4",
        "modelSlug": "anthropic/claude-sonnet-4",
        "providerSlug": "anthropic",
        "createdAt": (datetime.now(UTC) - timedelta(minutes=n % 600)).isoformat(),
        "generationTime": 1200,
        "latency": 400,
        "moderationLatency": 0,
        "streamed": False,
        "cancelled": False,
        "throughput": "41.20",
        "nativeFeeTokens": {"prompt": 1000, "completion": 50},
        "finishReason": "stop",
        "nativeFinishReason": "end_turn",
        "requestRetryTimes": 0,
        "finalRetry": True,
    }
    for key, value in overrides.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = copy.deepcopy(value)
    return record


def store(*records):
    outcomes = ingest(list(records))
    bad = [o.as_dict() for o in outcomes if o.status != "created"]
    assert not bad, bad
    ids = [r["generationId"] for r in records]
    found = {g.generation_id: g for g in Generation.objects.public_ids(ids)}
    return [found[i] for i in ids]


def make_generation(**overrides):
    return store(make_record(**overrides))[0]


def post_records(client, token, body, content_type="application/json"):
    """POST /api/v1/generations with an ingest token; body as JSON-able data or text."""
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    return client.post(
        "/api/v1/generations", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def at_once(*calls):
    """Runs each call in a thread of its own, all released together, as gunicorn's workers
    and threads would (each thread its own database connection): their results, in the order
    given. What any of them raised fails the test once all have ended."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - raised in the test's thread, below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results
