"""Bugs the fuzzers (tests/api/test_schemathesis.py, tests/api/test_property_edges.py) found that
issue 18 did not list, each held by a focused test on both databases."""

import pytest

from logs.ingest.parse import parse_record
from tests.factories import make_generation, make_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/logs/GEN%00/", "/logs/GEN%00/raw/user_request", "/api/v1/generation?id=GEN%00"],
)
def test_an_id_with_a_nul_byte_is_a_404_not_a_database_error(owner_client, url):
    make_generation()
    assert owner_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "field, value",
    [
        ("generationId", "GEN1\n"),
        ("accountId", "ACC1\n"),
        ("apiKeyId", "KEY1\n"),
        ("modelSlug", "a/model\n"),
        ("providerSlug", "anthropic\n"),
    ],
)
def test_an_id_or_slug_with_a_trailing_newline_is_refused_naming_the_field(field, value):
    # It was stored, and then GET /api/v1/generation (which strips the id it is asked for)
    # could never find it; "ACC1\n" was an account of its own next to "ACC1".
    parsed, errors = parse_record(make_record(**{field: value}))
    assert parsed is None
    assert errors[0]["field"] == field


def _nested(levels):
    """`levels` objects and arrays inside one another, the outermost an object, the innermost
    holding a scalar."""
    value = 1
    for level in range(levels):
        value = [value] if (levels - level) % 2 == 0 else {"k": value}
    return value


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("how", ["alone", "array", "ndjson"])
def test_a_record_nested_to_the_limit_is_read_alike_however_it_is_sent(
    client, ingest_token, settings, how, ascii_only
):
    # A lone surrogate sends a body to the standard parser, which counted the batch's array
    # as one of the record's levels and a scalar as a level of its own, where the fast
    # reader counts neither: the same record was stored alone and refused in an array.
    import json

    limit = settings.INGEST_MAX_DEPTH
    fits = make_record(generationId="DEEP1", nativeTokens=_nested(limit - 1))
    too_deep = make_record(generationId="DEEP2", nativeTokens=_nested(limit))
    if not ascii_only:
        fits["model"] = too_deep["model"] = "model \udcff"
    outcomes = {}
    for record in (fits, too_deep):
        text = json.dumps(record)
        body = {"alone": text, "array": f"[{text}]", "ndjson": text + "\n"}[how]
        content_type = "application/x-ndjson" if how == "ndjson" else "application/json"
        response = client.post(
            "/api/v1/generations",
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
        )
        payload = response.json()
        outcomes[record["generationId"]] = (
            payload["results"][0]["status"] if "results" in payload else response.status_code
        )
    assert outcomes["DEEP1"] == "created"
    assert outcomes["DEEP2"] in ("rejected", 400)
