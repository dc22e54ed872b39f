"""Plans of the live list's polls (logs/listing/live.py), on the bulk load of
test_query_plans.py and under its conditions (no statistics on PostgreSQL, planned as at a
million rows): a poll reads only the last minutes off the first page's index, never the window,
and runs as many queries for three new rows as for none."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from logs.ingest import ingest
from tests.conftest import is_postgres
from tests.factories import make_record
from tests.listing import test_query_plans as plans
from tests.listing.test_query_plans import GENERATIONS, KEYS, _parent, _scans

pytestmark = pytest.mark.django_db


# test_query_plans' bulk load (loaded again, once for this module) and its signed-in client.
bulk_loaded, planner = plans.bulk_loaded, plans.planner


def _live_rows_read(statements, index):
    """(reads, problems) of a live poll's statements on generations: each must read only the
    rows of the last LOOKBACK (logs.listing.live) off the first page's index, never the window."""
    reads, problems = 0, {}
    with transaction.atomic():
        for sql in statements:
            if sql.startswith("SET ") or "set_config(" in sql:  # as the poll ran it
                with connection.cursor() as cursor:
                    cursor.execute(sql)
            elif f' FROM "{GENERATIONS}" ' in sql:
                reads += 1
                if found := _live_problems(sql, index):
                    problems[sql] = found
        transaction.set_rollback(True)
    return reads, problems


def _live_problems(sql, index):
    """What is wrong with how a poll's statement reads generations, if anything."""
    with connection.cursor() as cursor:
        if not is_postgres():
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [row[3] for row in cursor.fetchall()]
            searched = f"SEARCH {GENERATIONS} USING INDEX {index} "
            return [] if any(s.startswith(searched) for s in steps) else steps
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
    scans = [n for n in _scans(plan) if _parent(n["Relation Name"]) == GENERATIONS]
    taken = [n for n in scans if n["Actual Rows"] + n.get("Rows Removed by Filter", 0)]
    read = sum(
        (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"] for n in taken
    )
    # The fixture stores 3 rows every 15 s, and an unknown cost every 45 s: ~140 rows in ten
    # minutes, of a window of tens of thousands. (The days ahead are empty partitions, whose
    # scans take no row.)
    indexes = {_parent(n["Index Name"]) for n in _nodes(plan) if n.get("Index Name")}
    indexes = {name for name in indexes if name.startswith("gen_")}
    if read <= 200 and indexes == {index}:
        return []
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)
        return [f"read {read} rows"] + [row[0] for row in cursor.fetchall()]


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _new_requests(response):
    return int(re.search(r'data-requests="(\d+)"', response.content.decode()).group(1))


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "gen_account_time"),
        ({"model": "openai/gpt-4.1"}, "gen_account_model"),
        ({"api_key": KEYS[1]}, "gen_account_key"),
        ({"cost_min": "0"}, "gen_account_time"),
        ({"q": "plans"}, "gen_account_time"),
    ],
    ids=["no filter", "model", "api_key", "cost_min", "search"],
)
def test_a_live_poll_reads_only_the_last_minutes_whatever_the_window(planner, params, index):
    live = {**params, "live": "1"}
    page = planner.get("/logs/", live)
    after = page.context["live_after"]
    sums = re.search(r'data-live-sums="([^"]*)"', page.content.decode()).group(1)
    poll = {**live, "after": after, "sums": sums}

    def polled():
        with CaptureQueriesContext(connection) as queries:
            response = planner.get("/logs/", poll, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and b"data-live-update" in response.content
        return response, [q["sql"] for q in queries.captured_queries]

    response, empty = polled()
    assert _new_requests(response) == 0
    reads, problems = _live_rows_read(empty, index)
    assert not problems, "\n".join(line for found in problems.values() for line in found)
    assert reads == 1  # the new rows, none
    now = datetime.now(UTC)
    store_new = [
        make_record(
            generationId=f"PLANS-LIVE{i}",
            modelSlug="openai/gpt-4.1",
            providerSlug="openai",
            apiKeyId=KEYS[1],
            createdAt=(now - timedelta(seconds=i)).isoformat(),
        )
        for i in range(3)
    ]
    assert {o.status for o in ingest(store_new)} == {"created"}
    response, busy = polled()
    assert _new_requests(response) == (0 if params.get("q") else 3)
    # The rows are read with their sums, without their ratings (a live row's cost popover is
    # read when opened): as many queries for three rows as for none (and a search's excerpts).
    reads, problems = _live_rows_read(busy, index)
    assert not problems, problems
    assert reads == 1
    assert len(busy) <= len(empty) + (1 if params.get("q") else 0)
