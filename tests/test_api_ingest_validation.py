"""POST /api/v1/generations: bad records get a 400 that names the field and store nothing."""

import json

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
