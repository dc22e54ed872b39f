"""The OpenAPI 3.1 description at /api/openapi.json: valid OpenAPI, public and cacheable, every
operation it documents is in the URLconf, and the spec's example and the API's real answers
validate against it. tests/api/test_schemathesis.py fuzzes the live server with it."""

import gzip
import json
from decimal import Decimal

import jsonschema_rs
import pytest
from django.db import OperationalError
from django.urls import Resolver404, get_resolver, resolve
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_openapi

from logs import api
from logs.ingest.parse import parse_record
from logs.openapi import openapi_document
from logs.record.codec import dumps
from logs.record.values import (
    ID_RE,
    MAX_CREATED_AT,
    MAX_MONEY,
    MAX_THROUGHPUT,
    MAX_TOKENS,
    MIN_CREATED_AT,
    SLUG_RE,
)
from tests.factories import EXAMPLE, EXAMPLE_TEXT, example_record, make_record, store

pytestmark = pytest.mark.django_db


def _document(client):
    return client.get("/api/openapi.json").json()


def _validator(document, schema):
    # $refs in the schema resolve against the document's components.
    root = {**schema, "components": document["components"]}
    return OAS31Validator(root, format_checker=OAS31Validator.FORMAT_CHECKER)


def _conforms(document, path, method, response):
    """Asserts that a test client's response is documented for its operation: its status,
    content type, required headers and body."""
    operation = document["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{response.status_code} is not documented for {path}"
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in documented["content"]
    for name, header in documented.get("headers", {}).items():
        if document["components"]["headers"][name.split("/")[-1]]["required"]:
            assert response.has_header(name), name
    schema = documented["content"][media_type]["schema"]
    _validator(document, schema).validate(response.json())


def _record_schema(document):
    return _validator(document, {"$ref": "#/components/schemas/Record"})


def _ecma_record_schema(document):
    """The record schema read as its clients read it, with ECMA-262 regexes (Schemathesis'
    jsonschema_rs): Python's re lets `$` match before a trailing newline, ECMA's does not."""
    root = {"$ref": "#/components/schemas/Record", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(root)


def _as_json(value):
    """A record as it travels: Decimals as JSON numbers."""
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------------------------ document


def test_the_description_is_public_json_that_may_be_cached(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response.json() == json.loads(dumps(openapi_document()))
    assert response.json()["openapi"] == "3.1.0"
    assert "Set-Cookie" not in response


def test_the_description_is_valid_openapi_3_1(client):
    validate_openapi(_document(client))


def test_every_documented_operation_is_routed_to_a_view_that_takes_its_method(client):
    document = _document(client)
    for path, item in document["paths"].items():
        match = resolve(path)
        for method in item:
            response = getattr(client, method)(path)
            assert response.status_code != 405, (method, path, match.func)
            assert response.status_code != 404 or path == "/api/v1/generation", (method, path)


def test_every_api_url_in_the_urlconf_is_documented(client):
    documented = set(_document(client)["paths"]) | {"/api/openapi.json"}
    routed = {
        "/" + str(pattern.pattern)
        for pattern in get_resolver().url_patterns
        if str(pattern.pattern).startswith("api/")
    }
    assert routed == documented
    with pytest.raises(Resolver404):
        resolve("/api/v1/nothing")


def test_the_limits_are_the_validators_own(client, settings):
    settings.INGEST_MAX_RECORDS = 1234
    document = _document(client)
    record = document["components"]["schemas"]["Record"]["properties"]
    assert record["generationId"]["pattern"] == ID_RE.pattern
    assert record["modelSlug"]["pattern"] == SLUG_RE.pattern
    amount = record["billAmount"]["anyOf"][0]["anyOf"][0]
    assert Decimal(amount["exclusiveMaximum"]) == MAX_MONEY
    assert Decimal(amount["exclusiveMinimum"]) == -MAX_MONEY
    throughput = record["throughput"]["anyOf"][0]["anyOf"][0]
    assert Decimal(throughput["exclusiveMaximum"]) == MAX_THROUGHPUT
    tokens = record["nativeFeeTokens"]["anyOf"][0]["additionalProperties"]
    assert tokens["maximum"] == MAX_TOKENS
    assert record["createdAt"]["x-minimum"] == MIN_CREATED_AT.isoformat()
    assert record["createdAt"]["x-exclusiveMaximum"] == MAX_CREATED_AT.isoformat()
    batch = document["paths"]["/api/v1/generations"]["post"]["requestBody"]["content"]
    assert batch["application/json"]["schema"]["anyOf"][1]["maxItems"] == 1234


# Values at and just past each documented limit: the schema and the validator agree on every
# one (dates aside: JSON Schema cannot bound a date-time; see the x- keywords).
_EDGES = [
    {"billAmount": str(MAX_MONEY - Decimal("0.0000000001"))},
    {"billAmount": str(MAX_MONEY)},
    {"billAmount": str(-MAX_MONEY + 1)},
    {"billAmount": -MAX_MONEY},
    {"originAmount": MAX_MONEY - 1},
    {"throughput": str(MAX_THROUGHPUT - Decimal("0.01"))},
    {"throughput": MAX_THROUGHPUT},
    {"throughput": -1},
    {"nativeFeeTokens": {"prompt": MAX_TOKENS}},
    {"nativeFeeTokens": {"prompt": MAX_TOKENS + 1}},
    {"nativeFeeTokens": {"x" * 64: 1}},
    {"nativeFeeTokens": {"x" * 65: 1}},
    {"generationTime": 2**31 - 1},
    {"generationTime": 2**31},
    {"latency": -1},
    {"generationId": "a" * 64},
    {"generationId": "a" * 65},
    {"generationId": "-a"},
    {"generationId": "a\n"},
    {"modelSlug": "a/b\n"},
    {"modelSlug": "m" * 200},
    {"modelSlug": "m" * 201},
    {"providerSlug": "p" * 101},
    {"model": "é" * 200},
    {"model": "é" * 201},
    {"finishReason": "f" * 65},
    {"streamed": None},
    {"streamed": 1},
    {"nativeTokens": []},
    {"stages": {"user_request": {"headers": {"a": "b"}, "body": {"x": [1]}}}},
    {"stages": {"user_request": {"headers": {"a": 1}}}},
    {"stages": {"nowhere": {}}},
    {"stages": {"user_request": {"extra": 1}}},
    {"ratingResponses": {"ratingDetails": [{"feeItemCode": "prompt", "rate": 3}]}},
    {"ratingResponses": {"ratingDetails": [{"feeItemCode": "prompt", "rate": -3}]}},
    {"ratingResponses": {"ratingDetails": [{"rate": 3}]}},
    {"ratingResponses": {"priceVersion": "v" * 33}},
    {"extraKey": {"kept": True}},
]


@pytest.mark.parametrize("change", _EDGES, ids=lambda change: json.dumps(change, default=str)[:60])
def test_the_record_schema_accepts_exactly_what_the_validator_accepts_at_each_limit(client, change):
    record = _as_json(make_record(**change))
    for key, value in change.items():
        record[key] = _as_json(value)  # make_record drops keys set to None
    schema_accepts = _ecma_record_schema(_document(client)).is_valid(record)
    parsed, errors = parse_record(json.loads(json.dumps(record), parse_float=Decimal))
    assert schema_accepts == (parsed is not None), errors


def test_the_spec_example_is_a_valid_record_and_the_documented_example(client):
    document = _document(client)
    _record_schema(document).validate(EXAMPLE)
    assert document["components"]["examples"]["SpecRecord"]["value"] == EXAMPLE
    ingest = document["paths"]["/api/v1/generations"]["post"]["requestBody"]["content"]
    _validator(document, ingest["application/json"]["schema"]).validate([EXAMPLE, EXAMPLE])


def test_the_spec_example_validates_as_raw_metadata(client):
    document = _document(client)
    _validator(document, {"$ref": "#/components/schemas/RawMetadata"}).validate(EXAMPLE)


# ------------------------------------------------------------------------- real answers

INGEST = ("/api/v1/generations", "post")
RAW = ("/api/v1/generation", "get")


def _post(client, token, body, content_type="application/json", **extra):
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/generations", body, content_type=content_type, **headers, **extra)


def test_ingestions_answers_match_their_documented_shapes(client, ingest_token, settings):
    document = _document(client)
    answers = [
        _post(client, ingest_token, EXAMPLE_TEXT),
        _post(client, ingest_token, EXAMPLE_TEXT),  # a duplicate
        _post(client, ingest_token, [make_record(), make_record(createdAt="yesterday")]),
        _post(client, ingest_token, make_record(billAmount="lots")),
        _post(client, ingest_token, [1, 2]),
        _post(client, ingest_token, "{not json"),
        _post(client, ingest_token, ""),
        _post(
            client,
            ingest_token,
            "\n".join(json.dumps(make_record()) for _ in range(2)),
            "application/x-ndjson",
        ),
        _post(
            client,
            ingest_token,
            gzip.compress(json.dumps(make_record()).encode()),
            HTTP_CONTENT_ENCODING="gzip",
        ),
        _post(client, ingest_token, b"not gzip", HTTP_CONTENT_ENCODING="gzip"),
        _post(client, ingest_token, EXAMPLE_TEXT, HTTP_CONTENT_ENCODING="br"),
        _post(client, None, EXAMPLE_TEXT),
        _post(client, "zl_ingest_wrong", EXAMPLE_TEXT),
    ]
    settings.INGEST_MAX_RECORDS = 1
    answers.append(_post(client, ingest_token, [make_record(), make_record()]))
    statuses = [a.status_code for a in answers]
    assert statuses == [200, 200, 207, 400, 400, 400, 400, 200, 200, 400, 415, 401, 401, 413]
    for answer in answers:
        _conforms(document, *INGEST, answer)


def test_a_database_outage_answers_503_as_documented(client, ingest_token, monkeypatch):
    document = _document(client)

    def unavailable(records, **options):
        raise OperationalError("connection refused")

    monkeypatch.setattr(api, "ingest", unavailable)
    answer = _post(client, ingest_token, EXAMPLE_TEXT)
    assert answer.status_code == 503
    _conforms(document, *INGEST, answer)


def test_too_many_bad_tokens_answer_429_as_documented(client, settings):
    document = _document(client)
    settings.API_BAD_TOKEN_LIMIT = 1
    _post(client, "zl_ingest_wrong", EXAMPLE_TEXT)
    for answer in (
        _post(client, "zl_ingest_wrong", EXAMPLE_TEXT),
        client.get("/api/v1/generation", {"id": "x"}, HTTP_AUTHORIZATION="Bearer zl_pat_wrong"),
    ):
        assert answer.status_code == 429
        path, method = INGEST if answer.request["REQUEST_METHOD"] == "POST" else RAW
        _conforms(document, path, method, answer)


def test_raw_metadata_answers_match_their_documented_shapes(client, owner, owner_token):
    document = _document(client)
    store(example_record())
    stored = make_record(billAmount="-12.5", extraKey={"kept": ["as", "sent"]})
    stored.pop("throughput")
    store(stored)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {owner_token}"}
    answers = [
        client.get("/api/v1/generation", {"id": EXAMPLE["generationId"]}, **bearer),
        client.get("/api/v1/generation", {"id": stored["generationId"]}, **bearer),
        client.get("/api/v1/generation", {"id": "nothing-here"}, **bearer),
        client.get("/api/v1/generation", {"id": " "}, **bearer),
        client.get("/api/v1/generation", {"id": EXAMPLE["generationId"]}),
        client.get(
            "/api/v1/generation",
            {"id": EXAMPLE["generationId"]},
            HTTP_AUTHORIZATION="Bearer zl_pat_wrong",
        ),
    ]
    client.force_login(owner)
    answers.append(client.get("/api/v1/generation", {"id": EXAMPLE["generationId"]}))
    assert [a.status_code for a in answers] == [200, 200, 404, 400, 401, 401, 200]
    for answer in answers:
        _conforms(document, *RAW, answer)
    assert answers[0].json() == EXAMPLE
