"""/billing/usage/: 30 days of cost, requests and tokens per day by model and by API key,
read from the hourly rollups only, and equal to the raw sums of the generations."""

import re
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import usage
from logs.models import ApiKey, Generation
from tests.factories import ACCOUNT_B, KEY_A, KEY_B, make_record, store

pytestmark = pytest.mark.django_db

KEY_SECOND = "2534AKzzSECOND000001"
MODELS = [
    ("anthropic/claude-sonnet-4", "anthropic"),
    ("openai/gpt-4.1", "openai"),
    ("acme/unpriced", "acme"),  # unknown cost: counts requests and tokens, adds no cost
]


@pytest.fixture
def spread(owner, outsider):
    """Generations across 35 days, three models, two keys, at every hour of the day, so day
    boundaries in any zone cut between them; plus another account's, which must not count."""
    now = datetime.now(UTC)
    records = []
    for i in range(140):
        model, provider = MODELS[i % 3]
        records.append(
            make_record(
                generationId=f"USE{i:04d}",
                createdAt=(now - timedelta(hours=i * 6 + i % 5, minutes=i % 60)).isoformat(),
                modelSlug=model,
                providerSlug=provider,
                apiKeyId=KEY_A if i % 4 else KEY_SECOND,
                nativeFeeTokens={"prompt": 1000 + i * 37, "completion": 10 + i},
            )
        )
    records.append(
        make_record(
            generationId="USE-OTHER",
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            modelSlug="secret/other-account-model",
            providerSlug="secret",
            nativeFeeTokens={"prompt": 5, "completion": 5},
        )
    )
    store(*records)
    ApiKey.objects.filter(external_id=KEY_SECOND).update(name="Batch jobs")
    return now


def _brute_force(account, dimension, zone, now):
    """The same figures summed in Python over every generation row."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=29)
    sums = defaultdict(lambda: [0, 0, 0, Decimal(0)])
    for g in Generation.objects.filter(account=account).select_related("api_key"):
        day = g.created_at.astimezone(zone).date()
        if not first <= day <= today:
            continue
        value = {"model": g.model_slug, "api_key": g.api_key.external_id, "all": ""}[dimension]
        acc = sums[(day, value)]
        acc[0] += 1
        acc[1] += g.input_tokens
        acc[2] += g.output_tokens
        acc[3] += g.bill_amount or Decimal(0)
    return dict(sums)


def _from_rollups(account, dimension, zone, now):
    rows = usage.daily_usage(account, dimension=dimension, zone=zone, now=now)
    return {
        (r["day"], r["value"]): [r["requests"], r["input_tokens"], r["output_tokens"], r["cost"]]
        for r in rows
    }


@pytest.mark.parametrize("dimension", ["model", "api_key", "all"])
@pytest.mark.parametrize("zone_name", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_daily_rollup_sums_equal_raw_sums_of_generations(spread, account_a, dimension, zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    expected = _brute_force(account_a, dimension, zone, spread)
    assert len({day for day, _ in expected}) >= 25  # the data really spans the window
    assert _from_rollups(account_a, dimension, zone, spread) == expected


def test_report_days_and_parts_add_up_to_the_totals(spread, account_a):
    report = usage.usage_report(account_a, dimension="model", now=spread)
    assert len(report.days) == 30
    assert report.days[-1].day == spread.date()
    raw = _brute_force(account_a, "all", UTC, spread)
    assert report.total.requests == sum(v[0] for v in raw.values())
    assert report.total.cost == sum(v[3] for v in raw.values())
    for day in report.days:
        assert day.total.requests == sum(p.usage.requests for p in day.parts)
        assert day.total.cost == sum(p.usage.cost for p in day.parts)
    assert sum(p.usage.input_tokens for p in report.parts) == report.total.input_tokens
    costs = [p.usage.cost for p in report.parts]
    assert costs == sorted(costs, reverse=True)
    assert isinstance(report.total.cost, Decimal)


def test_page_reads_only_rollups_never_generations(owner_client, spread):
    table = connection.ops.quote_name(Generation._meta.db_table)
    for by in ("model", "api_key"):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get("/billing/usage/", {"by": by})
        assert response.status_code == 200
        assert queries.captured_queries
        assert not [q["sql"] for q in queries.captured_queries if table in q["sql"]]
        assert len(queries.captured_queries) <= 8


def _totals(body):
    return dict(re.findall(r'data-total="(\w+)"[^>]*>([^<]*)<', body))


def test_page_shows_the_30_day_totals_and_each_day(owner_client, spread, account_a):
    body = owner_client.get("/billing/usage/").content.decode()
    raw = _brute_force(account_a, "all", UTC, spread)
    requests = sum(v[0] for v in raw.values())
    cost = sum(v[3] for v in raw.values())
    totals = _totals(body)
    assert totals["requests"] == f"{requests:,}"
    assert totals["input_tokens"] == f"{sum(v[1] for v in raw.values()):,}"
    assert totals["cost"] == f"{cost.quantize(Decimal('0.000001')):,f}"  # six decimals
    assert "Days are in UTC" in body
    assert len(re.findall(r'class="day[^"]*" data-day="', body)) == 30
    for model, _ in MODELS:
        assert f'<tr data-value="{model}">' in body
    assert "secret/other-account-model" not in body


def test_by_api_key_names_the_keys(owner_client, spread):
    body = owner_client.get("/billing/usage/", {"by": "api_key"}).content.decode()
    assert f"Batch jobs ({KEY_SECOND})" in body
    assert f'<tr data-value="{KEY_A}">' in body
    assert 'aria-current="page" class="active" data-by="api_key"' in body
    assert KEY_B not in body


def test_chart_is_an_accessible_svg_with_a_tooltip_per_bar(owner_client, spread):
    body = owner_client.get("/billing/usage/").content.decode()
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert 'role="img"' in svg and 'aria-label="Daily cost in USD for the last 30 days' in svg
    assert len(re.findall(r'<g class="bar" data-day=', svg)) == 30
    assert len(re.findall(r"<g class=\"bar\"[^>]*>\s*<title>", svg)) == 30
    assert re.search(r'<rect class="series-0" [^>]*><title>[^<]+: [\d.,]+ USD</title>', svg)
    assert "style=" not in svg and "<script" not in body.replace('<script src="', "")
    assert ">anthropic/claude-sonnet-4</li>" in body  # the legend


def test_the_per_day_breakdown_is_collapsed_by_day_with_the_days_totals_in_its_summary(
    owner_client, spread, account_a
):
    body = owner_client.get("/billing/usage/").content.decode()
    raw = _brute_force(account_a, "all", UTC, spread)
    by_model = _brute_force(account_a, "model", UTC, spread)
    day_block = r'<details class="day" data-day="([\d-]+)"([^>]*)>(.*?)</details>'
    days = re.findall(day_block, body, re.S)
    assert {date.fromisoformat(day) for day, _, _ in days} == {day for day, _ in raw}
    for day, attributes, block in days:
        assert "open" not in attributes  # collapsed: one line a day until opened
        summary = block[block.index("<summary>") : block.index("</summary>")]
        figures = re.findall(r'<span class="num"[^>]*>([^<]+)</span>', summary)
        requests, input_tokens, output_tokens, cost = raw[(date.fromisoformat(day), "")]
        assert figures == [
            f"{requests:,}",
            f"{input_tokens:,}",
            f"{output_tokens:,}",
            f"{cost.quantize(Decimal('0.000001')):,f}",
        ]
        # Under it, the day's breakdown, one row per model of the day.
        models = {v for (d, v) in by_model if d == date.fromisoformat(day)}
        assert set(re.findall(r'<tr class="day-part" data-value="([^"]+)"', block)) == models
    empty = re.findall(r'<div class="day day-empty" data-day="([\d-]+)"', body)
    assert len(empty) + len(days) == 30 and "<details" not in "".join(empty)


def test_the_chart_stretches_across_its_card_in_percent(owner_client, spread):
    response = owner_client.get("/billing/usage/")
    chart = response.context["chart"]
    assert len(chart.bars) == 30
    first, last = chart.bars[0], chart.bars[-1]
    # The bars span the plot's whole width, evenly: 100% over 30 days.
    assert Decimal(0) < first["x"] < Decimal("1.0")
    assert Decimal(99) < last["x"] + chart.bar_width < Decimal(100)
    assert [label["x"] for label in chart.x_labels][-1] == Decimal("98.333")
    body = response.content.decode()
    plot = body[body.index('<svg class="plot"') : body.index("</svg>")]
    # No viewBox: nothing in it is scaled, so its text keeps its CSS size at any width.
    assert "viewBox" not in plot and 'width="100%"' in plot
    assert re.search(r'<rect class="series-\d" x="[\d.]+%" y="[\d.]+" width="[\d.]+%"', plot)


def test_days_follow_the_viewers_time_zone(owner_client, spread, account_a):
    owner_client.cookies["tz"] = "Asia/Tokyo"
    response = owner_client.get("/billing/usage/")
    assert "your time zone, Asia/Tokyo" in response.content.decode()
    report = response.context["report"]
    zone = zoneinfo.ZoneInfo("Asia/Tokyo")
    raw = _brute_force(account_a, "all", zone, spread)
    assert {d.day: d.total.requests for d in report.days if d.total.requests} == {
        day: v[0] for (day, _), v in raw.items()
    }


def test_a_zone_with_a_half_hour_offset_falls_back_to_utc_days(owner_client, spread):
    owner_client.cookies["tz"] = "Asia/Kolkata"
    body = owner_client.get("/billing/usage/").content.decode()
    assert "Days are in UTC" in body


def test_htmx_switch_gets_only_the_usage_block(owner_client, spread):
    response = owner_client.get("/billing/usage/", {"by": "api_key"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "<svg" in body and 'hx-target="#usage"' in body
    full = owner_client.get("/billing/usage/", {"by": "api_key"}).content.decode()
    assert "<html" in full and 'id="usage"' in full and "billing.css" in full


@pytest.mark.parametrize("by", ["provider", "MODEL", "<script>"])
def test_a_bad_breakdown_is_a_400_with_a_visible_error(owner_client, spread, by):
    response = owner_client.get("/billing/usage/", {"by": by})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body and "not one of the available choices" in body
    assert "<script>" not in body.replace('<script src="', "")
    assert "<svg" not in body
    htmx = owner_client.get("/billing/usage/", {"by": by}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and 'role="alert"' in htmx.content.decode()


def test_an_empty_account_shows_zeroes_and_an_empty_chart(owner_client):
    response = owner_client.get("/billing/usage/")
    assert response.status_code == 200
    body = response.content.decode()
    assert _totals(body)["requests"] == "0"
    assert "No requests in the last 30 days." in body
    assert "<rect" not in body


def test_nice_axis_steps():
    assert usage._nice_step(Decimal("0.051006")) == Decimal("0.02")
    assert usage._nice_step(Decimal("8")) == Decimal("2")
    assert usage._nice_step(Decimal("9")) == Decimal("2.5")
    assert usage._nice_step(Decimal(0)) == Decimal("0.01")
