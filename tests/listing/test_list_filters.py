"""The log list: every filter, alone and combined, against a brute-force filter in Python."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from logs.models import Generation
from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_B, make_record, store
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db

MODELS = [
    ("anthropic/claude-sonnet-4", "anthropic"),
    ("openai/gpt-4.1", "openai"),
    ("google/gemini-2.5-flash", "google"),
    ("deepseek/deepseek-chat", "deepseek"),
]
KEYS = [KEY_A, "2534AKsecond00000002", "2534AKthird000000003"]
FINISH = ["stop", "end_turn", "tool_calls", "length", "error"]
# Minutes ago: inside 1h, 24h, 7d, 30d, 90d and beyond.
AGES = [5, 50, 60 * 5, 60 * 30, 60 * 24 * 3, 60 * 24 * 10, 60 * 24 * 40, 60 * 24 * 120]


@pytest.fixture
def dataset(owner, outsider):
    now = datetime.now(UTC)
    records = []
    for i, (age, (model, provider), key, finish) in enumerate(
        itertools.islice(
            zip(
                itertools.cycle(AGES),
                itertools.cycle(MODELS),
                itertools.cycle(KEYS),
                itertools.cycle(FINISH),
            ),
            80,
        )
    ):
        records.append(
            make_record(
                generationId=f"LIST{i:04d}",
                modelSlug=model,
                providerSlug=provider,
                apiKeyId=key,
                finishReason=finish,
                createdAt=(now - timedelta(minutes=age + i)).isoformat(),
                nativeFeeTokens={"prompt": 100 + i, "completion": 10 + i},
                latency=100 + i,
                throughput=f"{20 + i}.50",
            )
        )
    # Another account's rows share models and keys' shapes; they must never show up.
    for i in range(10):
        records.append(
            make_record(
                generationId=f"OTHER{i:03d}",
                accountId=ACCOUNT_B,
                apiKeyId=KEY_B,
                createdAt=now.isoformat(),
            )
        )
    store(*records)
    return Generation.objects.filter(account__external_id=ACCOUNT_A)


def _listed(client, params):
    """Every generation id the list shows for these params, following Older links."""
    params = {**params, "page_size": 200}
    seen = []
    while True:
        response = client.get("/logs/", params)
        assert response.status_code == 200, response.content[:500]
        context = response.context
        seen.extend(g.generation_id for g in context["rows"])
        if not context["older_cursor"]:
            return seen
        params["cursor"] = context["older_cursor"]


def _expected(rows, *, since=None, until=None, **wanted):
    out = []
    for g in sorted(rows, key=lambda g: (g.created_at, g.pk), reverse=True):
        if since and g.created_at < since:
            continue
        if until and g.created_at >= until:
            continue
        if any(wanted[k] and getattr(g, k) not in wanted[k] for k in wanted):
            continue
        out.append(g.generation_id)
    return out


def _attrs(**kw):
    names = {
        "model": "model_slug",
        "provider": "provider_slug",
        "finish_reason": "finish_reason",
        "api_key": "api_key_ext",
    }
    return {names[k]: v for k, v in kw.items()}


def _rows(dataset):
    rows = list(dataset.select_related("api_key"))
    for g in rows:
        g.api_key_ext = g.api_key.external_id
    return rows


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"model": ["openai/gpt-4.1"]},
        {"model": ["openai/gpt-4.1", "deepseek/deepseek-chat"]},
        {"provider": ["google"]},
        {"provider": ["google", "anthropic"]},
        {"api_key": ["2534AKsecond00000002"]},
        {"api_key": [KEY_A, "2534AKthird000000003"]},
        {"finish_reason": ["error"]},
        {"finish_reason": ["stop", "length"]},
        {"model": ["anthropic/claude-sonnet-4"], "finish_reason": ["stop", "tool_calls"]},
        {"provider": ["openai", "google"], "api_key": [KEY_A], "finish_reason": ["end_turn"]},
        {
            "model": ["openai/gpt-4.1"],
            "provider": ["openai"],
            "api_key": KEYS,
            "finish_reason": FINISH,
        },
    ],
)
def test_filters_match_a_brute_force_filter(owner_client, dataset, params):
    _check(owner_client, dataset, params, "all")
    _check(owner_client, dataset, params, "24h")


@pytest.mark.parametrize("range_", ["1h", "24h", "7d", "30d", "90d", "all"])
def test_each_range_matches_a_brute_force_filter(owner_client, dataset, range_):
    _check(owner_client, dataset, {}, range_)
    _check(owner_client, dataset, {"provider": ["openai", "google"]}, range_)


def _check(owner_client, dataset, params, range_):
    spans = {"1h": 1, "24h": 24, "7d": 24 * 7, "30d": 24 * 30, "90d": 24 * 90, "all": None}
    since = None if spans[range_] is None else datetime.now(UTC) - timedelta(hours=spans[range_])
    got = _listed(owner_client, {**params, "range": range_})
    # A second of slack at the window's edge: the page computed "now" a moment later.
    expected = _expected(
        _rows(dataset), since=since and since + timedelta(seconds=2), **_attrs(**params)
    )
    loose = _expected(
        _rows(dataset), since=since and since - timedelta(seconds=2), **_attrs(**params)
    )
    assert set(expected) <= set(got) <= set(loose)
    assert got == [g for g in loose if g in set(got)]  # newest first


def test_default_window_is_seven_days(owner_client, dataset):
    response = owner_client.get("/logs/", {"page_size": 200})
    ages = [datetime.now(UTC) - g.created_at for g in response.context["rows"]]
    assert ages and max(ages) < timedelta(days=7)
    assert 'value="7d" selected' in response.content.decode()


def test_from_and_to_bound_the_window(owner_client, dataset):
    now = datetime.now(UTC)
    start, end = now - timedelta(days=12), now - timedelta(days=2)
    got = _listed(owner_client, {"from": start.isoformat(), "to": end.isoformat()})
    assert got == _expected(_rows(dataset), since=start, until=end)
    assert got


def test_datetime_local_values_are_read_in_the_users_zone(owner_client, dataset):
    owner_client.cookies["tz"] = "Asia/Tokyo"
    now_tokyo = datetime.now(UTC) + timedelta(hours=9)
    start = (now_tokyo - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    got = _listed(owner_client, {"from": start})
    expected = _expected(_rows(dataset), since=datetime.now(UTC) - timedelta(hours=2, minutes=1))
    assert set(got) >= set(expected[1:]) and len(got) <= len(expected) + 1


def test_request_id_finds_its_generation_whatever_the_window(owner_client, dataset):
    oldest = dataset.order_by("created_at").first()
    got = _listed(owner_client, {"request_id": oldest.generation_id, "range": "1h"})
    assert got == [oldest.generation_id]


def test_request_id_of_another_account_finds_nothing(owner_client, dataset):
    assert _listed(owner_client, {"request_id": "OTHER001", "range": "all"}) == []


def test_another_accounts_rows_never_appear(owner_client, dataset):
    got = _listed(owner_client, {"range": "all"})
    assert len(got) == 80
    assert not any(g.startswith("OTHER") for g in got)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "2w"}, "range"),
        ({"page_size": "500"}, "page_size"),
        ({"page_size": "zero"}, "page_size"),
        ({"from": "last tuesday"}, "from"),
        ({"model": "no/such-model"}, "model"),
        ({"api_key": "2534AKzzOTHER0000001"}, "api_key"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": f"o99999999999999999999.{seal(1)}"}, "cursor"),
        ({"cursor": "o1755830958000000.42"}, "cursor"),  # an id as it is, not sealed
        ({"from": "2025-01-02T00:00", "to": "2025-01-01T00:00"}, "to"),
    ],
)
def test_bad_values_show_an_error_not_a_500(owner_client, dataset, params, field):
    response = owner_client.get("/logs/", params)
    assert response.status_code == 400
    assert field in response.context["filter"].form.errors
    body = response.content.decode()
    assert "Some filters are not valid" in body
    assert f"<code>{field}</code>" in body
    assert "<tr id=" not in body


def test_choices_list_only_what_occurs_in_the_account(owner_client, dataset):
    form = owner_client.get("/logs/").context["filter"].form
    assert {v for v, _ in form.fields["model"].choices} == {m for m, _ in MODELS}
    assert {v for v, _ in form.fields["provider"].choices} == {p for _, p in MODELS}
    assert {v for v, _ in form.fields["finish_reason"].choices} == set(FINISH)
    keys = dict(form.fields["api_key"].choices)
    assert set(keys) == set(KEYS)
    assert KEY_B not in keys


def test_anonymous_is_redirected_to_login(client, dataset):
    response = client.get("/logs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_htmx_request_returns_the_partial_and_plain_request_the_page(owner_client, dataset):
    full = owner_client.get("/logs/", {"model": "openai/gpt-4.1"})
    partial = owner_client.get("/logs/", {"model": "openai/gpt-4.1"}, HTTP_HX_REQUEST="true")
    restore = owner_client.get(
        "/logs/",
        {"model": "openai/gpt-4.1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert b"<html" in full.content and b'id="filters"' in full.content
    assert b"<html" not in partial.content and b'id="filters"' not in partial.content
    assert b"<table" in partial.content
    assert b"<html" in restore.content


def test_columns_follow_the_spec(owner_client, dataset):
    body = owner_client.get("/logs/").content.decode()
    headers = [
        "Timestamp",
        "Model",
        "Input Tokens",
        "Output Tokens",
        "Cost (USD)",
        "Latency (ms)",
        "Throughput (tps)",
        "Finish",
        "Action",
    ]
    thead = body[body.index("<thead>") : body.index("</thead>")]
    positions = [thead.index(f">{h}") for h in headers]
    assert positions == sorted(positions)


def test_details_is_the_only_link_to_the_detail_page_in_a_row(owner_client, dataset):
    response = owner_client.get("/logs/", {"model": "openai/gpt-4.1"})
    body = response.content.decode()
    for g in response.context["rows"]:
        row = body[body.index(f'<tr id="g-{g.generation_id}"') :]
        row = row[: row.index('<tr id="g-', 5)] if '<tr id="g-' in row[5:] else row
        assert row.count(f"/logs/{g.generation_id}/") == 1
        assert f'href="/logs/{g.generation_id}/?' in row and ">Details</a>" in row


def test_numbers_use_thousands_separators_and_costs_six_decimals(owner_client, owner):
    store(
        make_record(
            generationId="BIG1", nativeFeeTokens={"prompt": 1234567, "completion": 7}, latency=12345
        )
    )
    body = owner_client.get("/logs/").content.decode()
    assert "1,234,567" in body and "12,345" in body
    assert "3.703806" in body  # 1234567 x $3/M + 7 x $15/M, to 6 places


def test_unknown_cost_shows_a_dash(owner_client, owner):
    store(make_record(generationId="UNPRICED1", modelSlug="acme/mystery", providerSlug="acme"))
    body = owner_client.get("/logs/").content.decode()
    assert 'data-testid="cost">—</button>' in body


def test_empty_account_explains_how_to_send_logs(owner_client):
    body = owner_client.get("/logs/").content.decode()
    assert "No logs yet" in body and "/api/v1/generations" in body


def test_no_match_offers_clear_filters(owner_client, dataset):
    body = owner_client.get("/logs/", {"request_id": "NOPE"}).content.decode()
    assert "No generations match these filters" in body
    assert 'href="/logs/">Clear filters</a>' in body


def test_subscription_cost_popover_says_included(owner_client, dataset, account_a):
    account_a.plan = "subscription"
    account_a.save()
    body = owner_client.get("/logs/").content.decode()
    assert "Included in your subscription usage - no separate charge." in body


def test_summary_equals_raw_sums(owner_client, dataset):
    for params in (
        {"range": "all"},
        {"range": "24h", "model": "openai/gpt-4.1"},
        {"range": "30d", "provider": ["google", "anthropic"]},
        {"range": "7d", "model": "openai/gpt-4.1", "api_key": KEY_A},
    ):
        context = owner_client.get("/logs/", {**params, "page_size": 200}).context
        ids = _listed(owner_client, params)
        rows = list(Generation.objects.filter(generation_id__in=ids))
        summary = context["summary"]
        assert summary.requests == len(rows)
        assert summary.input_tokens == sum(g.input_tokens for g in rows)
        assert summary.output_tokens == sum(g.output_tokens for g in rows)
        assert summary.cost == sum((g.bill_amount for g in rows), Decimal(0))
        if rows:
            assert summary.avg_latency_ms == round(
                sum(g.first_token_latency_ms for g in rows) / len(rows)
            )
        assert context["total"] == len(rows)
