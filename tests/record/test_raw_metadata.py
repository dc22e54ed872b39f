"""The spec's example is the golden vector: it must round-trip exactly, types included."""

import json

import pytest

from logs.ingest.parse import parse_record
from logs.models import Generation
from logs.record.codec import dumps, loads
from logs.record.values import amount_string, plain_number
from tests.factories import EXAMPLE, EXAMPLE_TEXT, example_record, store

pytestmark = pytest.mark.django_db


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_example_posted_and_fetched_back_equals_the_original(
    client, owner, owner_token, ingest_token
):
    posted = client.post(
        "/api/v1/generations",
        EXAMPLE_TEXT,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
    )
    assert posted.status_code == 200, posted.content
    assert posted.json()["results"] == [
        {"index": 0, "generationId": EXAMPLE["generationId"], "status": "created"}
    ]
    fetched = client.get(
        f"/api/v1/generation?id={EXAMPLE['generationId']}",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "application/json"
    body = json.loads(fetched.content)
    assert body == EXAMPLE
    assert _types(body) == _types(EXAMPLE)


def test_amount_types_follow_the_spec(owner):
    generation = store(example_record())[0]
    text = dumps(
        __import__("logs.record.raw", fromlist=["to_raw_metadata"]).to_raw_metadata(generation)
    )
    assert '"originAmount": "0.051006"' in text
    assert '"discountAmount": "0"' in text
    assert '"throughput": "28.81"' in text
    assert '"createdAt": "2025-08-22T02:49:18.000+00:00"' in text
    assert '"rate": 3.75}' in text and '"rate": 15}' in text
    assert '"billAmount": 0.051006' in text


def test_rating_details_keep_the_gateways_order_and_figures(owner):
    generation = store(example_record())[0]
    details = [line["fee_item_code"] for line in generation.rating.details]
    assert details == [d["feeItemCode"] for d in EXAMPLE["ratingResponses"]["ratingDetails"]]
    assert generation.rating.rated_by_us is False
    assert generation.rating.service_code == EXAMPLE["ratingResponses"]["serviceCode"]


def test_unknown_metadata_keys_round_trip(owner, owner_token, client):
    record = example_record()
    record["gatewayRegion"] = "eu-west"
    record["routing"] = {"attempts": [1, 2], "ok": True}
    record["nativeFeeTokens"]["some_future_item"] = 7
    store(record)
    body = client.get(
        f"/api/v1/generation?id={record['generationId']}",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    ).json()
    assert body["gatewayRegion"] == "eu-west"
    assert body["routing"] == {"attempts": [1, 2], "ok": True}
    assert body["nativeFeeTokens"]["some_future_item"] == 7


def test_absent_fee_items_stay_absent_and_zero_stays_zero(owner):
    generation = store(example_record())[0]
    assert generation.fee_tokens() == EXAMPLE["nativeFeeTokens"]
    assert generation.internal_reasoning is None
    assert generation.input_cache_read == 0


def test_token_totals_follow_the_readme_definitions(owner):
    record = example_record()
    record["generationId"] = "TOTALS0001"
    record["nativeFeeTokens"] = {
        "prompt": 100,
        "input_cache_read": 20,
        "input_cache_write": 3,
        "input_cache_write_5_min": 4,
        "input_cache_write_1_h": 5,
        "completion": 30,
        "internal_reasoning": 6,
        "audio": 7,
        "web_search": 2,
    }
    generation = store(record)[0]
    assert generation.input_tokens == 100 + 20 + 3 + 4 + 5
    assert generation.output_tokens == 30 + 6 + 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.051006000", "0.051006"), ("0E-10", "0"), ("15.0000000000", "15"), ("0.3", "0.3")],
)
def test_amount_strings_are_plain_decimals(value, expected):
    from decimal import Decimal

    assert amount_string(Decimal(value)) == expected
    assert str(plain_number(Decimal(value))) == expected


def test_parser_reads_the_example_without_errors():
    record, errors = parse_record(loads(EXAMPLE_TEXT))
    assert errors == []
    assert record.generation_id == EXAMPLE["generationId"]
    assert record.fields["first_token_latency_ms"] == 2177
    assert str(record.rating["details"][1]["rate"]) == "15"
    assert Generation.objects.count() == 0
