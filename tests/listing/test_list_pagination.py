"""Keyset pagination: every row exactly once, newest first, whatever arrives meanwhile."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logs.models import Generation
from tests.factories import make_record, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(owner):
    now = datetime.now(UTC)
    # Several rows share a timestamp, so the id tiebreak is exercised.
    records = [
        make_record(
            generationId=f"PAGE{i:04d}",
            createdAt=(now - timedelta(seconds=(i // 3) * 7)).isoformat(),
        )
        for i in range(130)
    ]
    store(*records)
    return now


def _walk(client, params, on_page=None):
    seen, pages = [], 0
    params = dict(params)
    while True:
        response = client.get("/logs/", params)
        assert response.status_code == 200
        seen.extend(g.generation_id for g in response.context["rows"])
        pages += 1
        if on_page:
            on_page(pages)
        older = response.context["older_cursor"]
        if not older:
            return seen, pages
        assert 'rel="next" hx-get="?' in response.content.decode()
        params["cursor"] = older


def test_cursor_paging_visits_every_row_exactly_once(owner_client, many):
    seen, pages = _walk(owner_client, {"page_size": 7})
    expected = list(Generation.objects.newest_first().values_list("generation_id", flat=True))
    assert seen == expected
    assert pages == 19


def test_rows_arriving_at_the_head_cause_no_duplicates_or_skips(owner_client, many):
    before = list(Generation.objects.newest_first().values_list("generation_id", flat=True))

    def arrive(page):
        store(make_record(generationId=f"NEW{page:04d}", createdAt=datetime.now(UTC).isoformat()))

    seen, _ = _walk(owner_client, {"page_size": 10}, on_page=arrive)
    assert len(seen) == len(set(seen))
    assert [g for g in seen if not g.startswith("NEW")] == before


def test_newer_links_walk_back_to_the_newest_page(owner_client, many):
    first = owner_client.get("/logs/", {"page_size": 10}).context
    assert first["newer_cursor"] is None and first["on_first_page"]
    second = owner_client.get("/logs/", {"page_size": 10, "cursor": first["older_cursor"]})
    third = owner_client.get("/logs/", {"page_size": 10, "cursor": second.context["older_cursor"]})
    back = owner_client.get("/logs/", {"page_size": 10, "cursor": third.context["newer_cursor"]})
    assert [g.pk for g in back.context["rows"]] == [g.pk for g in second.context["rows"]]
    body = third.content.decode()
    assert ">Newest</a>" in body and "← Newer</a>" in body
    head = owner_client.get("/logs/", {"page_size": 10, "cursor": back.context["newer_cursor"]})
    assert [g.pk for g in head.context["rows"]] == [g.pk for g in first["rows"]]


def test_query_count_per_page_is_constant_whatever_the_page_size(owner_client, many):
    counts = []
    for size in (5, 50, 200):
        owner_client.get("/logs/", {"page_size": size})  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get("/logs/", {"page_size": size})
        assert len(response.context["rows"]) == min(size, 130)
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 14


def test_no_offset_and_no_unbounded_count(owner_client, many):
    with CaptureQueriesContext(connection) as queries:
        owner_client.get(
            "/logs/",
            {
                "page_size": 20,
                "model": "anthropic/claude-sonnet-4",
                "api_key": "2534AKkA4Nqn14642786",
            },
        )
    sql = [q["sql"].upper() for q in queries]
    assert not any(" OFFSET " in s for s in sql)
    for s in sql:
        if "COUNT(" in s and "LOGS_GENERATION" in s:
            assert "LIMIT" in s


def test_total_is_capped_when_counting_would_be_expensive(owner_client, many, monkeypatch):
    monkeypatch.setattr("logs.listing.summary.SAMPLE_CAP", 50)
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(
            "/logs/",
            {
                "model": "anthropic/claude-sonnet-4",
                "api_key": "2534AKkA4Nqn14642786",
                "page_size": 20,
            },
        )
    assert response.context["total"] == 50 and not response.context["total_exact"]
    assert "50+ requests" in response.content.decode()
    # The total comes from the summary's bounded read: the rows are not read again to count.
    assert [q["sql"] for q in queries if "LIMIT 50" in q["sql"]]
    assert not [q["sql"] for q in queries if "LIMIT 51" in q["sql"]]
