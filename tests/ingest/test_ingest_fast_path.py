"""The ingest fast path (records read as raw JSON, stage bodies kept as text) stores exactly
what the parsing path stores, and never lets escaping hide a secret or nesting."""

import gc
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Rating
from logs.ingest import ingest
from logs.models import Generation, StagePayload
from logs.record.codec import json_depth
from tests.factories import make_record, post_records

pytestmark = pytest.mark.django_db

STAGES = {
    "user_request": {
        "headers": {"content-type": "application/json", "authorization": "Bearer abcdefgh123"},
        "body": {
            "model": "anthropic/claude-sonnet-4",
            "temperature": 0.70,
            "messages": [{"role": "user", "content": "Grüße <b>bold</b>\nline two"}],
        },
    },
    "origin_request": {"headers": {}, "body": [1, 2.50, {"a": None}]},
    "origin_response": {"headers": {}, "body": 'data: {"x": 1}\n\ndata: [DONE]\n\n'},
    "user_response": {"headers": {"x-trace": "t-1"}, "body": None},
}


def _stored(generation_id):
    generation = Generation.objects.get(generation_id=generation_id)
    stages = {
        s.stage: (s.headers, s.body, s.body_format, s.size_bytes, s.truncated)
        for s in StagePayload.objects.filter(generation=generation)
    }
    return generation, stages


def test_raw_and_parsed_records_store_the_same_rows_and_hash(owner):
    record = make_record(stages=STAGES, customTag={"team": "search"})
    # Whitespace the fast path must not keep; UTF-8 as sent (escapes are kept as sent).
    raw = json.dumps(record, indent=2, ensure_ascii=False).encode()
    [outcome] = ingest([raw])
    assert outcome.status == "created"
    generation, stages = _stored(record["generationId"])

    # The same record, parsed: a duplicate whose content does not differ...
    [again] = ingest([json.loads(raw)])
    assert again.status == "duplicate" and again.content_differs is False
    # ...and, under another id, the same stored stages.
    twin = dict(record, generationId=record["generationId"] + "T")
    ingest([twin])
    twin_generation, twin_stages = _stored(twin["generationId"])
    assert twin_stages == stages
    assert (
        twin_generation.extra_metadata
        == generation.extra_metadata
        == {"customTag": {"team": "search"}}
    )

    headers, body, body_format, size, truncated = stages["user_request"]
    assert headers["authorization"] == "[REDACTED]"
    assert body_format == "json" and not truncated and size == len(body.encode())
    assert json.loads(body)["messages"][0]["content"] == "Grüße <b>bold</b>\nline two"
    assert "\n" not in body  # stored on one line
    assert stages["origin_request"][1] == '[1, 2.5, {"a": null}]'
    assert stages["origin_response"][2] == "text"
    assert stages["user_response"][1:3] == ("", "none")


def test_a_changed_body_is_content_that_differs(owner):
    record = make_record(stages=STAGES)
    ingest([json.dumps(record).encode()])
    changed = json.loads(json.dumps(record))
    changed["stages"]["origin_request"]["body"] = [1, 2.5, {"a": None}, 4]
    [outcome] = ingest([json.dumps(changed).encode()])
    assert outcome.status == "duplicate" and outcome.content_differs is True


@pytest.mark.parametrize(
    "hidden",
    [
        "\\u0073k-ant-abcdefghijklmnop",  # "s" escaped
        "sk\\u002dproj-abcdefghijklmnop",  # "-" escaped
        "B\\u0065arer abcdefghijklmnop",  # "e" escaped
        "\\u0041Iza0123456789abcdefghijklmnop",  # "A" escaped
        "s\\u006B-abcdefghijklmnopqrstu",  # "k" escaped, upper-case hex
        "\\u007al_ingest_abcdefghijklmnopqrstu",  # "z" escaped
        "zl\\u005fpat_abcdefghijklmnopqrstu",  # "_" escaped
        "BEAR\\u0045R abcdefghijklmnop",  # "E" escaped, any case
    ],
)
def test_a_secret_spelled_with_json_escapes_is_still_redacted(owner, hidden):
    record = make_record()
    record["stages"] = {"user_request": {"headers": {}, "body": {"content": "HIDDEN"}}}
    raw = json.dumps(record).replace("HIDDEN", f"key {hidden} end").encode()
    [outcome] = ingest([raw])
    assert outcome.status == "created"
    body = json.loads(StagePayload.objects.get().body)["content"]
    assert "[REDACTED]" in body
    assert "abcdefghijklmnop" not in body


def test_many_brackets_are_not_deep_nesting_but_deep_nesting_is_rejected(owner, settings):
    settings.INGEST_MAX_DEPTH = 64
    wide = make_record(
        stages={
            "user_request": {
                "headers": {},
                "body": {"items": [{"n": [i]} for i in range(200)], "text": "[[[[" * 40},
            }
        }
    )
    [outcome] = ingest([json.dumps(wide).encode()])
    assert outcome.status == "created"

    deep_body = {}
    node = deep_body
    for _ in range(70):
        node["x"] = {}
        node = node["x"]
    deep = make_record(stages={"user_request": {"headers": {}, "body": deep_body}})
    [outcome] = ingest([json.dumps(deep).encode()])
    assert outcome.status == "rejected"
    assert "nested more than 64 levels" in outcome.errors[0]["message"]
    assert not Generation.objects.filter(generation_id=deep["generationId"]).exists()


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": "[[[{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth(b"[]") == 1
    assert json_depth(b'"just [text]"') == 0
    assert json_depth(b"[" * 50 + b"]" * 50) == 50


def test_a_line_separator_inside_an_ndjson_string_does_not_split_the_line(client, ingest_token):
    record = make_record(model="Model\u2028Name\u0085X")
    body = json.dumps(record, ensure_ascii=False) + "\n"
    response = post_records(client, ingest_token, body.encode(), "application/x-ndjson")
    assert response.status_code == 200, response.content
    assert Generation.objects.get().model_name == "Model\u2028Name\u0085X"


def test_ingest_leaves_the_cycle_collector_as_it_found_it(owner, monkeypatch):
    assert gc.isenabled()
    ingest([json.dumps(make_record()).encode()])
    assert gc.isenabled()

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("logs.ingest.store._store", fail)
    with pytest.raises(RuntimeError):
        ingest([make_record()])
    assert gc.isenabled()

    gc.disable()
    try:
        monkeypatch.undo()
        ingest([make_record()])
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.django_db(transaction=True)
def test_migration_moves_rating_detail_rows_into_the_rating():
    before = [("billing", "0005_ingest_without_child_constraints")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldRating = old.get_model("billing", "Rating")
    OldDetail = old.get_model("billing", "RatingDetail")
    # Its generation too: later migrations place a rating by its generation's account and
    # time (billing 0010).
    account = old.get_model("billing", "Account").objects.create(external_id="acct-mig")
    key = old.get_model("logs", "ApiKey").objects.create(external_id="key-mig", account=account)
    old.get_model("logs", "Generation").objects.create(
        id=424242,
        generation_id="gen-mig",
        account=account,
        api_key=key,
        model_slug="anthropic/claude-sonnet-4",
        provider_slug="anthropic",
        created_at=datetime(2025, 9, 1, tzinfo=UTC),
    )
    rating = OldRating.objects.create(
        generation_id=424242,
        price_version="0.0.3",
        origin_amount=Decimal("0.051006"),
        discount_amount=0,
        bill_amount=Decimal("0.051006"),
    )
    for position, code, rate, amount, extra in (
        (1, "completion", "15", "0.001425", {}),
        (0, "prompt", "3", "0.049581", {"tier": "base"}),
    ):
        OldDetail.objects.create(
            rating=rating,
            position=position,
            fee_item_code=code,
            rate=Decimal(rate),
            origin_amount=Decimal(amount),
            discount_amount=0,
            bill_amount=Decimal(amount),
            extra=extra,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    details = Rating.objects.get(pk=424242).details
    assert [d["fee_item_code"] for d in details] == ["prompt", "completion"]
    assert details[0]["bill_amount"] == Decimal("0.049581")
    assert details[0]["extra"] == {"tier": "base"}
    assert "extra" not in details[1]
    assert Decimal(details[1]["rate"]) == 15


def test_a_batch_mixing_stored_and_new_ids_stores_only_the_new_whole(client, ingest_token):
    # On PostgreSQL the batch is first COPYed straight in; a stored id makes that attempt
    # fail and the batch falls back to INSERT ... ON CONFLICT DO NOTHING. Nothing of the
    # failed attempt may remain, and the new records must be stored with all their rows.
    stored = [make_record(stages=STAGES) for _ in range(3)]
    post_records(client, ingest_token, json.dumps(stored))
    fresh = [make_record(stages=STAGES) for _ in range(3)]
    batch = [fresh[0], stored[1], fresh[1], stored[2], fresh[2]]
    response = post_records(client, ingest_token, json.dumps(batch))
    assert [r["status"] for r in response.json()["results"]] == [
        "created",
        "duplicate",
        "created",
        "duplicate",
        "created",
    ]
    assert Generation.objects.count() == 6
    assert StagePayload.objects.count() == 6 * 4
    assert Rating.objects.count() == 6
    ids = sorted(Generation.objects.values_list("id", flat=True))
    assert len(set(ids)) == 6


def test_nul_anywhere_in_a_record_is_stored_as_a_replacement_character(client, ingest_token):
    # No lone surrogate here, so the fast reader takes the body: NUL in metadata, extra
    # metadata, headers and bodies must still become U+FFFD (PostgreSQL stores no NUL).
    text = (
        '{"generationId": "NUL2", "accountId": "A1", "apiKeyId": "K1", "modelSlug": "m/x",'
        ' "providerSlug": "p", "createdAt": "2025-08-22T02:49:18+00:00",'
        ' "model": "Model\\u0000X", "finishReason": "stop\\u0000", "note": "n\\u0000",'
        ' "nativeTokens": {"k\\u0000": "v\\u0000"},'
        ' "stages": {"user_request": {"headers": {"x-odd": "a\\u0000b"},'
        ' "body": {"content": "c\\u0000d"}},'
        ' "user_response": {"headers": {}, "body": "data: \\u0000\\n\\n"}}}'
    )
    response = post_records(client, ingest_token, text)
    assert response.status_code == 200, response.content
    generation = Generation.objects.get()
    assert generation.model_name == "Model\ufffdX"
    assert generation.finish_reason == "stop\ufffd"
    assert generation.extra_metadata == {"note": "n\ufffd"}
    assert generation.native_tokens == {"k\ufffd": "v\ufffd"}
    stages = {s.stage: s for s in StagePayload.objects.all()}
    assert stages["user_request"].headers == {"x-odd": "a\ufffdb"}
    assert json.loads(stages["user_request"].body) == {"content": "c\ufffdd"}
    assert stages["user_response"].body == "data: \ufffd\n\n"


def test_escapes_that_cannot_spell_a_secret_keep_the_body_as_sent(owner):
    # An ASCII-only encoder escapes every accent; Go's escapes < > &. None of these can
    # spell a secret, so the body is stored as sent rather than parsed and rewritten.
    record = make_record()
    record["stages"] = {"user_request": {"headers": {}, "body": {"content": "Résumé <b>&"}}}
    raw = json.dumps(record).replace("<b>&", "\\u003cb\\u003e\\u0026").encode()
    [outcome] = ingest([raw])
    assert outcome.status == "created"
    body = StagePayload.objects.get().body
    assert body == '{"content": "R\\u00e9sum\\u00e9 \\u003cb\\u003e\\u0026"}'
    assert json.loads(body)["content"] == "Résumé <b>&"


@pytest.mark.parametrize("view", ["pretty", "json"])
def test_a_posted_record_kept_as_text_renders_on_the_details_page(
    client, ingest_token, owner, view
):
    record = make_record()
    record["stages"] = {
        "user_request": {
            "headers": {"content-type": "application/json"},
            "body": {
                "model": "x",
                "messages": [{"role": "user", "content": "Résumé, s'il vous plaît"}],
            },
        },
        "user_response": {"headers": {}, "body": 'data: {"choices": []}\n\ndata: [DONE]\n\n'},
    }
    # json.dumps is ASCII-only: "R\u00e9sum\u00e9", stored as sent.
    posted = post_records(client, ingest_token, json.dumps(record))
    assert posted.status_code == 200
    client.force_login(owner)
    page = client.get(f"/logs/{record['generationId']}/", {"view": view})
    assert page.status_code == 200
    html = page.content.decode()
    # Decoded for reading in either mode (the cURL command keeps the text as sent).
    assert "Résumé, s" in html and "il vous plaît" in html
