"""The list's sort: every order against a brute-force sort in Python, unknown values last in
both directions, ties broken by id, keyset pages that never skip or repeat a row either way
under ties, the sortable headers, and everything the list's query goes to (htmx, pager and
details links, the CSV export, the export command, the details page's neighbours)."""

import csv
import io
import json
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logs.listing.filters import SORTS
from logs.models import Generation
from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_B, make_record, store
from zenlogs.sealed import seal

SEALED = seal(42)

pytestmark = pytest.mark.django_db

# sort name: the Generation column it orders by (the one the list shows under that label).
COLUMNS = {
    "created_at": "created_at",
    "cost": "bill_amount",
    "latency": "first_token_latency_ms",
    "generation_time": "generation_time_ms",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "throughput": "throughput",
}
ROWS = 60
# Few distinct values, so every order is mostly ties; None is an unknown value.
COSTS = [None, "0.01", "0.02", "0.01", "0.005"]
LATENCIES = [300, None, 100, 300, 200, 300]
GENERATION_TIMES = [1000, 1000, None, 2000]
PROMPTS = [100, 200, 100]
COMPLETIONS = [10, 10, 20, 30]
THROUGHPUTS = ["20.50", None, "20.50", "30.25"]


def _record(generation_id, created_at, i, cost, **overrides):
    fields = {
        "generationId": generation_id,
        "createdAt": created_at.isoformat(),
        # Not in the price table: the cost is what the record says, or unknown.
        "modelSlug": "acme/mystery",
        "providerSlug": "acme",
        "latency": LATENCIES[i % len(LATENCIES)],
        "generationTime": GENERATION_TIMES[i % len(GENERATION_TIMES)],
        "nativeFeeTokens": {
            "prompt": PROMPTS[i % len(PROMPTS)],
            "completion": COMPLETIONS[i % len(COMPLETIONS)],
        },
        "throughput": THROUGHPUTS[i % len(THROUGHPUTS)],
        "originAmount": cost,
        "billAmount": cost,
        **overrides,
    }
    return make_record(**fields)


@pytest.fixture
def rows(owner, outsider):
    """ROWS generations in the default window, three to a timestamp; OLD, past the window,
    and THEIRS, another account's, top every order."""
    now = datetime.now(UTC)
    records = [
        _record(f"SORT{i:03d}", now - timedelta(minutes=i // 3), i, COSTS[i % len(COSTS)])
        for i in range(ROWS)
    ]
    top = {"latency": 99_999, "generationTime": 99_999, "throughput": "999.00"}
    top["nativeFeeTokens"] = {"prompt": 10**6, "completion": 10**6}
    records.append(_record("OLD", now - timedelta(days=10), 0, "5", **top))
    records.append(
        _record("THEIRS", now, 0, "9", accountId=ACCOUNT_B, apiKeyId=KEY_B, **top),
    )
    store(*records)
    return now


def _in_window():
    return list(Generation.objects.filter(generation_id__startswith="SORT"))


def _expected(generations, sort):
    """Brute force: ids in the sort's order, ties by id the same way, unknown values last."""
    column, descending = COLUMNS[sort.removeprefix("-")], sort.startswith("-")
    known = [g for g in generations if getattr(g, column) is not None]
    unknown = [g for g in generations if getattr(g, column) is None]
    known.sort(key=lambda g: (getattr(g, column), g.pk), reverse=descending)
    unknown.sort(key=lambda g: g.pk, reverse=descending)
    return [g.generation_id for g in known + unknown]


def _ids(response):
    assert response.status_code == 200, response.content[:500]
    return [g.generation_id for g in response.context["rows"]]


def _listed(client, params):
    return _ids(client.get("/logs/", {"page_size": 200, **params}))  # every row in one page


def _csv_ids(response):
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [r["Generation ID"] for r in csv.DictReader(io.StringIO(text))]


def test_the_rows_have_the_ties_and_unknowns_the_tests_rely_on(rows):
    generations = _in_window()
    assert len(generations) == ROWS
    for column in COLUMNS.values():
        values = [getattr(g, column) for g in generations]
        known = [v for v in values if v is not None]
        assert len(set(known)) <= len(known) / 3, column  # mostly ties
    for column in ("bill_amount", "first_token_latency_ms", "generation_time_ms", "throughput"):
        assert sum(getattr(g, column) is None for g in generations) >= 10, column
    assert sum(g.bill_amount == Decimal("0.01") for g in generations) == 24


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_lists_the_window_in_its_order_with_unknown_values_last(owner_client, rows, sort):
    assert _listed(owner_client, {"sort": sort}) == _expected(_in_window(), sort)


def test_the_default_is_newest_first(owner_client, rows):
    assert _listed(owner_client, {}) == _listed(owner_client, {"sort": "-created_at"})
    assert _listed(owner_client, {})[:3] == ["SORT002", "SORT001", "SORT000"]


def _walk(client, params, size):
    """The pages, following Older links from the first page to the last."""
    pages, params = [], {**params, "page_size": size}
    response = client.get("/logs/", params)
    while True:
        pages.append(_ids(response))
        older = response.context["older_cursor"]
        if not older:
            return pages, response
        response = client.get("/logs/", {**params, "cursor": older})


@pytest.mark.parametrize("sort", SORTS)
def test_paging_through_ties_visits_every_row_once_and_newer_links_walk_back(
    owner_client, rows, sort
):
    size = 7
    pages, last = _walk(owner_client, {"sort": sort}, size)
    assert len(pages) == math.ceil(ROWS / size)
    assert [g for page in pages for g in page] == _expected(_in_window(), sort)
    # Back from the last page through the Newer links: the same pages, in reverse.
    back, response = [], last
    while newer := response.context["newer_cursor"]:
        response = owner_client.get("/logs/", {"sort": sort, "page_size": size, "cursor": newer})
        back.append(_ids(response))
    assert back == pages[-2::-1]
    assert response.context["on_first_page"] is False  # reached through a cursor ...
    assert response.context["newer_cursor"] is None  # ... and yet the first page, whole


def test_a_page_that_ends_on_the_last_known_value_continues_with_the_unknown_ones(
    owner_client, rows
):
    known = [g for g in _expected(_in_window(), "cost") if not g.endswith(("0", "5"))]
    size = len(known)  # costs are unknown for every fifth row: SORT000, SORT005, ...
    pages, _ = _walk(owner_client, {"sort": "cost"}, size)
    assert pages[0] == _expected(_in_window(), "cost")[:size]
    assert all(Generation.objects.get(generation_id=g).bill_amount is None for g in pages[1])
    pages, _ = _walk(owner_client, {"sort": "cost"}, size - 1)
    assert [g for page in pages for g in page] == _expected(_in_window(), "cost")


def test_rows_arriving_during_a_sorted_walk_cause_no_duplicates_or_skips(owner_client, rows):
    before = _expected(_in_window(), "-cost")
    seen, arrived = [], 0
    params = {"sort": "-cost", "page_size": 8}
    response = owner_client.get("/logs/", params)
    while True:
        seen += _ids(response)
        # Rows that land before, among and after the rows still to come.
        for cost in ("1", "0.01", None):
            arrived += 1
            store(_record(f"NEW{arrived:03d}", datetime.now(UTC), arrived, cost))
        if not response.context["older_cursor"]:
            break
        response = owner_client.get(
            "/logs/", {**params, "cursor": response.context["older_cursor"]}
        )
    assert len(seen) == len(set(seen))
    assert [g for g in seen if not g.startswith("NEW")] == before


def test_sorting_applies_within_the_window_and_the_filters(owner_client, rows):
    assert "OLD" not in _listed(owner_client, {"sort": "-cost"})
    assert _listed(owner_client, {"sort": "-cost", "range": "all"})[0] == "OLD"
    assert _listed(owner_client, {"sort": "-cost", "range": "all"})[-1] == "SORT000"
    in_window = _in_window()
    bounded = [
        g for g in in_window if g.bill_amount is not None and g.bill_amount >= Decimal("0.01")
    ]
    assert _listed(owner_client, {"sort": "cost", "cost_min": "0.01"}) == _expected(bounded, "cost")
    latency = [g for g in in_window if (g.first_token_latency_ms or 10**6) <= 200]
    assert _listed(owner_client, {"sort": "-cost", "latency_max": "200"}) == _expected(
        latency, "-cost"
    )
    since = (rows - timedelta(minutes=10)).isoformat()
    recent = [g for g in in_window if g.created_at >= rows - timedelta(minutes=10)]
    assert _listed(owner_client, {"sort": "-latency", "from": since}) == _expected(
        recent, "-latency"
    )


def test_sorting_applies_within_a_column_filter(owner_client, rows):
    now = datetime.now(UTC)
    store(
        *[
            _record(f"ACME{i}", now, i, cost, modelSlug="acme/other", providerSlug="acme2")
            for i, cost in enumerate(["0.5", None, "0.7", "0.5"])
        ]
    )
    by_model = _listed(owner_client, {"sort": "-cost", "model": "acme/other"})
    assert by_model == ["ACME2", "ACME3", "ACME0", "ACME1"]
    by_provider = _listed(owner_client, {"sort": "cost", "provider": "acme2"})
    assert by_provider == ["ACME0", "ACME3", "ACME2", "ACME1"]


@pytest.mark.parametrize("sort", ["cost_desc", "-model", "input_tokens", "throughput", "-id"])
def test_an_unknown_sort_is_a_400_naming_it(owner_client, rows, sort):
    response = owner_client.get("/logs/", {"sort": sort})
    assert response.status_code == 400
    assert "sort" in response.context["filter"].form.errors
    body = response.content.decode()
    assert "<code>sort</code>" in body and "<tr id=" not in body
    partial = owner_client.get("/logs/", {"sort": sort}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 400 and b"<code>sort</code>" in partial.content
    export = owner_client.get("/logs/export.csv", {"sort": sort})
    assert export.status_code == 400 and b"sort" in export.content


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("-cost", f"o1755830958000000.{SEALED}"),  # a created_at cursor
        ("-created_at", f"o0.01_{SEALED}"),  # a cost cursor
        ("-input_tokens", f"ou_{SEALED}"),  # never unknown
        ("-created_at", f"ou_{SEALED}"),
        ("-latency", f"o1.5_{SEALED}"),  # whole milliseconds
        ("-latency", f"o99999999999999999999_{SEALED}"),  # past 2**63 - 1
        ("-cost", f"o0.01_{seal(2**63)}"),
        ("-created_at", f"o1755830958000000.{seal(2**63)}"),
        ("-cost", "o0.01_"),
        ("-cost", f"x0.01_{SEALED}"),
        ("-cost", f"o1e5_{SEALED}"),
        ("-cost", f"oNaN_{SEALED}"),
        ("-cost", "o0.01_42"),  # an id as it is, not sealed
        ("-created_at", "o1755830958000000.42"),
    ],
)
def test_a_cursor_that_is_no_position_in_the_sort_is_a_400(owner_client, rows, sort, cursor):
    response = owner_client.get("/logs/", {"sort": sort, "cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.context["filter"].form.errors


def test_any_position_in_the_order_is_a_cursor(owner_client, rows):
    """A cursor need not name a listed row: between two values, on a tie, in the unknown
    segment or past either end, a page starts right after it."""
    expected = _expected(_in_window(), "-cost")
    costs = {g.generation_id: g.bill_amount for g in _in_window()}
    unknown = [g for g in expected if costs[g] is None]

    def page(cursor):
        return _listed(owner_client, {"sort": "-cost", "cursor": cursor})

    below = [g for g in expected if costs[g] is not None and costs[g] < Decimal("0.015")]
    assert page(f"o0.015_{seal(1)}") == below + unknown
    top = Generation.objects.get(generation_id=expected[0])
    assert page(f"o{top.bill_amount}_{seal(top.pk)}") == expected[1:]
    assert page(f"o-1_{seal(1)}") == unknown
    assert page(f"ou_{seal(Generation.objects.get(generation_id=unknown[-1]).pk)}") == []
    assert page(f"ou_{seal(Generation.objects.get(generation_id=unknown[1]).pk)}") == unknown[2:]


def _header(body, label):
    """The <th> whose text starts with label."""
    for header in re.findall(r"<th[ >].*?</th>", body):
        if re.sub(r"<[^>]+>", "", header).startswith(label):
            return header
    raise AssertionError(label)


def _href(header):
    return re.search(r'<a class="sort" href="([^"]*)"', header).group(1).replace("&amp;", "&")


def test_headers_sort_by_their_column_and_the_current_one_says_how(owner_client, rows):
    body = owner_client.get("/logs/").content.decode()
    assert body.count("aria-sort=") == 1
    timestamp = _header(body, "Timestamp")
    assert 'aria-sort="descending"' in timestamp and "↓" in timestamp
    assert _href(timestamp) == "?sort=created_at"
    assert _href(_header(body, "Cost (USD)")) == "?sort=-cost"
    assert "aria-sort" not in _header(body, "Cost (USD)")
    for label, sort in [
        ("Input Tokens", "-input_tokens"),
        ("Output Tokens", "-output_tokens"),
        ("Latency (ms)", "-latency"),
        ("Throughput (tps)", "-throughput"),
    ]:
        assert _href(_header(body, label)) == f"?sort={sort}"
    assert "<a" not in _header(body, "Model") and "<a" not in _header(body, "Finish")

    body = owner_client.get("/logs/", {"sort": "-cost"}).content.decode()
    cost = _header(body, "Cost (USD)")
    assert body.count("aria-sort=") == 1 and 'aria-sort="descending"' in cost and "↓" in cost
    assert _href(cost) == "?sort=cost"
    assert _href(_header(body, "Timestamp")) == "?"  # back to the default

    body = owner_client.get("/logs/", {"sort": "cost"}).content.decode()
    cost = _header(body, "Cost (USD)")
    assert 'aria-sort="ascending"' in cost and "↑" in cost and _href(cost) == "?sort=-cost"

    # No "lowest first" for tokens and throughput: a second click goes back to the default.
    body = owner_client.get("/logs/", {"sort": "-input_tokens"}).content.decode()
    tokens = _header(body, "Input Tokens")
    assert 'aria-sort="descending"' in tokens and _href(tokens) == "?"
    body = owner_client.get("/logs/", {"sort": "created_at"}).content.decode()
    timestamp = _header(body, "Timestamp")
    assert 'aria-sort="ascending"' in timestamp and _href(timestamp) == "?"


def test_a_header_keeps_the_filters_and_starts_from_the_first_page(owner_client, rows):
    first = owner_client.get("/logs/", {"range": "24h", "page_size": 5, "sort": "-cost"})
    params = {
        "range": "24h",
        "page_size": 5,
        "sort": "-cost",
        "cursor": first.context["older_cursor"],
    }
    body = owner_client.get("/logs/", params).content.decode()
    cost = _header(body, "Cost (USD)")
    assert _href(cost) == "?range=24h&page_size=5&sort=cost"
    assert f'hx-get="{_href(cost).replace("&", "&amp;")}"' in cost
    assert 'hx-target="#results" hx-push-url="true"' in cost


def test_the_sort_travels_with_the_form_the_pager_and_the_links(owner_client, rows):
    hidden = '<input type="hidden" name="sort" value="-cost" form="filters">'
    response = owner_client.get("/logs/", {"sort": "-cost", "page_size": 5})
    body = response.content.decode()
    assert body.count(hidden) == 1
    assert '<form method="get" action="/logs/" class="filters" id="filters"' in body
    older = response.context["older_cursor"]
    assert f'href="?sort=-cost&amp;page_size=5&amp;cursor={older}" rel="next"' in body
    first = response.context["rows"][0].generation_id
    assert f'href="/logs/{first}/?sort=-cost&amp;page_size=5"' in body
    assert 'href="/logs/export.csv?sort=-cost&amp;page_size=5"' in body
    # The htmx partial carries it too, since a header click swaps only the results.
    partial = owner_client.get("/logs/", {"sort": "-cost"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and hidden.encode() in partial.content
    # Under an error elsewhere the sort is kept; an unknown sort is not carried on.
    bad = owner_client.get("/logs/", {"sort": "-cost", "cost_min": "abc"}).content.decode()
    assert hidden in bad
    assert 'name="sort"' not in owner_client.get("/logs/", {"sort": "-nope"}).content.decode()
    assert 'name="sort"' not in owner_client.get("/logs/").content.decode()


@pytest.mark.parametrize("sort", ["-cost", "cost", "latency", "-throughput", "created_at"])
def test_csv_export_follows_the_sort_across_chunks(owner_client, rows, monkeypatch, sort):
    monkeypatch.setattr("logs.listing.exports.CHUNK", 4)
    response = owner_client.get("/logs/export.csv", {"sort": sort, "cursor": "o1.1"})
    assert _csv_ids(response) == _expected(_in_window(), sort)
    bounded = owner_client.get("/logs/export.csv", {"sort": sort, "cost_max": "0.01"})
    cheap = [
        g for g in _in_window() if g.bill_amount is not None and g.bill_amount <= Decimal("0.01")
    ]
    assert _csv_ids(bounded) == _expected(cheap, sort)


def _export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_generations", "--account", ACCOUNT_A, *args, stdout=out, stderr=err)
    return [json.loads(line)["generationId"] for line in out.getvalue().splitlines()]


def test_export_command_takes_the_sort(rows, monkeypatch):
    monkeypatch.setattr("logs.listing.exports.CHUNK", 4)
    everything = [*_in_window(), Generation.objects.get(generation_id="OLD")]
    assert _export("--sort=-cost") == _expected(everything, "-cost")
    assert _export("--sort", "latency", "--cost-min", "0.01") == _expected(
        [g for g in everything if g.bill_amount is not None and g.bill_amount >= Decimal("0.01")],
        "latency",
    )
    assert _export() == _expected(everything, "-created_at")
    with pytest.raises(CommandError, match="--sort"):
        _export("--sort=-model")


@pytest.mark.parametrize("sort", ["-cost", "cost", "latency", "-generation_time"])
def test_details_neighbours_are_the_rows_either_side_in_the_sort(owner_client, rows, sort):
    expected = _expected(_in_window(), sort)
    column = COLUMNS[sort.removeprefix("-")]
    values = {g.generation_id: getattr(g, column) for g in _in_window()}
    first_unknown = next(i for i, g in enumerate(expected) if values[g] is None)
    # Inside a run of ties, at each end, and either side of the step to the unknown values.
    for at in (0, 5, 6, first_unknown - 1, first_unknown, first_unknown + 1, len(expected) - 1):
        response = owner_client.get(f"/logs/{expected[at]}/", {"sort": sort, "page_size": 7})
        context = response.context
        assert (context["newer"] and context["newer"].generation_id) == (
            expected[at - 1] if at else None
        ), at
        assert (context["older"] and context["older"].generation_id) == (
            expected[at + 1] if at + 1 < len(expected) else None
        ), at
    body = owner_client.get(f"/logs/{expected[5]}/", {"sort": sort}).content.decode()
    assert (
        f'href="/logs/{expected[4]}/?sort={sort}" rel="prev" data-testid="newer">↑ Previous' in body
    )
    assert f'href="/logs/{expected[6]}/?sort={sort}" rel="next" data-testid="older">↓ Next' in body
    assert f'href="/logs/?sort={sort}">← Logs' in body


def test_details_labels_stay_newer_and_older_in_the_default_order(owner_client, rows):
    body = owner_client.get("/logs/SORT010/").content.decode()
    assert "↑ Newer</a>" in body and "↓ Older</a>" in body
    assert "Previous" not in body


def test_details_of_a_generation_outside_the_window_oldest_first(owner_client, rows):
    # OLD is older than the default window: oldest first, every listed row comes after it.
    expected = _expected(_in_window(), "created_at")
    context = owner_client.get("/logs/OLD/", {"sort": "created_at"}).context
    assert context["newer"] is None and context["older"].generation_id == expected[0]
    context = owner_client.get("/logs/OLD/").context
    assert context["older"] is None
    assert context["newer"].generation_id == _expected(_in_window(), "-created_at")[-1]
    # In another order OLD's value is a place like any other: its cost tops the window's.
    context = owner_client.get("/logs/OLD/", {"sort": "-cost"}).context
    assert context["newer"] is None
    assert context["older"].generation_id == _expected(_in_window(), "-cost")[0]


def test_details_with_a_bad_sort_shows_the_page_without_neighbours(owner_client, rows):
    response = owner_client.get("/logs/SORT010/", {"sort": "-nope"})
    assert response.status_code == 200
    assert response.context["newer"] is None and response.context["older"] is None


def test_sorted_pages_use_no_offset_and_a_constant_number_of_queries(owner_client, rows):
    counts = []
    for size in (5, 20):
        first = owner_client.get("/logs/", {"sort": "-cost", "page_size": size})
        params = {"sort": "-cost", "page_size": size, "cursor": first.context["older_cursor"]}
        with CaptureQueriesContext(connection) as queries:
            owner_client.get("/logs/", params)
        counts.append(len(queries))
        assert not any(" OFFSET " in q["sql"].upper() for q in queries)
    assert counts[0] == counts[1]


def test_anonymous_is_sent_to_sign_in_and_other_accounts_rows_never_show(
    client, outsider_client, rows
):
    assert _listed(outsider_client, {"sort": "-cost", "range": "all"}) == ["THEIRS"]
    client.logout()
    response = client.get("/logs/", {"sort": "-cost"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _sorts_ruled_out_at(statements, marker):
    """Whether sorts were ruled out (zenlogs.keyset.index_order) when the first statement
    containing marker ran."""
    off = False
    for sql in statements:
        if sql.startswith("SET LOCAL enable_sort"):
            off = True
        elif "set_config('enable_sort'" in sql:
            off = False
        elif marker in sql:
            return off
    raise AssertionError(marker)


def test_only_reads_an_index_can_serve_rule_sorts_out(owner_client, rows):
    """Under a numeric bound reads walk an index with sorts ruled out; a read in an order no
    index keeps must sort, and is left to do so."""
    for sort, indexed in [("-latency", False), ("-cost", True), ("-created_at", True)]:
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get("/logs/", {"sort": sort, "cost_min": "0"})
        assert response.status_code == 200
        statements = [q["sql"] for q in queries.captured_queries]
        column = COLUMNS[sort.removeprefix("-")]
        page_read = f'ORDER BY "logs_generation"."{column}" DESC'
        if connection.vendor == "postgresql":
            assert _sorts_ruled_out_at(statements, page_read) is indexed, sort
            # The summary's sample is read newest first, off the time index, either way.
            assert _sorts_ruled_out_at(statements, "SUM(") is True, sort
