"""The volume histogram above the log list (logs/histogram.py): bucket sizes that fit every
window, stacked counts equal to the rows, read from the rollups or from a bounded read of the
rows alike, and bars that link to the list of their own time range, other filters kept."""

import datetime as dt
import html
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from logs.listing import buckets
from logs.listing import histogram as hist
from logs.listing.state import ListState
from logs.listing.summary import SAMPLE_CAP
from logs.models import Generation, HourlyRollup, is_failed
from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_B, make_record, store

pytestmark = pytest.mark.django_db

MODELS = [("anthropic/claude-sonnet-4", "anthropic"), ("openai/gpt-4.1", "openai")]
KEY_SECOND = "2534AKzzHISTOGRAM002"
# (finish reason, cancelled): succeeded, an error, cancelled by the flag or by the reason.
OUTCOMES = [("stop", False), ("error", False), ("", True), ("cancelled", False), ("length", False)]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]


# ----------------------------------------------------------------------------- bucket sizes


@pytest.mark.parametrize(
    ("span", "size"),
    [
        (timedelta(minutes=1), timedelta(seconds=1)),
        (timedelta(hours=1), timedelta(minutes=1)),
        (timedelta(hours=24), timedelta(minutes=30)),
        (timedelta(days=7), timedelta(hours=2)),
        (timedelta(days=30), timedelta(hours=12)),
        (timedelta(days=90), timedelta(days=2)),
        (timedelta(days=400), timedelta(days=7)),
        (timedelta(days=365 * 30), timedelta(days=182)),
    ],
)
def test_each_window_gets_a_nice_bucket_size(span, size):
    assert buckets.bucket_size(span) == size


@settings(max_examples=400, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=31, max_value=40 * 365 * 86400),
    zone_name=st.sampled_from(ZONES),
)
def test_every_window_gets_30_to_90_clock_aligned_bars(start, seconds, zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    end = start + timedelta(seconds=seconds)
    size, align, edges = buckets.buckets(start, end, zone)
    assert 30 <= len(edges) - 1 <= 90
    assert edges[0] <= start < edges[1] and edges[-2] < end <= edges[-1]
    assert all(a < b for a, b in zip(edges, edges[1:], strict=False))
    for edge in edges:
        local = edge.astimezone(align)
        if size >= timedelta(days=1):
            assert local.time() == dt.time() or _no_midnight(local)
        else:
            since_midnight = local.hour * 3600 + local.minute * 60 + local.second
            assert since_midnight % size.total_seconds() == 0 or _clock_change_near(edge, align)
    if size >= timedelta(hours=1) and align is not UTC:
        # Whole-hour offsets: every edge is a UTC hour, which the rollups count.
        assert all(hist._is_utc_hour(e) for e in edges)


def _no_midnight(local):
    """Some zones skip midnight itself when their clocks change (then 01:00 starts the day)."""
    return local.minute == 0 and local.second == 0


def _clock_change_near(edge, zone):
    before, after = edge - timedelta(hours=3), edge + timedelta(hours=3)
    return before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()


def test_buckets_start_at_local_midnight_and_weeks_on_monday():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start = datetime(2025, 3, 20, 15, 7, tzinfo=UTC)
    days = buckets.bucket_edges(start, start + timedelta(days=60), timedelta(days=1), berlin)
    assert days[0] == datetime(2025, 3, 20, tzinfo=berlin)
    # Across the spring clock change, the next day still starts at midnight (a 23-hour day).
    spring = [e.astimezone(berlin) for e in days if e.astimezone(berlin).month == 3]
    assert all(e.hour == 0 for e in spring)
    assert days[11] - days[10] == timedelta(hours=23)  # March 30th, 2025
    weeks = buckets.bucket_edges(start, start + timedelta(days=300), timedelta(days=7), berlin)
    assert all(e.astimezone(berlin).weekday() == 0 for e in weeks)


# ----------------------------------------------------------------------------- data


@pytest.fixture
def spread(owner, outsider):
    """Generations across 40 days, every few hours at odd minutes, of two models and two
    keys, each outcome in turn; plus another account's, which must never be counted."""
    now = datetime.now(UTC)
    records = []
    for i in range(300):
        (model, provider), (finish, cancelled) = MODELS[i % 2], OUTCOMES[i % 5]
        records.append(
            make_record(
                generationId=f"HIST{i:04d}",
                createdAt=(now - timedelta(minutes=17 + i * 191)).isoformat(),
                modelSlug=model,
                providerSlug=provider,
                apiKeyId=KEY_A if i % 3 else KEY_SECOND,
                finishReason=finish or None,
                cancelled=cancelled,
                latency=100 + i,
            )
        )
    records += [
        make_record(
            generationId=f"HIST-OTHER{i}",
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            finishReason="error",
            createdAt=(now - timedelta(hours=i)).isoformat(),
        )
        for i in range(20)
    ]
    store(*records)
    return now


def _mine():
    return list(
        Generation.objects.filter(generation_id__startswith="HIST0")
        .select_related("api_key")
        .order_by("created_at")
    )


def _expected(bar, rows, wanted=None):
    """(requests, failed) of the rows in the bar's range that `wanted` keeps, by brute force."""
    inside = [g for g in rows if bar.low <= g.created_at < bar.high and (not wanted or wanted(g))]
    return len(inside), sum(is_failed(g.cancelled, g.finish_reason) for g in inside)


def _histogram(client, params):
    response = client.get("/logs/", params)
    assert response.status_code == 200, response.content[:300]
    return response.context["histogram"], response.content.decode()


def _assert_counts(chart, rows, wanted=None):
    assert chart.bars
    for bar in chart.bars:
        assert bar.counted
        assert (bar.requests, bar.failed) == _expected(bar, rows, wanted), bar.text
    return sum(b.requests for b in chart.bars)


# ----------------------------------------------------------------------------- counts


def test_rollups_count_failed_requests(spread):
    rows = _mine()
    hours = HourlyRollup.objects.filter(account__external_id=rows[0].account.external_id)
    all_hours = hours.filter(dimension="all")
    assert sum(r.errors for r in all_hours) == sum(
        is_failed(g.cancelled, g.finish_reason) for g in rows
    )
    sonnet = hours.filter(dimension="model", value=MODELS[0][0])
    assert sum(r.errors for r in sonnet) == sum(
        is_failed(g.cancelled, g.finish_reason) for g in rows if g.model_slug == MODELS[0][0]
    )
    assert sum(r.errors for r in all_hours) > 0


@pytest.mark.parametrize("zone_name", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("range_", ["7d", "30d", "90d", "all"])
def test_rollup_bars_equal_the_rows_and_the_summary(owner_client, spread, zone_name, range_):
    owner_client.cookies["tz"] = zone_name
    chart, _ = _histogram(owner_client, {"range": range_})
    assert chart.from_rollups and chart.exact
    total = _assert_counts(chart, _mine())
    summary = owner_client.get("/logs/", {"range": range_}).context["summary"]
    assert total == summary.requests > 0
    assert 30 <= len(chart.bars) <= 90


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({"model": MODELS[1][0]}, lambda g: g.model_slug == MODELS[1][0]),
        ({"api_key": KEY_SECOND}, lambda g: g.api_key.external_id == KEY_SECOND),
        ({"finish_reason": ["error", "stop"]}, lambda g: g.finish_reason in ("error", "stop")),
    ],
    ids=["model", "api_key", "two finish reasons"],
)
def test_one_dimension_is_read_from_its_rollups(owner_client, spread, params, wanted):
    chart, _ = _histogram(owner_client, {**params, "range": "30d"})
    assert chart.from_rollups
    assert _assert_counts(chart, _mine(), wanted) > 0


def test_partial_hours_at_both_edges_count_their_rows(owner_client, spread):
    rows = _mine()
    start = rows[40].created_at - timedelta(minutes=3)  # odd minutes: no whole hour at either
    end = rows[260].created_at + timedelta(minutes=3)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    with CaptureQueriesContext(connection) as queries:
        chart, _ = _histogram(owner_client, params)
    assert chart.from_rollups
    assert chart.bars[0].low == start and chart.bars[-1].high == end
    assert _assert_counts(chart, rows) == 221
    # One read per edge hour serves the chart and the summary strip alike.
    raw = [q for q in queries if 'FROM "logs_generation"' in q["sql"] and "COUNT(" in q["sql"]]
    assert len(raw) == 2, [q["sql"] for q in raw]


@pytest.mark.parametrize(
    "params",
    [
        # Both models and both providers: the same rows as no filter, but no one rollup.
        {"model": [m for m, _ in MODELS], "provider": [p for _, p in MODELS], "range": "30d"},
        {"latency_min": "0", "range": "30d"},
        {"range": "24h"},  # half-hour buckets: finer than the rollups' hours
        {"range": "1h"},
    ],
    ids=["two dimensions", "numeric bound", "24h", "1h"],
)
def test_bounded_read_counts_the_same_rows(owner_client, spread, params):
    chart, body = _histogram(owner_client, params)
    assert not chart.from_rollups and chart.exact
    _assert_counts(chart, _mine())
    assert 'data-testid="histogram-note"' not in body


def test_all_time_starts_at_the_retention_horizon(owner_client, spread, settings):
    settings.LOG_RETENTION_DAYS = 10
    chart, _ = _histogram(owner_client, {"range": "all"})
    horizon = datetime.now(UTC) - timedelta(days=10)
    assert abs(chart.bars[0].low - horizon) < timedelta(minutes=1)
    assert chart.from_rollups  # older hours keep their rollups, which are not counted
    total = _assert_counts(chart, _mine())
    assert total == sum(1 for g in _mine() if g.created_at >= chart.bars[0].low) > 0
    assert total < len(_mine())


def test_both_paths_give_the_same_bars(owner_client, spread):
    by_rollups, _ = _histogram(owner_client, {"range": "30d"})
    by_rows, _ = _histogram(owner_client, {"range": "30d", "latency_min": "0"})
    assert by_rollups.from_rollups and not by_rows.from_rollups
    assert [(b.start, b.requests, b.failed) for b in by_rollups.bars] == [
        (b.start, b.requests, b.failed) for b in by_rows.bars
    ]


def test_one_bounded_read_serves_the_chart_and_the_strip(owner_client, spread):
    exact = owner_client.get("/logs/", {"range": "30d"}).context["summary"]
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", {"range": "30d", "latency_min": "0"})
    chart, sampled = response.context["histogram"], response.context["summary"]
    assert not chart.from_rollups and sampled.exact
    # Every row has a latency, so the bound keeps them all: the same figures as the rollups.
    figures = ("requests", "input_tokens", "output_tokens", "avg_latency_ms", "avg_throughput")
    assert [getattr(sampled, f) for f in figures] == [getattr(exact, f) for f in figures]
    assert round(sampled.cost, 8) == round(exact.cost, 8) > 0
    reads = [q["sql"] for q in queries if f"LIMIT {SAMPLE_CAP}" in q["sql"]]
    assert len(reads) == 1, reads


def test_a_bounded_read_that_stops_at_its_cap_says_so(owner_client, spread, monkeypatch):
    monkeypatch.setattr("logs.listing.summary.SAMPLE_CAP", 50)
    chart, body = _histogram(owner_client, {"range": "30d", "latency_min": "0"})
    assert not chart.exact and sum(b.requests for b in chart.bars) == 50
    newest = sorted(_mine(), key=lambda g: g.created_at)[-50:]
    oldest_counted = newest[0].created_at
    for bar in chart.bars:
        assert bar.counted == (bar.start > oldest_counted)
        if bar.counted:
            assert (bar.requests, bar.failed) == _expected(bar, newest)
            assert (bar.requests, bar.failed) == _expected(bar, _mine())
    assert 'data-testid="histogram-note"' in body
    assert "counts only the newest 50 matching requests" in body
    uncounted = next(b for b in chart.bars if not b.counted)
    assert "not counted whole" in uncounted.text and uncounted.linked


def test_rollup_errors_are_filled_for_rows_written_before_the_column(spread):
    migration = __import__("logs.migrations.0010_rollup_errors", fromlist=["fill_errors"])
    before = dict(HourlyRollup.objects.values_list("pk", "errors"))
    HourlyRollup.objects.update(errors=0)
    migration.fill_errors(apps, connection.schema_editor())
    assert dict(HourlyRollup.objects.values_list("pk", "errors")) == before
    assert sum(before.values()) > 0


# ----------------------------------------------------------------------------- links


def _links(body):
    figure = body[body.index('data-testid="volume-histogram"') :]
    figure = figure[: figure.index("</figure>")]
    return [html.unescape(h) for h in re.findall(r'<a href="(/logs/\?[^"]*)"', figure)], figure


def _link_time(text, zone):
    """A link's from or to: local time without an offset, as the filter bar's date inputs
    show them, but where a clock change makes that time ambiguous or skipped."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    local = moment.astimezone(zone)
    assert local.replace(tzinfo=None).replace(tzinfo=zone) != moment  # ambiguous indeed
    return moment


def _count_listed(client, url):
    params = parse_qs(urlsplit(url).query)
    params["page_size"] = ["200"]
    seen = 0
    while True:
        response = client.get("/logs/", params)
        assert response.status_code == 200
        seen += len(response.context["rows"])
        if not response.context["older_cursor"]:
            return seen
        params["cursor"] = [response.context["older_cursor"]]


@pytest.mark.parametrize("zone_name", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_each_bar_links_to_its_range_with_the_other_filters_kept(owner_client, spread, zone_name):
    owner_client.cookies["tz"] = zone_name
    zone = zoneinfo.ZoneInfo(zone_name)
    model = MODELS[0][0]
    params = {"model": model, "range": "30d", "page_size": "25", "cursor": "o1.1"}
    chart, body = _histogram(owner_client, {k: v for k, v in params.items() if k != "cursor"})
    links, _ = _links(body)
    linked = [b for b in chart.bars if b.linked]
    assert len(links) == len(linked) > 10
    assert all(b.requests == 0 for b in chart.bars if not b.linked)
    for bar, link in zip(linked, links, strict=True):
        query = parse_qs(urlsplit(link).query)
        assert query["model"] == [model] and query["page_size"] == ["25"]
        assert query["range"] == ["30d"] and "cursor" not in query
        start, end = _link_time(query["from"][0], zone), _link_time(query["to"][0], zone)
        assert start == bar.low.replace(microsecond=0)
        assert end - bar.high < timedelta(seconds=1) and end >= bar.high
    # Following a link lists what its bar counts (the bar at each edge, and one between).
    for i in (0, len(links) // 2, -1):
        assert _count_listed(owner_client, links[i]) == linked[i].requests


def test_a_bar_link_renders_the_full_page_and_narrows_its_chart(owner_client, spread):
    _, body = _histogram(owner_client, {"range": "7d"})
    link = _links(body)[0][-1]
    response = owner_client.get(link)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="filters"' in page
    chart = response.context["histogram"]
    query = parse_qs(urlsplit(link).query)
    low = datetime.fromisoformat(query["from"][0]).replace(tzinfo=UTC)
    assert chart.bars[0].low == low and 30 <= len(chart.bars) <= 90
    assert chart.size == timedelta(minutes=2)  # a two-hour bucket, in 60 bars
    # The filter bar's date inputs show the bar's window (a datetime-local value takes no
    # offset), so changing another filter keeps it.
    for name in ("from", "to"):
        value = query[name][0]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value)
        assert re.search(rf'<input type="datetime-local" name="{name}"[^>]* value="{value}"', page)


def test_htmx_swap_carries_the_chart(owner_client, spread):
    response = owner_client.get("/logs/", {"range": "24h"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="filters"' not in body
    assert 'data-testid="volume-histogram"' in body and _links(body)[0]


def test_labels_and_titles_are_in_the_viewers_zone(owner_client, spread):
    owner_client.cookies["tz"] = "Asia/Tokyo"
    chart, body = _histogram(owner_client, {"range": "7d"})
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    bar = chart.bars[5]
    start = bar.low.astimezone(tokyo)
    assert bar.text.startswith(f"{start:%Y-%m-%d %H:%M} to ")
    assert start.hour % 2 == 0 and start.minute == 0  # two-hour buckets on Tokyo's clock
    assert "Times in Asia/Tokyo" in body
    assert html.escape(bar.text) in body


def test_chart_is_described_and_each_link_named(owner_client, spread):
    chart, body = _histogram(owner_client, {"range": "7d"})
    _, figure = _links(body)
    assert '<title id="histogram-title">Requests per 2 hours</title>' in figure
    assert 'aria-labelledby="histogram-title histogram-desc"' in figure
    desc = re.search(r'<desc id="histogram-desc">([^<]*)</desc>', figure).group(1)
    assert f"{chart.requests:,} requests" in html.unescape(desc)
    for bar in (b for b in chart.bars if b.linked):
        label = html.escape(bar.text)
        assert f'aria-label="{label}">' in figure and f"<title>{label}</title>" in figure
        assert f"{bar.requests:,} request" in bar.text and f"{bar.failed:,} failed" in bar.text


def test_filter_values_in_links_are_escaped(owner_client, spread):
    # A text search is the one filter whose value is free text; links keep it, escaped.
    evil = '<script>alert(1)</script> "a&range=1h x=\'><b>"'
    chart, body = _histogram(owner_client, {"q": evil, "range": "30d"})
    assert chart is not None and not chart.from_rollups
    links, figure = _links(body)
    assert "<script>" not in figure and "<b>" not in figure and "range=1h" not in figure
    for bar in chart.bars:
        query = parse_qs(urlsplit(f"/logs/?{bar.query}").query)
        assert query["q"] == [evil] and query["range"] == ["30d"]


def test_no_chart_for_a_request_id(owner_client, spread):
    chart, body = _histogram(owner_client, {"request_id": "HIST0001"})
    assert chart is None and 'data-testid="volume-histogram"' not in body


def test_no_chart_for_an_account_without_generations_in_all_time(owner_client):
    chart, _ = _histogram(owner_client, {"range": "all"})
    assert chart is None
    chart, _ = _histogram(owner_client, {})
    assert chart is not None and chart.requests == 0 and not any(b.linked for b in chart.bars)


def test_bad_filters_show_no_chart(owner_client, spread):
    response = owner_client.get("/logs/", {"cost_min": "abc"})
    assert response.status_code == 400
    assert 'data-testid="volume-histogram"' not in response.content.decode()


@pytest.fixture
def busy_hours(owner):
    """Two UTC hours two days apart (a window between them has hour-long bars) with a call
    every five minutes, of varied tokens, costs, latencies, throughputs and outcomes."""
    first = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    records = []
    for hour in (first, first + timedelta(days=2)):
        for i in range(12):
            finish, cancelled = OUTCOMES[i % 5]
            records.append(
                make_record(
                    createdAt=(hour + timedelta(minutes=5 * i, seconds=7)).isoformat(),
                    modelSlug=MODELS[i % 2][0],
                    providerSlug=MODELS[i % 2][1],
                    finishReason=finish or None,
                    cancelled=cancelled,
                    latency=100 + 37 * i,
                    throughput=f"{20 + i}.{i:02d}",
                    nativeFeeTokens={"prompt": 300 + 11 * i, "completion": 20 + 3 * i},
                )
            )
    store(*records)
    return first


@pytest.mark.parametrize(
    ("start_minute", "end_minute", "complements"),
    [(12, 41, 2), (40, 41, 1), (12, 14, 1), (40, 14, 0)],
    ids=["both edges mostly inside", "end only", "start only", "neither"],
)
def test_an_edge_hour_mostly_inside_is_its_rollup_less_the_rest(
    owner_client, busy_hours, start_minute, end_minute, complements
):
    # An edge hour more inside the window than outside is read as the hour's rollup less
    # the rows outside the window: fewer rows either way, and the same figures.
    start = busy_hours + timedelta(minutes=start_minute)
    end = busy_hours + timedelta(days=2, minutes=end_minute)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", params)
    chart, summary = response.context["histogram"], response.context["summary"]
    rows = [g for g in _mine_all() if start <= g.created_at < end]
    assert chart.from_rollups and summary.exact
    assert _assert_counts(chart, rows) == summary.requests == len(rows)
    assert summary.input_tokens == sum(g.input_tokens for g in rows)
    assert summary.output_tokens == sum(g.output_tokens for g in rows)
    assert summary.cost == sum(g.bill_amount for g in rows)
    latencies = [g.first_token_latency_ms for g in rows]
    assert summary.avg_latency_ms == round(sum(latencies) / len(latencies))
    throughputs = [g.throughput for g in rows]
    assert summary.avg_throughput == (sum(throughputs) / len(throughputs)).quantize(Decimal("0.01"))
    hour_reads = [q for q in queries if '"logs_hourlyrollup"."hour" = ' in q["sql"]]
    assert len(hour_reads) == complements, [q["sql"] for q in hour_reads]


def test_an_edge_hour_past_the_retention_horizon_is_read_from_its_rows(
    owner_client, busy_hours, monkeypatch
):
    # The horizon 12 minutes into the first busy hour, and what lay before it pruned: that
    # hour's rollup still counts the pruned rows, so only the rows are read.
    horizon = busy_hours + timedelta(minutes=12)
    monkeypatch.setattr(ListState, "retention_horizon", property(lambda self: horizon))
    Generation.objects.filter(created_at__lt=horizon).delete()  # pruned; rollups stay
    with CaptureQueriesContext(connection) as queries:
        summary = owner_client.get("/logs/", {"range": "all"}).context["summary"]
    assert summary.requests == sum(1 for g in _mine_all() if g.created_at >= horizon)
    first_hour = [q for q in queries if '"logs_hourlyrollup"."hour" = ' in q["sql"]]
    assert first_hour == []


def _mine_all():
    return list(Generation.objects.filter(account__external_id=ACCOUNT_A))
