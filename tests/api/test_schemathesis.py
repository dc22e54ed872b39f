"""Schemathesis fuzzes ingestion and the raw metadata API on the live test server with the
description at /api/openapi.json: valid records and broken ones, every answer must be no 5xx
and documented (status code, content type, headers, body), with real tokens made here.

The number of examples is bounded (EXAMPLES per operation and mode) so it runs in seconds; a
failure prints the request as curl. ZL_FUZZ_EXAMPLES raises it for a longer local run."""

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, strategies
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from logs.models import ApiToken
from tests.conftest import IN_CI
from tests.factories import EXAMPLE, example_record, make_record, store

EXAMPLES = int(os.environ.get("ZL_FUZZ_EXAMPLES", "40"))

# The checks that hold here. Not negative_data_rejection nor positive_data_acceptance: the
# validator reads more than JSON Schema can say (exponents in amount strings, createdAt's
# range, the nesting limit), and a generated record may be refused for what is already
# stored (its generationId taken by another account's record).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def _ndjson(ctx, value):
    """NDJSON as the API reads it: each item of the generated array on a line of its own."""
    items = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(item) for item in items).encode()


@pytest.fixture
def api(live_server, prices, ingest_token, owner, settings):
    # ignored_auth sends each request again without a token, and with a wrong one; counted
    # as bad tokens, those would soon leave every later request a 429 (documented, but it
    # tests nothing more).
    settings.API_BAD_TOKEN_LIMIT = 10**9
    stored = store(example_record(), make_record(model="<script>alert(1)</script>"))
    return {
        "schema": schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json"),
        "url": live_server.url,
        "POST": f"Bearer {ingest_token}",
        "GET": f"Bearer {ApiToken.issue(user=owner, name='fuzz')[1]}",
        "ids": [g.generation_id for g in stored],
    }


def _fuzz(api, mode):
    @given(
        case=api["schema"].as_strategy(generation_mode=mode),
        stored=strategies.sampled_from([None, *api["ids"]]),
    )
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=IN_CI,  # CI runs the same examples every time; locally they vary
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case, stored):
        if case.method == "GET" and stored is not None and isinstance(case.query, dict):
            # Known ids too, or every lookup would be a 404.
            case.query["id"] = stored
        case.call_and_validate(
            base_url=api["url"],
            headers={"Authorization": api[case.method]},
            checks=CHECKS,
            timeout=30,
        )

    run()


def test_every_answer_to_fuzzed_requests_is_documented_and_none_is_a_server_error(api):
    """Valid requests, then broken ones, in one test: each live-server test ends by emptying
    every table, which takes seconds on PostgreSQL once the fuzzer has made partitions."""
    assert set(api["schema"].raw_schema["paths"]) == {"/api/v1/generations", "/api/v1/generation"}
    # A positive control first: the fuzzer's transport reaches the server and reads answers.
    operation = api["schema"]["/api/v1/generation"]["GET"]
    case = operation.Case(query={"id": EXAMPLE["generationId"]})
    response = case.call_and_validate(
        base_url=api["url"], headers={"Authorization": api["GET"]}, checks=CHECKS
    )
    assert response.status_code == 200
    assert response.json() == EXAMPLE

    _fuzz(api, GenerationMode.POSITIVE)
    _fuzz(api, GenerationMode.NEGATIVE)
