"""Another account's generation id answers exactly as an unknown one does, and does the same
work to say so: the same queries, so its timing tells nobody that the id exists elsewhere.
The raw metadata API, the details page and the list's request_id filter."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ACCOUNT_B, KEY_B, make_record, store

pytestmark = pytest.mark.django_db

THEIRS = "IN-B-0001"
UNKNOWN = "IN-Z-0001"  # the same length, so the queries' text differs only in the id


@pytest.fixture
def theirs(outsider):
    store(make_record(generationId=THEIRS, accountId=ACCOUNT_B, apiKeyId=KEY_B))


def _queries(fetch, generation_id):
    with CaptureQueriesContext(connection) as captured:
        response = fetch(generation_id)
    # Ids and clock readings (the list's window ends now) aside, the same text.
    shapes = [
        re.sub(r"\d", "0", q["sql"].replace(generation_id, "<id>"))
        for q in captured.captured_queries
    ]
    return response, shapes


def _same_answer_and_work(fetch):
    fetch(UNKNOWN)  # the session, the user and their accounts, as every later request
    unknown, unknown_queries = _queries(fetch, UNKNOWN)
    found, found_queries = _queries(fetch, THEIRS)
    assert found.status_code == unknown.status_code
    assert found_queries == unknown_queries
    return found, unknown


def test_the_raw_metadata_api_does_the_same_work_for_another_accounts_id(
    owner_client, owner_token, theirs
):
    found, unknown = _same_answer_and_work(
        lambda gid: owner_client.get("/api/v1/generation", {"id": gid})
    )
    assert found.status_code == 404
    assert found.json()["error"].replace(THEIRS, UNKNOWN) == unknown.json()["error"]
    # With a bearer token instead of the session, the same.
    _same_answer_and_work(
        lambda gid: owner_client.get(
            "/api/v1/generation", {"id": gid}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
        )
    )


def test_the_details_page_does_the_same_work_for_another_accounts_id(owner_client, theirs):
    found, _ = _same_answer_and_work(lambda gid: owner_client.get(f"/logs/{gid}/"))
    assert found.status_code == 404
    _same_answer_and_work(lambda gid: owner_client.get(f"/logs/{gid}/raw/user_request"))


def test_the_lists_request_id_filter_does_the_same_work_for_another_accounts_id(
    owner_client, theirs
):
    found, _ = _same_answer_and_work(
        lambda gid: owner_client.get("/logs/", {"request_id": gid, "range": "all"})
    )
    assert found.status_code == 200 and list(found.context["rows"]) == []
