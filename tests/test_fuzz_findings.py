"""Bugs the fuzzers (tests/test_schemathesis.py, tests/test_property_edges.py) found that
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
