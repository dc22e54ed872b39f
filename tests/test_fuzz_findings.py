"""Bugs the fuzzers (tests/test_schemathesis.py, tests/test_property_edges.py) found that
issue 18 did not list, each held by a focused test on both databases."""

import pytest

from tests.factories import make_generation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/logs/GEN%00/", "/logs/GEN%00/raw/user_request", "/api/v1/generation?id=GEN%00"],
)
def test_an_id_with_a_nul_byte_is_a_404_not_a_database_error(owner_client, url):
    make_generation()
    assert owner_client.get(url).status_code == 404
