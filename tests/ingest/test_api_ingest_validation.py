"""POST /api/v1/generations: bad records get a 400 that names the field and store nothing."""

import json
from decimal import Decimal

import pytest

from billing.models import Account, Rating
from logs.models import ApiKey, Generation, StagePayload
from tests.factories import EXAMPLE_TEXT, make_record, post_records

pytestmark = pytest.mark.django_db
URL = "/api/v1/generations"


def _nothing_stored():
    return (
        Generation.objects.count(),
        StagePayload.objects.count(),
        Rating.objects.count(),
        Account.objects.count(),
        ApiKey.objects.count(),
    ) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"generationId": None}, "generationId"),
        ({"generationId": ""}, "generationId"),
        ({"nativeFeeTokens": {"prompt": -5}}, "nativeFeeTokens.prompt"),
        ({"nativeFeeTokens": {"completion": "95"}}, "nativeFeeTokens.completion"),
        ({"latency": "fast"}, "latency"),
        ({"generationTime": -1}, "generationTime"),
        ({"createdAt": "yesterday at noon"}, "createdAt"),
        ({"createdAt": "2025-08-22T02:49:18"}, "createdAt"),
        ({"stages": {"user_reqest": {"headers": {}, "body": {}}}}, "stages.user_reqest"),
        ({"accountId": None}, "accountId"),
        ({"modelSlug": 42}, "modelSlug"),
        ({"originAmount": "NaN"}, "originAmount"),
        ({"billAmount": "1e309"}, "billAmount"),
        ({"streamed": "yes"}, "streamed"),
        ({"generationId": "has spaces and <tags>"}, "generationId"),
    ],
)
def test_bad_record_is_400_naming_the_field_and_stores_nothing(
    client, ingest_token, overrides, field
):
    response = post_records(client, ingest_token, make_record(**overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["rejected"] == 1
    fields = [e["field"] for e in body["results"][0]["errors"]]
    assert field in fields
    assert body["error"].startswith(field)
    assert _nothing_stored()


def test_valid_record_with_stages_is_stored(client, ingest_token):
    record = make_record(
        stages={
            "user_request": {
                "headers": {"content-type": "application/json"},
                "body": {"model": "anthropic/claude-sonnet-4", "messages": []},
            },
            "user_response": {"headers": {}, "body": 'data: {"x": 1}\n\ndata: [DONE]\n\n'},
        }
    )
    response = post_records(client, ingest_token, record)
    assert response.status_code == 200
    stages = dict(StagePayload.objects.values_list("stage", "body_format"))
    assert stages == {"user_request": "json", "user_response": "text"}


def test_array_of_records_is_accepted(client, ingest_token):
    response = post_records(client, ingest_token, [make_record(), make_record()])
    assert response.status_code == 200
    assert response.json()["created"] == 2


def test_accounts_and_keys_are_created_on_first_sight(client, ingest_token):
    post_records(client, ingest_token, make_record(accountId="NEWACCOUNT01", apiKeyId="NEWKEY01"))
    key = ApiKey.objects.get(external_id="NEWKEY01")
    assert key.account.external_id == "NEWACCOUNT01"


def test_key_of_another_account_is_rejected(client, ingest_token):
    post_records(client, ingest_token, make_record(accountId="ACC1", apiKeyId="KEY1"))
    response = post_records(client, ingest_token, make_record(accountId="ACC2", apiKeyId="KEY1"))
    assert response.status_code == 400
    assert response.json()["results"][0]["errors"][0]["field"] == "apiKeyId"
    assert Generation.objects.count() == 1
    # The rejected record's account was not created on the way.
    assert not Account.objects.filter(external_id="ACC2").exists()


def test_without_ingest_token_is_401(client):
    response = client.post(URL, EXAMPLE_TEXT, content_type="application/json")
    assert response.status_code == 401
    assert Generation.objects.count() == 0


def test_not_json_is_400(client, ingest_token):
    response = post_records(client, ingest_token, "{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_empty_body_is_400(client, ingest_token):
    response = post_records(client, ingest_token, "")
    assert response.status_code == 400
    assert "empty" in response.json()["error"]


def test_not_utf8_is_400(client, ingest_token):
    response = post_records(client, ingest_token, b'{"generationId": "\xff\xfe"}')
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_record_that_is_not_an_object_is_rejected(client, ingest_token):
    response = post_records(client, ingest_token, [1])
    assert response.status_code == 400
    assert response.json()["results"][0]["errors"][0]["field"] == "(record)"


def test_nul_and_lone_surrogates_are_stored_as_replacement_characters(client, ingest_token):
    text = (
        '{"generationId": "NUL1", "accountId": "A1", "apiKeyId": "K1", "modelSlug": "m/x",'
        ' "providerSlug": "p", "createdAt": "2025-08-22T02:49:18+00:00",'
        ' "stages": {"user_request": {"headers": {"x-odd": "a\\u0000b"},'
        ' "body": {"messages": [{"role": "user", "content": "bad \\udcff pair \\ud83d\\ude00"}]}},'
        ' "user_response": {"headers": {}, "body": "data: \\u0000\\n\\n"}}}'
    )
    response = post_records(client, ingest_token, text)
    assert response.status_code == 200, response.content
    stages = {s.stage: s for s in StagePayload.objects.all()}
    assert stages["user_request"].headers == {"x-odd": "a\ufffdb"}
    assert (
        "bad \ufffd pair \U0001f600"
        in json.loads(stages["user_request"].body)["messages"][0]["content"]
    )
    assert stages["user_response"].body == "data: \ufffd\n\n"


# ----------------------------------------------------------- numbers checked on their text

HUGE_EXPONENT = "1e500000"  # int() of it took 10 s
HUGE_INTEGER = "9" * 100_000  # past what msgspec and int() read at all


def _with_number(number, **overrides):
    """A record whose "@@" string values are the JSON number `number` (bare, not a string)."""
    return json.dumps(make_record(**overrides)).replace('"@@"', number)


@pytest.mark.parametrize(
    "number", [HUGE_EXPONENT, HUGE_INTEGER, "1e-500000"], ids=["exponent", "integer", "tiny"]
)
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"generationTime": "@@"}, "generationTime"),
        ({"latency": "@@"}, "latency"),
        ({"moderationLatency": "@@"}, "moderationLatency"),
        ({"requestRetryTimes": "@@"}, "requestRetryTimes"),
        ({"nativeFeeTokens": {"prompt": 10, "completion": "@@"}}, "nativeFeeTokens.completion"),
        ({"nativeFeeTokens": {"prompt": 10, "web_search": "@@"}}, "nativeFeeTokens.web_search"),
        ({"throughput": "@@"}, "throughput"),
        ({"ratingResponses": {"billAmount": "@@"}}, "ratingResponses.billAmount"),
        (
            {"ratingResponses": {"ratingDetails": [{"feeItemCode": "prompt", "rate": "@@"}]}},
            "ratingResponses.ratingDetails[0].rate",
        ),
        # Stored without validation, and read back by every page: refused all the same.
        ({"nativeTokens": {"usage": [1, "@@"]}}, "nativeTokens.usage[1]"),
        ({"gatewayRegion": {"weight": "@@"}}, "gatewayRegion.weight"),
        ({"ratingResponses": {"surcharge": "@@"}}, "ratingResponses.surcharge"),
    ],
)
def test_an_over_large_number_is_400_naming_the_field_read_from_its_text(
    client, ingest_token, overrides, field, number
):
    response = post_records(client, ingest_token, _with_number(number, **overrides))
    assert response.status_code == 400
    errors = response.json()["results"][0]["errors"]
    assert {"field": field, "message": errors[0]["message"]} in errors
    assert "too long or too large a number" in response.json()["error"]
    assert response.json()["error"].startswith(field)
    assert _nothing_stored()


@pytest.mark.parametrize("field", ["billAmount", "originAmount", "discountAmount"])
def test_an_amount_string_too_long_for_a_number_is_400_before_it_is_read(
    client, ingest_token, field
):
    response = post_records(client, ingest_token, make_record(**{field: "1" * 100_000}))
    assert response.status_code == 400
    assert response.json()["error"] == f"{field}: is too long for a number (at most 100 characters)"


def test_numbers_in_a_stage_body_are_stored_as_they_came(client, ingest_token):
    # Only a body that might hold a secret is parsed; its numbers keep their text.
    body = (
        '{"api_key": "sk-live-0123456789abcdef0123", "big": ' + HUGE_INTEGER[:5000] + ","
        ' "tiny": 1e-500000, "huge": 1e500000, "n": 1.50}'
    )
    record = make_record(stages={"origin_response": {"headers": {}, "body": "@@"}})
    response = post_records(client, ingest_token, json.dumps(record).replace('"@@"', body))
    assert response.status_code == 200, response.content
    stored = StagePayload.objects.get().body
    assert "sk-live" not in stored
    assert '"big": ' + HUGE_INTEGER[:5000] + "," in stored
    assert '"tiny": 1e-500000, "huge": 1e500000, "n": 1.50}' in stored


def test_numbers_at_the_edges_of_what_is_read_are_stored_and_shown_back_exactly(
    client, owner_token, ingest_token
):
    # The largest accepted nested numbers: PostgreSQL's jsonb, SQLite's JSON text and the
    # readers on the way back all hold them, and the raw metadata API writes them as sent.
    edge = {
        "big": "1E+308",
        "tiny": "1E-308",
        "long": "9" * 100,
        "negative": "-1.5E+300",
    }
    record = make_record(gatewayEdges={k: f"@{k}@" for k in edge})
    text = json.dumps(record)
    for key, number in edge.items():
        text = text.replace(f'"@{key}@"', number)
    assert post_records(client, ingest_token, text).status_code == 200
    fetched = client.get(
        f"/api/v1/generation?id={record['generationId']}",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert fetched.status_code == 200
    shown = json.loads(fetched.content, parse_float=Decimal, parse_int=Decimal)
    assert shown["gatewayEdges"] == {k: Decimal(v) for k, v in edge.items()}
