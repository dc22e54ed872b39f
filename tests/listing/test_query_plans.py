"""Plans that do not depend on statistics: right after a bulk load, before ANALYZE or
autovacuum, every page reads its rows off one index range in its own order, never the whole
window.

The views run as usual, their SQL is captured, and each keyset read (ORDER BY ... LIMIT) is
explained. On PostgreSQL EXPLAIN ANALYZE counts the rows each read took from the table: at
most twice its LIMIT. SQLite has no statistics unless asked to gather them; there, EXPLAIN
QUERY PLAN must show a search of the expected index and no sort.

On PostgreSQL the tables have no column statistics (autovacuum is off for them, and what
an earlier ANALYZE left is deleted), and the planner is told they hold what they would at a
million generations. A test cannot load that many, and the tens of thousands it can load,
never measured, look to the planner like about 20 rows an account: less than a page, so
that reading the whole window costs nothing in its eyes and every index ties with every
other. A million rows never measured look like about 250,000 to it (it sizes them from
their pages), ten million like 2.5 million.
"""

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import Account, LedgerEntry, Membership, Wallet
from billing.settlement import credit
from logs.ingest import ingest
from logs.listing.summary import SAMPLE_CAP
from logs.models import Generation
from tests.conftest import is_postgres
from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_B, make_record
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db

MODELS = [
    ("anthropic/claude-sonnet-4", "anthropic"),
    ("openai/gpt-4.1", "openai"),
    ("google/gemini-2.5-flash", "google"),
    ("openai/gpt-4o-mini", "openai"),
]
KEYS = [KEY_A, "2534AKplans000000002", "2534AKplans000000003"]
FINISH = ["stop", "end_turn", "tool_calls"]
# Tens of thousands of rows, so that reading the window instead of a page shows on
# PostgreSQL; SQLite's plans do not depend on the row count.
ROWS = 30_000 if is_postgres() else 3_000
GENERATIONS, LEDGER = "logs_generation", "billing_ledgerentry"
OLD_ID = "PLANS-OLD"  # outside the default 7-day window, like a link from an old bookmark
PLANNER_ROWS = 1_000_000
PER_GENERATION = ["logs_generation", "billing_rating", "billing_charge", "billing_ledgerentry"]
INGESTED_TABLES = [
    *PER_GENERATION,
    "logs_stagepayload",
    "logs_hourlyrollup",
    "logs_facet",
    "logs_apikey",
    "billing_account",
    "billing_wallet",
]


def _tokens(i):
    # Costs that vary from row to row (and tie now and then), as a cost order meets them.
    return {"prompt": 500 + (i * 37) % 1000, "completion": 50}


def _records(now):
    mix = itertools.cycle(itertools.product(MODELS, KEYS, FINISH))
    for i in range(ROWS):
        (model, provider), key, finish = next(mix)
        # Three rows share each timestamp, so the id tiebreak is part of every range.
        created = now - timedelta(seconds=15 * (i // 3))
        yield make_record(
            generationId=f"PLANS{i:06d}",
            modelSlug=model,
            providerSlug=provider,
            apiKeyId=key,
            finishReason=finish,
            createdAt=created.isoformat(),
            nativeFeeTokens=_tokens(i),
        )
    # Unknown costs (a model without a price) among the window's rows, newer than its oldest:
    # the cost order reads them as a segment of its own.
    for i in range(ROWS // 10):
        yield make_record(
            generationId=f"PLANS-U{i:06d}",
            modelSlug="acme/mystery",
            providerSlug="acme",
            createdAt=(now - timedelta(seconds=45 * i + 7)).isoformat(),
        )
    # Older than the default window: a read that starts at the wrong end steps over these.
    for i in range(ROWS // 3):
        (model, provider), key, finish = next(mix)
        yield make_record(
            generationId=f"PLANS-A{i:06d}",
            modelSlug=model,
            providerSlug=provider,
            apiKeyId=key,
            finishReason=finish,
            createdAt=(now - timedelta(days=8, seconds=60 * i)).isoformat(),
            nativeFeeTokens=_tokens(i),
        )
    for i in range(ROWS // 10):
        yield make_record(
            generationId=f"PLANS-B{i:06d}",
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            createdAt=(now - timedelta(seconds=20 * i)).isoformat(),
        )
    yield make_record(generationId=OLD_ID, createdAt=(now - timedelta(days=60)).isoformat())


def _leaves(cursor, table):
    """The tables that hold the rows: a partitioned table's partitions, or the table."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [table],
    )
    return [row[0] for row in cursor.fetchall()] or [table]


def _autovacuum_off():
    if is_postgres():
        with connection.cursor() as cursor:
            for table in INGESTED_TABLES:
                for leaf in _leaves(cursor, table):
                    cursor.execute(f"ALTER TABLE {leaf} SET (autovacuum_enabled = false)")


def _no_statistics():
    """No column statistics (the planner falls back to its default selectivities), and row
    counts as at a million generations; see the module's docstring."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        for parent in INGESTED_TABLES:
            scale = PLANNER_ROWS / ROWS if parent in PER_GENERATION else 1
            cursor.execute(f"DELETE FROM pg_statistic WHERE starelid = '{parent}'::regclass")
            for table in _leaves(cursor, parent):
                cursor.execute(f"DELETE FROM pg_statistic WHERE starelid = '{table}'::regclass")
                cursor.execute(
                    f"UPDATE pg_class SET reltuples = (SELECT count(*) FROM {table}) * {scale}, "
                    f"relpages = pg_relation_size(oid) / current_setting('block_size')::int "
                    f"WHERE oid = '{table}'::regclass"
                )


@pytest.fixture(scope="module")
def bulk_loaded(django_db_setup, django_db_blocker):
    """A demo-sized account loaded once for the module, in a transaction rolled back at the
    end; each test runs inside it, in a savepoint of its own."""
    with django_db_blocker.unblock(), transaction.atomic():
        _autovacuum_off()
        user = get_user_model().objects.create_user(username="planner", password="pw")
        account = Account.objects.create(external_id=ACCOUNT_A, name="Plans")
        Membership.objects.create(user=user, account=account, role="owner")
        # Credit, so each call is drawn from a wallet and leaves a ledger line.
        credit(account, Wallet.Kind.PURCHASED, Decimal(1_000_000))
        records = list(_records(datetime.now(UTC)))
        for start in range(0, len(records), 5000):
            outcomes = ingest(records[start : start + 5000])
            assert {o.status for o in outcomes} == {"created"}
        _no_statistics()
        yield user
        transaction.set_rollback(True)


@pytest.fixture
def planner(bulk_loaded, client):
    client.force_login(bulk_loaded)
    return client


def _view_sql(client, path, params=None):
    """The response and the SQL the view ran, in order."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.content[:300]
    return response, [q["sql"] for q in queries.captured_queries]


def _explain_reads(statements, table, index):
    """(reads, problems): how many keyset reads of `table` (ORDER BY ... LIMIT) the view ran,
    and what is wrong with how each reads the table, explained under the planner settings
    the view ran it with (a SET LOCAL among the statements is replayed, then undone)."""
    reads, problems = 0, {}
    with transaction.atomic():
        for sql in statements:
            if sql.startswith("SET ") or "set_config(" in sql:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
            elif f' FROM "{table}" ' in sql and " ORDER BY " in sql and " LIMIT " in sql:
                reads += 1
                if found := _problems(sql, table, index):
                    problems[sql] = found
        transaction.set_rollback(True)
    return reads, problems


def _scans(node):
    if "Relation Name" in node:
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


def _problems(sql, table, index):
    """What is wrong with how the database reads `table` for this SQL, if anything."""
    with connection.cursor() as cursor:
        if not is_postgres():
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [row[3] for row in cursor.fetchall()]
            searches = [s for s in steps if re.match(rf"SEARCH {table} USING (COVERING )?INDEX", s)]
            if any("TEMP B-TREE" in s for s in steps) or not searches:
                return steps
            # A page after a cursor must start at it, not at the first row and filter down:
            # the row comparison's first column bounds the index search.
            after = re.search(rf'\("{table}"\."(\w+)", "{table}"\."id"\) ([<>]) \(', sql)
            start = f"{after[1]}{after[2]}" if after else ""
            if all(f"INDEX {index} " in s and start in s for s in searches):
                return []
            return steps
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
    limit = int(re.search(r" LIMIT (\d+)", sql).group(1))
    # A partitioned table is read through its partitions, each by its copy of the index.
    scans = [n for n in _scans(plan) if _parent(n["Relation Name"]) == table]
    read = sum(
        (
            n["Actual Rows"]
            + n.get("Rows Removed by Filter", 0)
            + n.get("Rows Removed by Index Recheck", 0)
        )
        * n["Actual Loops"]
        for n in scans
    )
    # Pages, heap and index: index entries stepped over on the way to the first row show
    # only here.
    pages = sum(n["Shared Hit Blocks"] + n["Shared Read Blocks"] for n in scans)
    indexes = {_parent(n.get("Index Name")) for n in scans}
    # An order other than time reads every partition of the window at once (a Merge Append
    # takes a first row from each before it returns any): one index descent and a row more
    # for each partition after the first. A read in time order takes one partition at a time.
    extra = max(0, sum(1 for n in scans if n["Actual Loops"]) - 1)
    if read <= 2 * limit + extra and pages <= 2 * limit + 10 + 5 * extra and indexes == {index}:
        return []
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql)
        found = f"read {read} rows and {pages} pages for LIMIT {limit} through {indexes}"
        return [found] + [row[0] for row in cursor.fetchall()]


def _parent(name):
    """The partitioned table or index a partition's table or index belongs to, or itself."""
    if name is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else name


def _assert_reads_a_page(statements, table, index, expected_reads=1):
    """The view read `table` expected_reads times, each a page off `index` and no more."""
    reads, problems = _explain_reads(statements, table, index)
    assert reads == expected_reads
    assert not problems, problems


def _older(response):
    return response.context["older_cursor"]


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "gen_account_time"),
        ({"page_size": 200}, "gen_account_time"),
        ({"range": "all"}, "gen_account_time"),
        ({"model": "openai/gpt-4.1"}, "gen_account_model"),
        ({"provider": "google"}, "gen_account_provider"),
        ({"api_key": KEYS[1]}, "gen_account_key"),
        ({"finish_reason": "tool_calls"}, "gen_account_finish"),
    ],
    ids=["first page", "page_size 200", "all time", "model", "provider", "api_key", "finish"],
)
def test_first_page_and_each_single_filter_read_one_page_off_their_index(planner, params, index):
    _, statements = _view_sql(planner, "/logs/", params)
    _assert_reads_a_page(statements, GENERATIONS, index)


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "gen_account_time"),
        ({"model": "openai/gpt-4.1"}, "gen_account_model"),
        ({"api_key": KEYS[1]}, "gen_account_key"),
        ({"finish_reason": "tool_calls"}, "gen_account_finish"),
    ],
    ids=["no filter", "model", "api_key", "finish"],
)
def test_a_newer_page_reads_one_page_off_its_index(planner, params, index):
    # Back from page 3 to page 2: the read runs towards the newer end from a row of today,
    # so its range is today's partition alone, the case where PostgreSQL without statistics
    # once sorted all of a day's matches for the details page's neighbour.
    page_2 = planner.get("/logs/", {**params, "cursor": _older(planner.get("/logs/", params))})
    page_3 = planner.get("/logs/", {**params, "cursor": _older(page_2)})
    newer = {**params, "cursor": page_3.context["newer_cursor"]}
    response, statements = _view_sql(planner, "/logs/", newer)
    assert [g.pk for g in response.context["rows"]] == [g.pk for g in page_2.context["rows"]]
    _assert_reads_a_page(statements, GENERATIONS, index)


NUMERIC = [
    ({"cost_min": "0"}, "gen_account_time"),
    ({"cost_min": "0", "cost_max": "100"}, "gen_account_time"),
    ({"latency_max": "100000", "input_tokens_min": "1", "throughput_min": "0"}, "gen_account_time"),
    ({"model": "openai/gpt-4.1", "cost_min": "0", "cost_max": "100"}, "gen_account_model"),
]
NUMERIC_IDS = ["cost_min", "cost range", "three bounds", "model and cost range"]


@pytest.mark.parametrize(("params", "index"), NUMERIC, ids=NUMERIC_IDS)
def test_numeric_bounds_read_one_page_off_the_index(planner, params, index):
    """A numeric bound has no index: without statistics PostgreSQL guessed a range of costs
    left a few rows and sorted the whole window for them. The page, the details page's
    neighbours, and the one read of the newest rows that serves the summary's sample and the
    volume histogram (logs/histogram.py) walk the index instead."""
    _, statements = _view_sql(planner, "/logs/", params)
    sample = [sql for sql in statements if f" LIMIT {SAMPLE_CAP})" in sql]
    histogram = [sql for sql in sample if "at_second" in sql]
    assert len(sample) == 1 and histogram == sample  # the summary's and the histogram's
    _assert_reads_a_page([s for s in statements if s not in sample], GENERATIONS, index)
    settings = [s for s in statements if s.startswith("SET ")]
    # The histogram groups the rows it read, at most SAMPLE_CAP of them (SQLite with a
    # B-tree); its read itself never sorts.
    _assert_no_sort(settings + histogram, allowed="USE TEMP B-TREE FOR GROUP BY")
    generation_id = f"PLANS{ROWS // 3 + 1:06d}"  # a gpt-4.1 row
    _, statements = _view_sql(planner, f"/logs/{generation_id}/", params)
    _assert_reads_a_page(statements, GENERATIONS, index, expected_reads=2)


def _assert_no_sort(statements, allowed=None):
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            if sql.startswith("SET "):
                cursor.execute(sql)
                continue
            explain = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
            cursor.execute(explain + sql)
            plan = [str(row[0] if is_postgres() else row[3]) for row in cursor.fetchall()]
            steps = [step for step in plan if step != allowed]
            assert not any("Sort" in step or "TEMP B-TREE" in step for step in steps), plan
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "gen_account_time"),
        ({"model": "google/gemini-2.5-flash"}, "gen_account_model"),
        ({"api_key": KEYS[2]}, "gen_account_key"),
    ],
    ids=["no filter", "model", "api_key"],
)
def test_older_and_newer_cursors_read_one_page_off_the_index(planner, params, index):
    page = planner.get("/logs/", params)
    for _ in range(3):
        page = planner.get("/logs/", {**params, "cursor": _older(page)})
    cursor = _older(page)
    response, statements = _view_sql(planner, "/logs/", {**params, "cursor": cursor})
    _assert_reads_a_page(statements, GENERATIONS, index)
    newer = response.context["newer_cursor"]
    _, statements = _view_sql(planner, "/logs/", {**params, "cursor": newer})
    _assert_reads_a_page(statements, GENERATIONS, index)


@pytest.mark.parametrize(
    ("generation_id", "params", "index"),
    [
        (f"PLANS{ROWS // 3:06d}", {}, "gen_account_time"),
        (f"PLANS{ROWS // 3 + 1:06d}", {"model": "openai/gpt-4.1"}, "gen_account_model"),
        (f"PLANS{ROWS // 3 + 2:06d}", {"api_key": KEYS[2]}, "gen_account_key"),
    ],
    ids=["no filter", "model", "api_key"],
)
def test_details_neighbours_read_one_row_each(planner, generation_id, params, index):
    _, statements = _view_sql(planner, f"/logs/{generation_id}/", params)
    _assert_reads_a_page(statements, GENERATIONS, index, expected_reads=2)


def test_details_of_a_generation_older_than_the_window_reads_the_windows_oldest_row(planner):
    response, statements = _view_sql(planner, f"/logs/{OLD_ID}/")
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_time")
    assert response.context["older"] is None
    in_window = Generation.objects.filter(generation_id__startswith="PLANS0")
    assert response.context["newer"] == in_window.order_by("created_at", "id").first()


def test_the_ledger_pages_read_one_page_off_its_index(planner):
    assert LedgerEntry.objects.count() > ROWS
    response, statements = _view_sql(planner, "/billing/")
    _assert_reads_a_page(statements, LEDGER, "ledger_time")
    older = {"cursor": response.context["older_cursor"]}
    _, statements = _view_sql(planner, "/billing/", older)
    _assert_reads_a_page(statements, LEDGER, "ledger_time")


@pytest.mark.parametrize(
    ("params", "index"),
    [({}, "gen_account_time"), ({"api_key": KEYS[0]}, "gen_account_key")],
    ids=["no filter", "api_key"],
)
def test_csv_export_reads_each_chunk_off_the_index(planner, params, index):
    _, statements = _view_sql(planner, "/logs/export.csv", params)
    reads, problems = _explain_reads(statements, GENERATIONS, index)
    assert reads > 2  # chunks
    assert not problems, problems


# ----------------------------------------------------------------------------- sorting

# Sorts with an index of their own; the others (latency, tokens, ...) read the window and keep
# its top rows, by design (logs 0008).
SORTED = [
    ({"sort": "-cost"}, "gen_account_cost"),
    ({"sort": "cost"}, "gen_account_cost"),
    ({"sort": "-cost", "range": "all"}, "gen_account_cost"),
    ({"sort": "created_at"}, "gen_account_time"),
    ({"sort": "created_at", "model": "openai/gpt-4.1"}, "gen_account_model"),
]
SORTED_IDS = ["-cost", "cost", "-cost all time", "created_at", "created_at model"]


@pytest.mark.parametrize(("params", "index"), SORTED, ids=SORTED_IDS)
def test_sorted_first_older_and_newer_pages_read_one_page_off_the_index(planner, params, index):
    """The cursor is a row comparison on (column, id): one index range from the cursor on,
    never the window read and sorted."""
    _, statements = _view_sql(planner, "/logs/", params)
    _assert_reads_a_page(statements, GENERATIONS, index)
    page = planner.get("/logs/", params)
    for _ in range(3):
        page = planner.get("/logs/", {**params, "cursor": _older(page)})
    response, statements = _view_sql(planner, "/logs/", {**params, "cursor": _older(page)})
    _assert_reads_a_page(statements, GENERATIONS, index)
    newer = response.context["newer_cursor"]
    _, statements = _view_sql(planner, "/logs/", {**params, "cursor": newer})
    _assert_reads_a_page(statements, GENERATIONS, index)


def _unknown_cost(i):
    return Generation.objects.get(generation_id=f"PLANS-U{i:06d}")


@pytest.mark.parametrize("sort", ["-cost", "cost"])
def test_a_page_among_unknown_costs_reads_one_page_off_the_cost_index(planner, sort):
    """Unknown costs are a segment of their own, `bill_amount IS NULL AND id < n`: still one
    range of the cost index, in its order."""
    unknown = _unknown_cost(ROWS // 20)
    response, statements = _view_sql(
        planner, "/logs/", {"sort": sort, "cursor": f"ou_{seal(unknown.pk)}"}
    )
    assert len(response.context["rows"]) == 50
    assert all(g.bill_amount is None for g in response.context["rows"])
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_cost")
    newer = response.context["newer_cursor"]
    _, statements = _view_sql(planner, "/logs/", {"sort": sort, "cursor": newer})
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_cost")


def test_a_page_across_the_last_known_cost_reads_each_segment_off_the_index(planner):
    last_known = (
        Generation.objects.filter(generation_id__startswith="PLANS0")
        .order_by("bill_amount", "id")
        .first()
    )
    cursor = f"o{last_known.bill_amount:f}_{seal(last_known.pk + 1)}"
    response, statements = _view_sql(planner, "/logs/", {"sort": "-cost", "cursor": cursor})
    rows = response.context["rows"]
    assert rows[0].pk == last_known.pk and rows[-1].bill_amount is None
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_cost", expected_reads=2)


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"sort": "-cost", "cost_min": "0.003"}, "gen_account_cost"),
        ({"sort": "cost", "cost_min": "0.003", "cost_max": "0.004"}, "gen_account_cost"),
    ],
    ids=["-cost cost_min", "cost, cost range"],
)
def test_a_cost_bound_under_the_cost_sort_reads_one_page_off_the_cost_index(planner, params, index):
    """Bound and order on one index: the bound is where the range starts (or ends)."""
    _, statements = _view_sql(planner, "/logs/", params)
    # The summary's sample of the newest matching rows is another read (see above).
    page = [sql for sql in statements if f" LIMIT {SAMPLE_CAP}" not in sql]
    _assert_reads_a_page(page, GENERATIONS, index)


@pytest.mark.parametrize("sort", ["-cost", "cost"])
def test_sorted_details_neighbours_read_one_row_each(planner, sort):
    # A generation of middling cost (prompt 685 of 500 to 1499), so each neighbour is one
    # read; at the end of the known costs the next one is a second read, among the unknown.
    _, statements = _view_sql(planner, f"/logs/PLANS{ROWS // 3 + 5:06d}/", {"sort": sort})
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_cost", expected_reads=2)
    unknown = _unknown_cost(ROWS // 20).generation_id
    _, statements = _view_sql(planner, f"/logs/{unknown}/", {"sort": sort})
    _assert_reads_a_page(statements, GENERATIONS, "gen_account_cost", expected_reads=2)


def test_sorted_csv_export_reads_each_chunk_off_the_index(planner):
    _, statements = _view_sql(planner, "/logs/export.csv", {"sort": "-cost"})
    reads, problems = _explain_reads(statements, GENERATIONS, "gen_account_cost")
    assert reads > 2  # chunks
    assert not problems, problems
