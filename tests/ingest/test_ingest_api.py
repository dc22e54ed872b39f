"""POST /api/v1/generations at full strength: batches, NDJSON, outcomes, limits,
idempotency under concurrency, durability, redaction."""

import json
import re

import pytest
from django.db import OperationalError, connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Charge, Rating
from logs.models import Generation, HourlyRollup, StagePayload
from tests.factories import at_once, make_record, post_records

pytestmark = pytest.mark.django_db


def test_ndjson_body_is_accepted(client, ingest_token):
    lines = "\n".join(json.dumps(make_record()) for _ in range(3)) + "\n"
    response = post_records(client, ingest_token, lines, "application/x-ndjson")
    assert response.status_code == 200
    assert response.json()["created"] == 3


def test_partly_bad_batch_is_207_with_outcomes_in_input_order(client, ingest_token):
    good1, good2 = make_record(), make_record()
    bad = make_record(latency=-1)
    response = post_records(client, ingest_token, [good1, bad, good2])
    assert response.status_code == 207
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    assert body["results"][1]["errors"][0]["field"] == "latency"
    assert set(Generation.objects.values_list("generation_id", flat=True)) == {
        good1["generationId"],
        good2["generationId"],
    }


def test_duplicates_keep_the_first_write_and_say_whether_content_differed(client, ingest_token):
    record = make_record(finishReason="stop")
    post_records(client, ingest_token, record)
    same = post_records(client, ingest_token, record).json()["results"][0]
    changed = post_records(client, ingest_token, {**record, "finishReason": "length"}).json()
    assert same == {
        "index": 0,
        "generationId": record["generationId"],
        "status": "duplicate",
        "contentDiffers": False,
    }
    assert changed["results"][0]["contentDiffers"] is True
    assert Generation.objects.get().finish_reason == "stop"


def test_a_generation_id_twice_in_one_batch_is_created_once(client, ingest_token):
    record = make_record()
    body = post_records(client, ingest_token, [record, record]).json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate"]
    assert Generation.objects.count() == 1


def test_too_many_records_is_413(client, ingest_token, settings):
    settings.INGEST_MAX_RECORDS = 2
    response = post_records(client, ingest_token, [make_record() for _ in range(3)])
    assert response.status_code == 413
    assert "limit is 2" in response.json()["error"]
    assert Generation.objects.count() == 0


def test_too_large_a_body_is_413(client, ingest_token, settings):
    settings.INGEST_MAX_BYTES = 2000
    response = post_records(client, ingest_token, [make_record() for _ in range(10)])
    assert response.status_code == 413
    assert "larger than 2000 bytes" in response.json()["error"]


def test_deeply_nested_json_is_rejected_cleanly(client, ingest_token):
    deep = '{"generationId": "DEEP", "nested": ' + "[" * 5000 + "]" * 5000 + "}"
    response = post_records(client, ingest_token, deep)
    assert response.status_code == 400
    assert "nested" in response.json()["error"]
    deeper = "[" * 100_000 + "]" * 100_000
    assert post_records(client, ingest_token, deeper).status_code == 400
    assert Generation.objects.count() == 0


def test_a_stage_body_over_the_limit_is_stored_truncated_and_flagged(
    client, ingest_token, settings
):
    settings.INGEST_MAX_STAGE_BYTES = 4096
    text = "data: " + "x" * 10_000 + "\n\n"
    post_records(
        client, ingest_token, make_record(stages={"user_response": {"headers": {}, "body": text}})
    )
    stage = StagePayload.objects.get()
    assert stage.truncated and stage.size_bytes == len(text)
    assert len(stage.body.encode()) == 4096


def test_finish_reasons_are_stored_as_given(client, ingest_token):
    post_records(
        client, ingest_token, make_record(finishReason="SAFETY", nativeFinishReason="Safety")
    )
    generation = Generation.objects.get()
    assert (generation.finish_reason, generation.native_finish_reason) == ("SAFETY", "Safety")


def test_database_unavailable_is_503_with_retry_after_and_writes_nothing(
    client, ingest_token, monkeypatch
):
    real_settle = __import__("logs.ingest.store", fromlist=["settle"]).settle

    def broken(generations, **options):
        real_settle(generations, **options)  # rows are written by now, inside the transaction
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("logs.ingest.store.settle", broken)
    response = post_records(client, ingest_token, [make_record(), make_record()])
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert Generation.objects.count() == 0
    assert Rating.objects.count() == Charge.objects.count() == 0
    assert HourlyRollup.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_eight_clients_posting_the_same_batch_yield_one_row_per_generation(prices, ingest_token):
    batch = [
        make_record(
            generationId=f"SAME{i:03d}",
            stages={
                "user_request": {
                    "headers": {},
                    "body": {"messages": [{"role": "user", "content": "hi"}]},
                }
            },
        )
        for i in range(50)
    ]
    body = json.dumps(batch)

    def post():
        response = post_records(Client(), ingest_token, body)
        return response.status_code, response.json()

    results = at_once(*[post] * 8)
    assert [status for status, _ in results] == [200] * 8
    assert sum(r["created"] for _, r in results) == 50
    assert sum(r["duplicate"] for _, r in results) == 7 * 50
    assert Generation.objects.count() == 50
    assert StagePayload.objects.count() == 50
    assert Rating.objects.count() == 50
    # The rollups counted each generation once too.
    assert (
        sum(HourlyRollup.objects.filter(dimension="all").values_list("requests", flat=True)) == 50
    )


# --------------------------------------------------------------------------- redaction

SECRETS = [
    "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx123456",
    "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-123456",
    "sk-AbCdEfGhIjKlMnOpQrStUvWx1234567890",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123",
]
SECRET_SCAN = re.compile(
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|Bearer\s+(?!\[REDACTED\])\S{8,}"
)


def test_no_secret_reaches_the_database(client, ingest_token, settings):
    settings.REDACT_EXTRA_HEADERS = ["x-internal-token"]
    text = " and ".join(SECRETS)
    record = make_record(
        routingNote=f"retried with {SECRETS[0]}",
        stages={
            "user_request": {
                "headers": {
                    "Authorization": f"Bearer {SECRETS[2]}",
                    "x-api-key": SECRETS[1],
                    "api-key": "azure-key-123",
                    "x-goog-api-key": SECRETS[3],
                    "Cookie": "session=abc",
                    "Proxy-Authorization": "Basic dXNlcjpwYXNz",
                    "X-Internal-Token": "internal-secret-value",
                    "x-debug": f"token {SECRETS[4]}",
                },
                "body": {
                    "messages": [{"role": "user", "content": f"my keys: {text}"}],
                    "metadata": {SECRETS[0]: [SECRETS[3]]},
                },
            },
            "origin_request": {"headers": {"x-api-key": SECRETS[1]}, "body": text},
            "origin_response": {"headers": {"set-cookie": "id=xyz"}, "body": {"echo": text}},
            "user_response": {"headers": {}, "body": f"data: {json.dumps({'c': text})}\n\n"},
        },
    )
    assert post_records(client, ingest_token, record).status_code == 200
    stored = []
    for stage in StagePayload.objects.all():
        stored.append(stage.body)
        stored.append(json.dumps(stage.headers))
    generation = Generation.objects.get()
    stored.append(json.dumps(generation.extra_metadata))
    with connection.cursor() as cursor:  # and the raw rows, whatever the ORM says
        cursor.execute("SELECT body, headers FROM logs_stagepayload")
        stored.extend(str(v) for row in cursor.fetchall() for v in row)
    everything = "\n".join(stored)
    assert not SECRET_SCAN.search(everything), SECRET_SCAN.search(everything)
    for raw in (
        "azure-key-123",
        "session=abc",
        "dXNlcjpwYXNz",
        "internal-secret-value",
        "id=xyz",
        *SECRETS,
    ):
        assert raw not in everything
    headers = StagePayload.objects.get(stage="user_request").headers
    assert headers["Authorization"] == headers["X-Internal-Token"] == "[REDACTED]"
    assert "Bearer [REDACTED]" in headers["x-debug"]
    assert "my keys: [REDACTED] and" in everything


# --------------------------------------------------------------------------- fuzzing

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**20)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "generationId",
    "accountId",
    "apiKeyId",
    "modelSlug",
    "providerSlug",
    "createdAt",
    "generationTime",
    "latency",
    "throughput",
    "nativeFeeTokens",
    "nativeTokens",
    "finishReason",
    "originAmount",
    "billAmount",
    "ratingResponses",
    "stages",
    "streamed",
    "requestRetryTimes",
]


@st.composite
def mangled_records(draw):
    record = make_record()
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        if draw(st.booleans()):
            record.pop(field, None)
        else:
            record[field] = draw(json_values)
    return record


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(mangled_records(), min_size=1, max_size=4),
    noise=st.one_of(st.none(), st.binary(max_size=60), st.text(max_size=60)),
)
def test_random_malformed_input_never_causes_a_5xx_or_partial_rows(
    client, ingest_token, batch, noise
):
    before = Generation.objects.count()
    if noise is not None:
        response = post_records(client, ingest_token, noise)
        assert response.status_code < 500
    response = post_records(client, ingest_token, batch)
    assert response.status_code in (200, 207, 400), response.content
    created = (
        response.json().get("created", 0)
        if response.status_code != 400 or "results" in response.json()
        else 0
    )
    assert Generation.objects.count() == before + created
    # Nothing half-written: every stage, rating and rollup belongs to a stored generation.
    assert not StagePayload.objects.exclude(generation__in=Generation.objects.all()).exists()
    assert not Rating.objects.exclude(generation__in=Generation.objects.all()).exists()
