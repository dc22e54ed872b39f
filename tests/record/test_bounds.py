"""What ingestion accepts, every page, export and command can store, show and page: dates
from 1970 to 2200 (UTC) and amounts within MAX_MONEY; anything outside is refused alone,
naming its field, and `from`/`to` take exactly the same range."""

import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.models import FEE_ITEMS, INPUT_FEE_ITEMS
from logs.ingest import ingest
from logs.listing.summary import SAMPLE_CAP
from logs.models import Generation, HourlyRollup
from logs.record.values import MAX_CREATED_AT, MAX_TOKENS, MIN_CREATED_AT
from logs.templatetags.console import usd
from tests.conftest import is_postgres
from tests.factories import ACCOUNT_A, make_record, post_records, store

pytestmark = pytest.mark.django_db

OLDEST = "1970-01-01T00:00:00.000+00:00"
NEWEST = "2199-12-31T23:59:59.999+00:00"
ZONES = ("UTC", "Pacific/Kiritimati", "Etc/GMT+12", "America/New_York", "Asia/Kolkata")


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ------------------------------------------------------------------------ createdAt


@pytest.mark.parametrize(
    "created_at",
    [
        "0001-01-01T00:00:00+05:00",  # astimezone overflows below year 1
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00-05:00",
        "9999-12-31T23:59:59-01:00",  # astimezone overflows past year 9999
        "9999-12-31T23:59:59+00:00",
        "1969-12-31T23:59:59.999+00:00",
        "1970-01-01T04:59:59+05:00",  # 1969 in UTC
        "2200-01-01T00:00:00+00:00",  # the upper bound is exclusive
        "2199-12-31T23:00:00-01:00",  # 2200 in UTC
        MAX_CREATED_AT.isoformat(),
        (MIN_CREATED_AT - timedelta.resolution).isoformat(),
    ],
)
def test_created_at_outside_the_range_is_refused_alone(client, ingest_token, created_at):
    bad, good = make_record(createdAt=created_at), make_record()
    response = post_records(client, ingest_token, [bad, good])
    assert response.status_code == 207
    rejected, created = response.json()["results"]
    assert rejected["status"] == "rejected"
    assert [e["field"] for e in rejected["errors"]] == ["createdAt"]
    assert "1970-01-01" in rejected["errors"][0]["message"]
    assert created["status"] == "created"
    assert list(Generation.objects.values_list("generation_id", flat=True)) == [
        good["generationId"]
    ]


@pytest.mark.parametrize(
    "created_at",
    [
        "1970-01-01T00:00:00+00:00",
        "1970-01-01T05:00:00+05:00",
        "1969-12-31T12:00:00-12:00",
        "2199-12-31T23:59:59.999999+00:00",
        "2200-01-01T13:59:59+14:00",
        MIN_CREATED_AT.isoformat(),
        (MAX_CREATED_AT - timedelta.resolution).isoformat(),
    ],
)
def test_created_at_at_the_edges_of_the_range_is_stored(client, ingest_token, created_at):
    record = make_record(createdAt=created_at)
    response = post_records(client, ingest_token, record)
    assert response.status_code == 200, response.content
    stored = Generation.objects.get()
    assert stored.created_at == datetime.fromisoformat(created_at)


def test_import_reports_an_out_of_range_created_at_as_a_rejected_line(owner, tmp_path):
    path = tmp_path / "gens.jsonl"
    good = make_record()
    lines = [make_record(createdAt="0001-01-01T00:00:00+05:00"), good]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    out, _ = _run("import_generations", str(path), "--no-progress")
    assert "1 created, 0 duplicate, 1 rejected" in out
    rejects = [json.loads(line) for line in path.with_name("gens.jsonl.rejects.jsonl").open()]
    assert [r["line"] for r in rejects] == [1]
    assert rejects[0]["errors"][0]["field"] == "createdAt"
    assert Generation.objects.get().generation_id == good["generationId"]


# ----------------------------------------------------------------- pages at the edges


@pytest.fixture
def edge_generations(owner):
    return store(make_record(createdAt=OLDEST), make_record(createdAt=NEWEST))


@pytest.mark.parametrize("zone", ZONES)
def test_all_time_shows_the_oldest_and_newest_dates_in_every_zone(
    owner_client, edge_generations, zone
):
    owner_client.cookies["tz"] = zone
    for query in ("range=all", "range=all&sort=created_at", "range=all&model=x", "range=all&q=hi"):
        response = owner_client.get(f"/logs/?{query}")
        assert response.status_code in (200, 400), (query, response.status_code)
    response = owner_client.get("/logs/?range=all")
    assert response.status_code == 200
    page = response.content.decode()
    for generation in edge_generations:
        assert generation.generation_id in page
    assert "histogram" in page


@pytest.mark.parametrize("zone", ZONES)
def test_every_page_of_the_edge_dates_answers(owner_client, owner_token, edge_generations, zone):
    owner_client.cookies["tz"] = zone
    for generation in edge_generations:
        gid = generation.generation_id
        for url in (f"/logs/{gid}/?range=all", f"/logs/{gid}/?view=json"):
            assert owner_client.get(url).status_code == 200, url
        api = owner_client.get(
            f"/api/v1/generation?id={gid}", HTTP_AUTHORIZATION=f"Bearer {owner_token}"
        )
        assert api.status_code == 200
    for url in ("/billing/", "/billing/usage/", "/billing/usage/?by=api_key"):
        assert owner_client.get(url).status_code == 200, url
    rows = list(csv.reader(io.StringIO(_csv(owner_client, "range=all"))))
    assert [r[0] for r in rows[1:]] == [NEWEST, OLDEST]


def test_jsonl_export_of_the_edge_dates_reimports(owner, edge_generations, tmp_path):
    out, _ = _run("export_generations", "--account", ACCOUNT_A)
    assert [json.loads(line)["createdAt"] for line in out.splitlines()] == [NEWEST, OLDEST]


def _csv(client, query):
    response = client.get(f"/logs/export.csv?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


# ------------------------------------------------------------------ from and to


OUT_OF_RANGE = (
    "0001-01-01T00:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59+14:00",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00+14:00",
    "2200-01-01T00:00:01Z",
)
EDGE_ZONES = ("Pacific/Kiritimati", "Etc/GMT+12", "America/New_York")


@pytest.mark.parametrize("zone", EDGE_ZONES)
@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_from_or_to_outside_the_range_is_a_form_error_naming_it(
    owner_client, owner, zone, field, value
):
    owner_client.cookies["tz"] = zone
    response = owner_client.get("/logs/", {field: value})
    assert response.status_code == 400
    errors = response.context["filter"].form.errors
    assert list(errors) == [field]
    assert "1970-01-01" in errors[field][0]
    assert "1970-01-01" in response.content.decode()
    for histogram in ("/logs/", "/logs/export.csv"):
        answer = owner_client.get(histogram, {field: value, "range": "all"})
        assert answer.status_code == 400
    csv_answer = owner_client.get("/logs/export.csv", {field: value})
    assert csv_answer.content.decode().startswith(f"Invalid filters: {field}: ")


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("option", ["--from", "--to"])
def test_export_command_refuses_a_window_outside_the_range_naming_the_option(owner, value, option):
    with pytest.raises(CommandError, match=f"^{option}: .*1970-01-01"):
        _run("export_generations", "--account", ACCOUNT_A, option, value)


@pytest.mark.parametrize("zone", ("UTC", *EDGE_ZONES))
def test_the_widest_window_the_range_allows_lists_everything(owner_client, edge_generations, zone):
    owner_client.cookies["tz"] = zone
    window = {"from": "1970-01-01T00:00:00Z", "to": "2200-01-01T00:00:00Z"}
    response = owner_client.get("/logs/", window)
    assert response.status_code == 200
    for generation in edge_generations:
        assert generation.generation_id in response.content.decode()
    assert response.context["histogram"] is not None
    rows = list(
        csv.reader(io.StringIO(_csv(owner_client, "&".join(f"{k}={v}" for k, v in window.items()))))
    )
    assert len(rows) == 3
    out, _ = _run(
        "export_generations", "--account", ACCOUNT_A, "--from", window["from"], "--to", window["to"]
    )
    assert len(out.splitlines()) == 2


# ------------------------------------------------------------ empty windows


@pytest.mark.parametrize("end", ["2026-03-08T03:30", "2026-03-08T03:00"])
def test_a_window_inside_a_daylight_saving_gap_is_an_empty_list(owner_client, owner, end):
    # Clocks in New York skip from 02:00 to 03:00 on 2026-03-08: 02:30 (read with the offset
    # before the change) and 03:30 are one instant, 07:30 UTC, and 03:00 is 07:00 UTC. As
    # typed, the window looks right; it is empty, not an error.
    store(make_record(createdAt="2026-03-08T07:29:59+00:00"))
    store(make_record(createdAt="2026-03-08T07:30:00+00:00"))
    owner_client.cookies["tz"] = "America/New_York"
    window = {"from": "2026-03-08T02:30", "to": end}
    response = owner_client.get("/logs/", window)
    assert response.status_code == 200
    assert list(response.context["rows"]) == []
    assert response.context["summary"].requests == 0
    assert 'aria-label="Summary of the current filters"' in response.content.decode()
    partial = owner_client.get("/logs/", window, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    rows = list(csv.reader(io.StringIO(_csv(owner_client, f"from=2026-03-08T02:30&to={end}"))))
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-08T02:30", "2026-03-08T02:30"),
        ("2026-03-08T03:30", "2026-03-08T02:30"),
        ("2026-03-08T03:30:00-04:00", "2026-03-08T07:30:00Z"),
        ("2026-03-08T09:00:00Z", "2026-03-08T03:30"),
    ],
)
def test_a_window_that_ends_where_or_before_it_starts_is_a_form_error(
    owner_client, owner, start, end
):
    owner_client.cookies["tz"] = "America/New_York"
    response = owner_client.get("/logs/", {"from": start, "to": end})
    assert response.status_code == 400
    assert list(response.context["filter"].form.errors) == ["to"]


@pytest.mark.parametrize("zone", ("UTC", *EDGE_ZONES))
@pytest.mark.parametrize(
    "window",
    [
        {"from": "2026-03-08T07:30:00Z", "to": "2026-03-08T07:30:00.000001Z"},
        {"from": "2199-12-31T23:59:59Z", "to": "2200-01-01T00:00:00Z"},
        {"from": "1970-01-01T00:00:00Z", "to": "1970-01-01T00:00:01Z"},
        {"from": "2199-12-31T00:00:00Z"},
        {"to": "1970-01-01T00:00:01Z"},
    ],
)
def test_the_shortest_windows_and_those_at_the_ends_of_the_range_answer(
    owner_client, edge_generations, zone, window
):
    owner_client.cookies["tz"] = zone
    response = owner_client.get("/logs/", window)
    assert response.status_code == 200


# ------------------------------------------------------------ amounts and counts

BIGGEST_AMOUNT = "9999999999999.99"  # below MAX_MONEY, with cents: 15 digits, exact on SQLite
BIGGEST_THROUGHPUT = "999999999999.99"
AMOUNT_KEYS = ("originAmount", "billAmount", "discountAmount", "realAmount", "nonpaymentAmount")


def _biggest_record(**overrides):
    """A record at the top of every bounded number the validator accepts."""
    detail = {
        "feeItemCode": "prompt",
        "rate": BIGGEST_AMOUNT,
        "originAmount": BIGGEST_AMOUNT,
        "discountAmount": BIGGEST_AMOUNT,
        "billAmount": BIGGEST_AMOUNT,
    }
    return make_record(
        createdAt="2026-01-01T10:00:00+00:00",
        generationTime=2**31 - 1,
        latency=2**31 - 1,
        moderationLatency=2**31 - 1,
        requestRetryTimes=2**31 - 1,
        throughput=BIGGEST_THROUGHPUT,
        nativeFeeTokens=dict.fromkeys(FEE_ITEMS, MAX_TOKENS),
        ratingResponses={
            "billAmount": BIGGEST_AMOUNT,
            "discountAmount": f"-{BIGGEST_AMOUNT}",
            "originAmount": BIGGEST_AMOUNT,
            "priceVersion": "0.0.3",
            "ratingDetails": [detail],
            "serviceCode": "x",
        },
        **dict.fromkeys(AMOUNT_KEYS, BIGGEST_AMOUNT),
        **overrides,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"billAmount": "99999999999999.99"}, "billAmount"),
        ({"billAmount": "10000000000000"}, "billAmount"),
        ({"originAmount": "-10000000000000"}, "originAmount"),
        ({"realAmount": 10**13}, "realAmount"),
        ({"throughput": "999999999999.995"}, "throughput"),  # 10**12 once rounded to cents
        ({"throughput": "1000000000000"}, "throughput"),
        ({"nativeFeeTokens": {"prompt": MAX_TOKENS + 1}}, "nativeFeeTokens.prompt"),
        ({"nativeFeeTokens": {"web_search": 2**53 - 1}}, "nativeFeeTokens.web_search"),
        ({"nativeFeeTokens": {"some_new_item": 2**53 - 1}}, "nativeFeeTokens.some_new_item"),
        ({"ratingResponses": {"billAmount": "1E+13"}}, "ratingResponses.billAmount"),
        (
            {"ratingResponses": {"ratingDetails": [{"feeItemCode": "prompt", "rate": 10**13}]}},
            "ratingResponses.ratingDetails[0].rate",
        ),
    ],
)
def test_numbers_past_what_every_page_shows_are_refused_alone(
    client, ingest_token, overrides, field
):
    bad, good = make_record(**overrides), make_record()
    response = post_records(client, ingest_token, [bad, good])
    assert response.status_code == 207
    rejected, created = response.json()["results"]
    assert [e["field"] for e in rejected["errors"]] == [field]
    assert created["status"] == "created"


def test_the_biggest_numbers_are_stored_and_read_back_exactly(
    owner_client, ingest_token, owner_token
):
    record = _biggest_record()
    assert post_records(owner_client, ingest_token, record).status_code == 200
    raw = owner_client.get(
        f"/api/v1/generation?id={record['generationId']}",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert raw.status_code == 200
    metadata = json.loads(raw.content, parse_float=Decimal)
    for key in AMOUNT_KEYS:
        assert metadata[key] == BIGGEST_AMOUNT
    assert metadata["throughput"] == BIGGEST_THROUGHPUT
    assert metadata["nativeFeeTokens"] == dict.fromkeys(FEE_ITEMS, MAX_TOKENS)
    assert metadata["latency"] == 2**31 - 1
    rating = metadata["ratingResponses"]
    assert rating["billAmount"] == rating["ratingDetails"][0]["rate"] == Decimal(BIGGEST_AMOUNT)
    assert rating["discountAmount"] == -Decimal(BIGGEST_AMOUNT)
    row = next(csv.DictReader(io.StringIO(_csv(owner_client, "range=all"))))
    assert row["billAmount"] == row["Cost (USD)"] == BIGGEST_AMOUNT
    assert row["Throughput (tps)"] == BIGGEST_THROUGHPUT
    assert row["prompt"] == str(MAX_TOKENS)


def test_ten_thousand_of_the_biggest_numbers_in_one_hour_still_show_everywhere(
    owner_client, owner, owner_token
):
    # One hour's rollup adds them all up, and the summary strip reads 10,000 of them at
    # once (its sample cap): neither a stored sum nor a read sum may overflow.
    records = [_biggest_record() for _ in range(SAMPLE_CAP)]
    outcomes = ingest(records)
    assert {o.status for o in outcomes} == {"created"}
    gid = records[0]["generationId"]
    pages = (
        "/logs/?range=all",
        "/logs/?range=all&cost_min=0",
        "/logs/?range=all&sort=-cost",
        "/logs/?range=all&sort=-throughput",
        "/logs/?from=2026-01-01T10:00:00Z&to=2026-01-01T10:30:00Z",
        f"/logs/{gid}/",
        f"/logs/{gid}/?view=json",
        "/billing/",
        "/billing/usage/",
    )
    for url in pages:
        assert owner_client.get(url).status_code == 200, url
    strip = owner_client.get("/logs/?range=all").context["summary"]
    assert strip.requests == SAMPLE_CAP
    assert strip.input_tokens == SAMPLE_CAP * MAX_TOKENS * len(INPUT_FEE_ITEMS)
    assert strip.cost == pytest.approx(Decimal(BIGGEST_AMOUNT) * SAMPLE_CAP, rel=Decimal("1e-12"))
    sampled = owner_client.get("/logs/?range=all&cost_min=0").context["summary"]
    assert sampled.input_tokens == strip.input_tokens
    assert sampled.cost == pytest.approx(strip.cost, rel=Decimal("1e-12"))
    if is_postgres():
        # PostgreSQL adds Decimals exactly (SQLite adds floats, to 15 digits).
        assert strip.cost == sampled.cost == Decimal(BIGGEST_AMOUNT) * SAMPLE_CAP
    rollup = HourlyRollup.objects.get(dimension="all")
    assert rollup.cost == pytest.approx(strip.cost, rel=Decimal("1e-12"))
    export = owner_client.get("/logs/export.csv?range=all")
    assert len(b"".join(export.streaming_content).splitlines()) == SAMPLE_CAP + 1


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(10) ** 27, f"1,{'000,' * 8}000.000000"),
        (-Decimal("9999999999999.99") * 10**14, f"-999,999,999,999,999,{'000,' * 3}000.000000"),
        (Decimal("9999999999999.99"), "9,999,999,999,999.990000"),
    ],
)
def test_money_is_written_out_however_large_a_sum_grows(amount, text):
    assert usd(amount) == text


@pytest.mark.parametrize("zone", ZONES)
def test_every_bar_of_all_time_links_to_a_window_the_list_takes(
    owner_client, edge_generations, zone
):
    # All time starts at the oldest rollup hour, 1970-01-01 here, and buckets of years
    # start on Mondays before it: a bar's link still asks only for accepted dates.
    owner_client.cookies["tz"] = zone
    chart = owner_client.get("/logs/?range=all").context["histogram"]
    linked = [bar for bar in chart.bars if bar.linked]
    assert linked
    for bar in (chart.bars[0], *linked):
        response = owner_client.get(bar.href)
        assert response.status_code == 200, bar.href
    first = owner_client.get(linked[0].href)
    assert edge_generations[0].generation_id in first.content.decode()


def test_all_time_of_an_account_whose_only_record_is_the_newest_date(owner_client, owner):
    (generation,) = store(make_record(createdAt=NEWEST))
    owner_client.cookies["tz"] = "Pacific/Kiritimati"
    response = owner_client.get("/logs/?range=all")
    assert response.status_code == 200
    assert generation.generation_id in response.content.decode()
    for bar in response.context["histogram"].bars:
        assert owner_client.get(bar.href).status_code == 200, bar.href
