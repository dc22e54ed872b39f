"""The list's numeric filters (cost, latency, generation time, tokens, throughput): inclusive
bounds, unknown values never matched, bad values a 400 naming them, and every place the list's
filters go (summary, CSV, JSONL, the details page's neighbours, htmx) honouring them."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_B, make_record, store

pytestmark = pytest.mark.django_db

# name: the Generation column its bounds apply to (the one the list shows).
COLUMNS = {
    "cost": "bill_amount",
    "latency": "first_token_latency_ms",
    "generation_time": "generation_time_ms",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "throughput": "throughput",
}
SONNET = {"modelSlug": "anthropic/claude-sonnet-4", "providerSlug": "anthropic"}
GPT = {"modelSlug": "openai/gpt-4.1", "providerSlug": "openai"}


@pytest.fixture
def rows(owner, outsider):
    """NUM1..NUM4 (newest first) rise in every figure; GPT lies between them in each, on
    another model; UNKNOWN has no price, latency, generation time or throughput; OLD is past
    the default window; THEIRS is another account's and would match any bound."""
    now = datetime.now(UTC)

    def record(generation_id, minutes_ago, n, **overrides):
        fields = {
            "generationId": generation_id,
            "createdAt": (now - timedelta(minutes=minutes_ago)).isoformat(),
            "nativeFeeTokens": {"prompt": int(1000 * n), "completion": int(100 * n)},
            "latency": int(100 * n),
            "generationTime": int(1000 * n),
            "throughput": f"{int(10 * n)}.25",
            **SONNET,
        }
        return make_record(**{**fields, **overrides})

    records = [record(f"NUM{n}", n, n) for n in range(1, 5)]
    records += [
        record("GPT", 5, 2.2, **GPT),
        record(
            "UNKNOWN",
            6,
            2.5,
            modelSlug="acme/mystery",
            providerSlug="acme",
            latency=None,
            generationTime=None,
            throughput=None,
        ),
        record("OLD", 60 * 24 * 10, 3),
        record("THEIRS", 1, 2.5, accountId=ACCOUNT_B, apiKeyId=KEY_B),
    ]
    return {g.generation_id: g for g in store(*records)}


def _expected(rows, *, old=False, model=None, **bounds):
    """Brute force: the account's ids (newest first) within every bound."""
    out = []
    for g in sorted(rows.values(), key=lambda g: g.created_at, reverse=True):
        if g.account.external_id != ACCOUNT_A or (g.generation_id == "OLD" and not old):
            continue
        if model and g.model_slug != model:
            continue
        for param, bound in bounds.items():
            name, end = param.rsplit("_", 1)
            value = getattr(g, COLUMNS[name])
            if value is None or (
                value < Decimal(bound) if end == "min" else value > Decimal(bound)
            ):
                break
        else:
            out.append(g.generation_id)
    return out


def _value(rows, generation_id, name):
    return str(getattr(rows[generation_id], COLUMNS[name]))


def _listed(client, params, **extra):
    response = client.get("/logs/", {"page_size": 200, **params}, **extra)
    assert response.status_code == 200, response.content[:500]
    return [g.generation_id for g in response.context["rows"]]


def _csv_ids(response):
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [r["Generation ID"] for r in csv.DictReader(io.StringIO(text))]


def test_the_rows_have_the_figures_the_tests_rely_on(rows):
    assert [rows[f"NUM{n}"].bill_amount for n in range(1, 5)] == [
        Decimal("0.0045"),  # 1000 x $3/M + 100 x $15/M
        Decimal("0.009"),
        Decimal("0.0135"),
        Decimal("0.018"),
    ]
    unknown = rows["UNKNOWN"]
    assert unknown.bill_amount is None and not unknown.cost_known
    assert unknown.first_token_latency_ms is None and unknown.generation_time_ms is None
    assert unknown.throughput is None
    assert (unknown.input_tokens, unknown.output_tokens) == (2500, 250)


@pytest.mark.parametrize("name", COLUMNS)
def test_each_bound_is_inclusive(owner_client, rows, name):
    # The bounds are the stored values themselves, as the database gives them back.
    two, three = _value(rows, "NUM2", name), _value(rows, "NUM3", name)
    for params, at_the_bound in [
        ({f"{name}_min": two}, "NUM2"),
        ({f"{name}_max": three}, "NUM3"),
        ({f"{name}_min": two, f"{name}_max": three}, "NUM2"),
        ({f"{name}_min": two, f"{name}_max": three}, "NUM3"),
        ({f"{name}_min": two, f"{name}_max": two}, "NUM2"),
    ]:
        got = _listed(owner_client, params)
        assert at_the_bound in got, params
        assert got == _expected(rows, **params), params
    assert _listed(owner_client, {f"{name}_min": two, f"{name}_max": two}) == ["NUM2"]


def test_bounds_on_several_columns_combine(owner_client, rows):
    params = {"cost_min": "0.005", "latency_max": "300", "output_tokens_min": "150"}
    assert _listed(owner_client, params) == _expected(rows, **params) == ["NUM2", "NUM3", "GPT"]


@pytest.mark.parametrize("name", ["cost", "latency", "generation_time", "throughput"])
def test_an_unknown_value_matches_no_bound_on_it(owner_client, rows, name):
    known = ["NUM1", "NUM2", "NUM3", "NUM4", "GPT"]
    assert _listed(owner_client, {}) == [*known, "UNKNOWN"]
    assert _listed(owner_client, {f"{name}_min": "0"}) == known
    assert _listed(owner_client, {f"{name}_max": "99999999"}) == known
    assert _listed(owner_client, {f"{name}_min": "0", f"{name}_max": "99999999"}) == known


def test_unknown_cost_shows_a_dash_and_cost_max_alone_leaves_it_out(owner_client, rows):
    assert 'data-testid="cost">—</button>' in owner_client.get("/logs/").content.decode()
    response = owner_client.get("/logs/", {"cost_max": "1"})
    assert 'data-testid="cost">—</button>' not in response.content.decode()
    assert "UNKNOWN" not in [g.generation_id for g in response.context["rows"]]


def test_cost_and_throughput_are_read_as_decimals(owner_client, rows):
    response = owner_client.get("/logs/", {"cost_min": "0.009", "throughput_max": "30.25"})
    data = response.context["filter"].form.cleaned_data
    assert type(data["cost_min"]) is Decimal and data["cost_min"] == Decimal("0.009")
    assert type(data["throughput_max"]) is Decimal and data["throughput_max"] == Decimal("30.25")
    assert data["latency_min"] is None
    assert [g.generation_id for g in response.context["rows"]] == ["NUM2", "NUM3"]


def test_combined_with_another_filter_and_the_time_window(owner_client, rows):
    params = {"cost_min": "0.006", "latency_min": "200"}
    assert _listed(owner_client, params) == ["NUM2", "NUM3", "NUM4", "GPT"]
    with_model = {**params, "model": "openai/gpt-4.1"}
    assert _listed(owner_client, with_model) == ["GPT"]
    assert _listed(owner_client, {**params, "model": "anthropic/claude-sonnet-4"}) == [
        "NUM2",
        "NUM3",
        "NUM4",
    ]
    # OLD (ten days ago) matches the bounds: only a window that reaches it lists it.
    assert _listed(owner_client, {**params, "range": "all"}) == _expected(rows, old=True, **params)
    assert "OLD" in _listed(owner_client, {**params, "range": "30d"})
    assert _listed(owner_client, {**params, "range": "1h"}) == ["NUM2", "NUM3", "NUM4", "GPT"]
    since = (datetime.now(UTC) - timedelta(days=11)).isoformat()
    until = (datetime.now(UTC) - timedelta(days=9)).isoformat()
    assert _listed(owner_client, {**params, "from": since, "to": until}) == ["OLD"]
    assert _listed(owner_client, {**params, "cost_max": "0.01", "from": since, "to": until}) == []


def test_summary_and_total_count_only_the_matching_rows(owner_client, rows):
    response = owner_client.get("/logs/", {"cost_min": "0.009"})
    summary = response.context["summary"]
    matching = [rows[i] for i in ("NUM2", "NUM3", "NUM4")]
    assert summary.requests == response.context["total"] == 3
    assert summary.cost == sum((g.bill_amount for g in matching), Decimal(0))
    assert summary.input_tokens == 9000 and summary.output_tokens == 900
    assert summary.avg_latency_ms == 300
    assert summary.exact and response.context["total_exact"]


def test_summary_takes_the_sampled_path_and_says_so(owner_client, rows, monkeypatch):
    """The rollups hold sums per hour, not each row's figures: with a numeric bound the
    summary reads the newest SAMPLE_CAP matching rows, and says so when it stopped there."""
    monkeypatch.setattr("logs.listing.summary.SAMPLE_CAP", 2)
    response = owner_client.get("/logs/", {"latency_min": "0"})
    summary = response.context["summary"]
    assert summary.requests == 2 and not summary.exact
    assert summary.cost == rows["NUM1"].bill_amount + rows["NUM2"].bill_amount
    body = response.content.decode()
    assert "Summary of the newest 2 matching requests." in body
    assert "2+ requests" in body
    # Without the bound the same window is exact, from the rollups.
    unbounded = owner_client.get("/logs/").context["summary"]
    assert unbounded.exact and unbounded.requests == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cost_min": "abc"}, "cost_min"),
        ({"cost_max": "-0.01"}, "cost_max"),
        ({"cost_min": "NaN"}, "cost_min"),
        ({"cost_min": "Infinity"}, "cost_min"),
        ({"cost_min": "1e400"}, "cost_min"),
        ({"latency_min": "-1"}, "latency_min"),
        ({"latency_max": "fast"}, "latency_max"),
        ({"generation_time_min": "1.5"}, "generation_time_min"),
        ({"input_tokens_max": "1e3"}, "input_tokens_max"),
        ({"output_tokens_min": str(10**30)}, "output_tokens_min"),
        ({"throughput_min": "-5"}, "throughput_min"),
        ({"throughput_max": "abc"}, "throughput_max"),
        ({"cost_min": "0.02", "cost_max": "0.01"}, "cost_max"),
        ({"latency_min": "500", "latency_max": "499"}, "latency_max"),
        ({"input_tokens_min": "10", "input_tokens_max": "9"}, "input_tokens_max"),
        ({"throughput_min": "20.5", "throughput_max": "20.25"}, "throughput_max"),
    ],
)
def test_bad_values_are_a_400_naming_the_field(owner_client, rows, params, field):
    response = owner_client.get("/logs/", params)
    assert response.status_code == 400
    assert field in response.context["filter"].form.errors
    body = response.content.decode()
    assert "Some filters are not valid" in body
    assert f"<code>{field}</code>" in body
    assert "<tr id=" not in body
    # The panel the field is in is open, the field marked.
    assert '<details class="filter more" data-filter="more" open>' in body
    assert re.search(rf'<input [^>]*name="{field}"[^>]*aria-invalid="true"', body)
    # The CSV export refuses the same filters, naming the field too.
    export = owner_client.get("/logs/export.csv", params)
    assert export.status_code == 400 and field in export.content.decode()


def test_min_above_max_says_what_the_max_must_be(owner_client, rows):
    body = owner_client.get("/logs/", {"cost_min": "0.02", "cost_max": "0.01"}).content.decode()
    assert "<code>cost_max</code>: Must be at least cost_min." in body


def test_more_filters_shows_how_many_are_set_and_opens_only_on_an_error(owner_client, rows):
    def summary(params):
        # follow: a query string with empty values is redirected to its short form first.
        body = owner_client.get("/logs/", params, follow=True).content.decode()
        start = body.index('<details class="filter more"')
        return body[start : body.index("</summary>", start)]

    assert summary({}).endswith("More filters<span data-more-count></span>")
    assert " open>" not in summary({})
    two = summary({"cost_min": "0", "latency_max": "300"})
    assert two.endswith("More filters<span data-more-count> (2)</span>") and " open>" not in two
    assert summary({"cost_min": "0"}).endswith(" (1)</span>")  # 0 is a bound
    assert summary({"cost_min": "", "latency_max": ""}).endswith("<span data-more-count></span>")
    bad = summary({"cost_min": "abc", "throughput_max": "30"})
    assert bad.endswith(" (2)</span>") and " open>" in bad


def test_the_inputs_are_labelled_number_inputs_holding_the_values(owner_client, rows):
    body = owner_client.get("/logs/", {"cost_min": "0.009", "latency_max": "300"}).content.decode()
    for name in COLUMNS:
        for end in ("min", "max"):
            assert f'<label for="id_{name}_{end}">' in body
            assert f'id="id_{name}_{end}"' in body
    assert (
        '<input type="number" name="cost_min" value="0.009" step="any" inputmode="decimal"'
        ' min="0" id="id_cost_min">'
    ) in body
    assert (
        '<input type="number" name="latency_max" value="300" inputmode="numeric" min="0"'
        ' id="id_latency_max">'
    ) in body
    assert "<legend>Generation Time (ms)</legend>" in body


def test_htmx_request_returns_the_filtered_partial(owner_client, rows):
    params = {"cost_min": "0.009", "cost_max": "0.0135"}
    response = owner_client.get("/logs/", params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b'id="filters"' not in response.content
    assert [g.generation_id for g in response.context["rows"]] == ["NUM2", "NUM3"]
    # The links in the partial carry the bounds: Details, Export CSV.
    body = response.content.decode()
    assert 'href="/logs/NUM2/?cost_min=0.009&amp;cost_max=0.0135"' in body
    assert 'href="/logs/export.csv?cost_min=0.009&amp;cost_max=0.0135"' in body
    bad = owner_client.get("/logs/", {"cost_min": "abc"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and b"<html" not in bad.content
    assert b"<code>cost_min</code>" in bad.content


def test_paging_keeps_the_bounds(owner_client, rows):
    params = {"latency_min": "100", "page_size": 2}
    first = owner_client.get("/logs/", params)
    assert [g.generation_id for g in first.context["rows"]] == ["NUM1", "NUM2"]
    assert "latency_min=100" in first.content.decode().split('rel="next"')[0].rsplit("href=", 1)[1]
    second = owner_client.get("/logs/", {**params, "cursor": first.context["older_cursor"]})
    assert [g.generation_id for g in second.context["rows"]] == ["NUM3", "NUM4"]
    third = owner_client.get("/logs/", {**params, "cursor": second.context["older_cursor"]})
    assert [g.generation_id for g in third.context["rows"]] == ["GPT"]


def test_csv_export_has_only_the_matching_rows(owner_client, rows):
    assert _csv_ids(owner_client.get("/logs/export.csv", {"cost_min": "0.009"})) == [
        "NUM2",
        "NUM3",
        "NUM4",
    ]
    # Unknown cost is not exported under a cost bound, whichever end.
    assert "UNKNOWN" not in _csv_ids(owner_client.get("/logs/export.csv", {"cost_max": "1"}))
    assert "UNKNOWN" in _csv_ids(owner_client.get("/logs/export.csv"))
    params = {"throughput_min": "20.25", "throughput_max": "22.25", "range": "all"}
    assert _csv_ids(owner_client.get("/logs/export.csv", params)) == ["NUM2", "GPT"]


def test_details_neighbours_skip_rows_outside_the_bounds(owner_client, rows):
    # NUM1 (newest) .. NUM4, then GPT: with cost_min=0.009, NUM2's neighbours are none newer
    # (NUM1 costs less) and NUM3 older; NUM4's older one skips GPT (0.00616) to nothing.
    query = "cost_min=0.009&range=24h"
    response = owner_client.get(f"/logs/NUM2/?{query}")
    assert response.context["newer"] is None
    assert response.context["older"].generation_id == "NUM3"
    body = response.content.decode()
    assert 'href="/logs/NUM3/?cost_min=0.009&amp;range=24h" rel="next"' in body
    assert 'href="/logs/?cost_min=0.009&amp;range=24h">← Logs' in body
    assert owner_client.get(f"/logs/NUM4/?{query}").context["older"] is None
    # GPT itself does not match: its neighbours are still the matching rows either side.
    around = owner_client.get(f"/logs/GPT/?{query}").context
    assert around["newer"].generation_id == "NUM4" and around["older"] is None
    unbounded = owner_client.get("/logs/NUM2/").context
    assert unbounded["newer"].generation_id == "NUM1"


def test_details_with_a_bad_bound_shows_the_page_without_neighbours(owner_client, rows):
    response = owner_client.get("/logs/NUM2/?cost_min=abc")
    assert response.status_code == 200
    assert response.context["newer"] is None and response.context["older"] is None


def _export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_generations", "--account", ACCOUNT_A, *args, stdout=out, stderr=err)
    return [json.loads(line)["generationId"] for line in out.getvalue().splitlines()]


def test_export_command_takes_the_same_bounds(rows):
    assert _export("--cost-min", "0.009", "--cost-max", "0.0135") == ["NUM2", "NUM3", "OLD"]
    assert "UNKNOWN" not in _export("--cost-max", "1")
    assert _export("--latency-min", "300") == ["NUM3", "NUM4", "OLD"]
    with pytest.raises(CommandError, match="--cost-min: Enter a number"):
        _export("--cost-min", "abc")
    with pytest.raises(CommandError, match="--latency-max: must be at least --latency-min"):
        _export("--latency-min", "5", "--latency-max", "4")
