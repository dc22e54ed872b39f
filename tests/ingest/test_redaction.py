"""Secrets are redacted wherever a record carries them, not only in stage bodies: every
string that is stored and shown (columns, JSON, keys, header names) in both ingest paths,
every key shape a gateway carries, and no ordinary word taken for one."""

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from logs.ingest import ingest
from logs.ingest.redact import REDACTED, might_hold_secret, redact_text
from logs.models import StagePayload
from logs.record.codec import loads
from tests.factories import ACCOUNT_A, EXAMPLE, make_record

pytestmark = pytest.mark.django_db

SK = "sk-or-v1-0123456789abcdef0123456789abcdef"  # OpenRouter
SHORT_SK = "sk-abcdefghijklmnop1234"  # fits the 32- to 64-character fields
# One of each key shape, as (name, secret, the part that must never be stored).
SHAPES = [
    ("openai", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx123456", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("xai", "xai-" + "Ab1" * 20, "Ab1" * 20),
    ("groq", "gsk_" + "Zq9" * 17, "Zq9" * 17),
    ("aws", "AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
    ("google-oauth", "ya29.a0AfH6SMBx-" + "oauth" * 6, "oauth" * 6),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36P",
        "SflKxwRJSMeKKF2QT4fwpMeJf36P",
    ),
    ("basic", "Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
]


def _post(client, ingest_token, record, raw):
    """Stores a record through the API (raw bytes: the msgspec fast path) or through
    ingest() with a parsed object (the parsing path import and load_demo share)."""
    if raw:
        response = client.post(
            "/api/v1/generations",
            json.dumps(record),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
        )
        assert response.status_code == 200, response.content
        assert response.json()["results"][0]["status"] == "created"
    else:
        [outcome] = ingest([loads(json.dumps(record))])
        assert outcome.status == "created", outcome.errors


def _database_text():
    """Every row of every table of the logs and billing apps, as text: whatever the ORM
    would say, a secret must be nowhere."""
    rows = []
    with connection.cursor() as cursor:
        for label in ("logs", "billing"):
            for model in apps.get_app_config(label).get_models():
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
                rows.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(rows)


def _shown_text(client, owner_token, generation_id):
    """What the console, the raw metadata API and both exports show of a generation."""
    shown = []
    detail = f"/logs/{generation_id}/"
    for params in (
        {},
        {"view": "json", "request_stage": "user_request", "response_stage": "user_response"},
        {"view": "json", "request_stage": "origin_request", "response_stage": "origin_response"},
    ):
        response = client.get(detail, params)
        assert response.status_code == 200
        shown.append(response.content.decode())
    for stage in ("user_request", "origin_request", "origin_response", "user_response"):
        shown.append(client.get(f"{detail}raw/{stage}").content.decode())
    api = client.get(
        f"/api/v1/generation?id={generation_id}", HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    )
    assert api.status_code == 200
    shown.append(api.content.decode())
    exported = client.get("/logs/export.csv", {"range": "all"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert any(generation_id in row for row in rows)
    shown.append(json.dumps(rows))
    out = io.StringIO()
    call_command("export_generations", "--account", ACCOUNT_A, stdout=out)
    assert generation_id in out.getvalue()
    shown.append(out.getvalue())
    return "\n".join(shown)


def _with_rating(**rating):
    ratings = json.loads(json.dumps(EXAMPLE["ratingResponses"]))
    ratings.update(rating)
    return ratings


def _stages(headers=None, body=None):
    return {
        "user_request": {"headers": headers or {}, "body": body or {"messages": []}},
        "origin_request": {"headers": {}, "body": {"n": 1}},
        "origin_response": {"headers": {}, "body": "data: {}\n\n"},
        "user_response": {"headers": {}, "body": None},
    }


def _details_with(extra):
    details = json.loads(json.dumps(EXAMPLE["ratingResponses"]["ratingDetails"]))
    details[0].update(extra)
    return details


# Each place a record carries a string that is stored and shown, with an sk- key in it.
PLACES = {
    "model": lambda: make_record(model=f"GPT via {SK}"),
    "finishReason": lambda: make_record(finishReason=SHORT_SK),
    "nativeFinishReason": lambda: make_record(nativeFinishReason=f"x {SHORT_SK}"),
    "nativeFeeTokens item name": lambda: make_record(nativeFeeTokens={"prompt": 10, SHORT_SK: 3}),
    "nativeTokens": lambda: make_record(nativeTokens={SK: {"note": SK}}),
    "extra top-level key": lambda: make_record(**{SK: {"k": SK}}),
    "ratingResponses.serviceCode": lambda: make_record(
        ratingResponses=_with_rating(serviceCode=f"svc-{SK}")
    ),
    "ratingResponses.priceVersion": lambda: make_record(
        ratingResponses=_with_rating(priceVersion=SHORT_SK)
    ),
    "ratingResponses extra key and value": lambda: make_record(
        ratingResponses=_with_rating(**{SK: SK, "note": {"k": SK}})
    ),
    "ratingDetails[].extra": lambda: make_record(
        ratingResponses=_with_rating(ratingDetails=_details_with({"note": SK, SK: 1}))
    ),
    "ratingDetails[].feeItemCode": lambda: make_record(
        ratingResponses=_with_rating(ratingDetails=_details_with({"feeItemCode": SHORT_SK}))
    ),
    "stage header name": lambda: make_record(stages=_stages(headers={SK: "1", "x-ok": "2"})),
    "X-Auth Basic header": lambda: make_record(
        stages=_stages(headers={"X-Auth": "Basic dXNlcjpwYXNz"})
    ),
}
NEVER_STORED = (SK, SHORT_SK, "0123456789abcdef0123456789abcdef", "abcdefghijklmnop1234")


@pytest.mark.parametrize("raw", [True, False], ids=["fast path", "parsed path"])
@pytest.mark.parametrize("place", PLACES)
def test_a_key_in_any_stored_string_is_stored_and_shown_redacted(
    client, owner, owner_token, ingest_token, place, raw
):
    record = PLACES[place]()
    _post(client, ingest_token, record, raw)
    client.force_login(owner)
    stored, shown = _database_text(), _shown_text(client, owner_token, record["generationId"])
    for secret in (*NEVER_STORED, "dXNlcjpwYXNz"):
        assert secret not in stored
        assert secret not in shown
    assert REDACTED in stored


@pytest.mark.parametrize("raw", [True, False], ids=["fast path", "parsed path"])
@pytest.mark.parametrize(("name", "secret", "tail"), SHAPES, ids=[s[0] for s in SHAPES])
def test_every_key_shape_is_redacted_in_headers_bodies_and_metadata(
    client, owner, owner_token, ingest_token, name, secret, tail, raw
):
    record = make_record(
        model=f"model {secret}",
        note={"text": f"key: {secret} end"},
        stages=_stages(
            headers={"x-custom": secret, "x-debug": f"sent {secret}"},
            body={"messages": [{"role": "user", "content": f"my key is {secret}, keep it"}]},
        ),
    )
    record["stages"]["origin_response"]["body"] = f"data: {json.dumps({'k': secret})}\n\n"
    _post(client, ingest_token, record, raw)
    client.force_login(owner)
    stored, shown = _database_text(), _shown_text(client, owner_token, record["generationId"])
    assert tail not in stored
    assert tail not in shown
    body = json.loads(StagePayload.objects.get(stage="user_request").body)
    assert body["messages"][0]["content"].endswith(f"{REDACTED}, keep it")


@pytest.mark.parametrize(
    "hidden",
    [
        "\\u0078ai-" + "Ab1" * 20,  # "x" escaped
        "g\\u0073k_" + "Ab1" * 20,  # "s" escaped
        "gsk\\u005f" + "Ab1" * 20,  # "_" escaped
        "xai\\u002d" + "Ab1" * 20,  # "-" escaped
        "\\u0041KIAIOSFODNN7EXAMPLE",  # "A" escaped
        "AK\\u0049AIOSFODNN7EXAMPLE",  # "I" escaped
        "ya\\u00329.a0AfH6SMBx-" + "Ab1" * 8,  # "2" escaped
        "ya29\\u002ea0AfH6SMBx-" + "Ab1" * 8,  # "." escaped
        "eyJhbGciOiJIUzI1NiJ9.e\\u0079JzdWIiOiIxMjM0NSJ9.Ab1Ab1Ab1",  # "y" escaped
        "eyJhbGciOiJIUzI1NiJ9.ey\\u004azdWIiOiIxMjM0NSJ9.Ab1Ab1Ab1",  # "J" escaped
        "\\u0042asic dXNlcjpwYXNz",  # "B" escaped
        "basi\\u0063 dXNlcjpwYXNz",  # "c" escaped
        "Basic\\u0020dXNlcjpwYXNz",  # the space escaped
        "Basic\\tdXNlcjpwYXNz",  # a tab
        "Basic dXNlcj\\u0070wYXNz",  # a character of the credentials escaped
    ],
)
def test_a_new_key_shape_spelled_with_json_escapes_is_still_redacted(owner, hidden):
    record = make_record()
    record["stages"] = {"user_request": {"headers": {}, "body": {"content": "HIDDEN"}}}
    raw = json.dumps(record).replace("HIDDEN", f"key {hidden} end").encode()
    [outcome] = ingest([raw])
    assert outcome.status == "created"
    content = json.loads(StagePayload.objects.get().body)["content"]
    assert content.startswith("key ") and content.endswith(" end")
    assert REDACTED in content
    assert not any(tail in content for tail in ("Ab1Ab1", "SFODNN7", "dXNlcj"))


@pytest.mark.parametrize("field", ["generationId", "accountId", "apiKeyId", "modelSlug"])
def test_an_identifier_that_is_a_key_is_refused_naming_the_field(client, ingest_token, field):
    record = make_record(**{field: SHORT_SK})
    response = client.post(
        "/api/v1/generations",
        json.dumps([record, make_record()]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
    )
    assert response.status_code == 207
    rejected, created = response.json()["results"]
    assert rejected["status"] == "rejected" and created["status"] == "created"
    assert rejected["errors"] == [
        {"field": field, "message": "looks like a secret key; send an identifier, never a key"}
    ]
    assert SHORT_SK not in _database_text()


ORDINARY = [
    "task-0123456789abcdefghijklmnop",
    "ask-me-anything-about-this-topic-please",
    "disk-usage-report-for-all-the-nodes",
    "gpt-4o",
    "grok-4",
    "xai/grok-4-fast-reasoning",
    "llama-3.1-8b-instant",
    "meta-llama/llama-3.3-70b-versatile",
    "Basic information about everything",
    "basic understanding of the settings and features",
    'Basic realm="gateway"',
    "the github_repository_name_and_the_branch",
    "hf_transfer is enabled",
    "eyJ is how base64 of a JSON object starts",
    "AKIA is an AWS prefix",
    "mask-0123456789abcdefghij and flask-0123456789abcdefghij",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_not_taken_for_a_key(text):
    assert redact_text(text) == text


def test_ordinary_text_is_stored_as_sent_and_a_resent_record_stays_a_duplicate(owner):
    text = " | ".join(ORDINARY)
    record = make_record(
        model="llama-3.1-8b-instant",
        finishReason="stop",
        note=text,
        stages=_stages(headers={"x-note": text}, body={"content": text}),
    )
    raw = json.dumps(record).encode()
    assert [o.status for o in ingest([raw])] == ["created"]
    stage = StagePayload.objects.get(stage="user_request")
    assert json.loads(stage.body) == {"content": text}
    assert stage.headers == {"x-note": text}
    again, parsed = ingest([raw]), ingest([json.loads(raw)])
    assert [(o.status, o.content_differs) for o in again + parsed] == [("duplicate", False)] * 2


def test_the_cheap_check_lets_ordinary_bodies_skip_the_patterns():
    # Most bodies must take the fast path: nothing in them a pattern could match.
    for text in (
        "gpt-4o",
        "grok-4",
        "xai/grok-4-fast-reasoning",
        "llama-3.1-8b-instant",
        "Basic information about everything",
        "basic understanding of the settings and features",
        '{"max_tokens": 512, "finish_reason": "end_turn", "input_cache_read": 0}',
    ):
        assert not might_hold_secret(text.encode())
        assert not might_hold_secret(text)
    assert not might_hold_secret(b'{"content": "R\\u00e9sum\\u00e9 \\u003cb\\u003e"}')
    assert might_hold_secret(b'{"k": "Basic dXNlcjpwYXNz"}')
