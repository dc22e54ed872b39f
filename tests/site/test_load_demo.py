"""manage.py load_demo: realistic demo data through the ingest path, safe to run twice."""

import io
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from billing.accounts import user_accounts
from billing.models import Charge, LedgerEntry, Membership, Rating
from demo.records import build_records
from logs.ingest.redact import REDACTED
from logs.models import ApiKey, Generation, StagePayload
from tests.factories import EXAMPLE

pytestmark = pytest.mark.django_db

ACME = "2533AC0Q5MIe14613672"
FEE_ITEMS = (
    "input_cache_read",
    "input_cache_write",
    "input_cache_write_5_min",
    "input_cache_write_1_h",
    "internal_reasoning",
    "web_search",
    "image",
    "audio",
)
FINISH_REASONS = {"stop", "end_turn", "tool_use", "tool_calls", "max_tokens", "length"}


def _load(*args):
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _counts():
    models = (
        Generation,
        StagePayload,
        Rating,
        ApiKey,
        Membership,
        Charge,
        LedgerEntry,
        get_user_model(),
    )
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def loaded(db):
    return _load("--count", "300")


def test_demo_signs_in_and_sees_the_newest_generations(loaded, client):
    signed_in = client.post("/accounts/login/", {"username": "demo", "password": "demo"})
    assert signed_in.status_code == 302
    response = client.get("/logs/")
    newest = Generation.objects.filter(account__external_id=ACME).newest_first().first()
    assert response.status_code == 200
    assert newest.generation_id in response.content.decode()


def test_the_summary_is_one_line_with_the_counts(loaded):
    lines = loaded.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Loaded 300 generations (300 created, 0 duplicate) for 2 accounts")
    assert lines[0].endswith("sign in as demo / demo")


def test_loading_twice_stores_nothing_new(loaded):
    before = _counts()
    again = _load("--count", "300")
    assert "(0 created, 300 duplicate)" in again
    assert _counts() == before


def test_demo_belongs_to_both_accounts_and_opens_on_acme(loaded):
    demo_user = get_user_model().objects.get(username="demo")
    accounts = list(user_accounts(demo_user))
    assert [(a.name, a.plan) for a in accounts] == [
        ("Acme Robotics", "pay_as_you_go"),
        ("Globex Research", "subscription"),
    ]
    assert accounts[0].external_id == ACME
    names = set(ApiKey.objects.filter(account=accounts[0]).values_list("name", flat=True))
    assert {"production", "staging", "eval-pipeline", "notebook"} <= names


def test_the_load_covers_providers_models_and_every_finish_reason(loaded):
    generations = Generation.objects.all()
    assert len(set(generations.values_list("provider_slug", flat=True))) >= 6
    assert len(set(generations.values_list("model_slug", flat=True))) >= 15
    assert set(generations.values_list("finish_reason", flat=True)) >= FINISH_REASONS
    assert generations.filter(cancelled=True).exists()
    assert generations.filter(finish_reason="error").exists()


def test_the_load_has_cache_reasoning_search_image_audio_and_both_streaming_modes(loaded):
    generations = Generation.objects.all()
    for item in FEE_ITEMS:
        assert generations.filter(**{f"{item}__gt": 0}).exists(), item
    assert generations.filter(streamed=True).exists()
    assert generations.filter(streamed=False).exists()


def test_stage_payloads_carry_sse_streams_and_an_anthropic_tool_use(loaded):
    texts = StagePayload.objects.filter(body_format=StagePayload.BodyFormat.TEXT)
    assert texts.filter(body__startswith="data: {", body__endswith="data: [DONE]\n\n").exists()
    assert texts.filter(body__startswith="event: message_start\n").exists()
    anthropic = StagePayload.objects.filter(
        generation__provider_slug="anthropic", stage="origin_response"
    )
    assert anthropic.filter(body__contains='"tool_use"').filter(body__contains="toolu_").exists()
    assert StagePayload.objects.filter(body__contains="<script>alert(1)</script>").exists()
    assert StagePayload.objects.filter(body__contains="```python").exists()


def test_every_generation_has_four_stages_with_the_callers_key_redacted(loaded):
    assert StagePayload.objects.count() == 4 * Generation.objects.count()
    for payload in StagePayload.objects.filter(stage="user_request")[:50]:
        key = payload.headers.get("authorization") or payload.headers["x-api-key"]
        assert key == REDACTED


def test_a_model_without_a_price_has_an_unknown_cost(loaded):
    unpriced = Generation.objects.filter(model_slug="meta-llama/llama-4-maverick")
    assert unpriced.exists()
    assert not unpriced.filter(origin_amount__isnull=False).exists()
    priced = Generation.objects.exclude(model_slug="meta-llama/llama-4-maverick")
    assert not priced.filter(origin_amount__isnull=True).exists()


def test_some_generations_carry_the_gateways_own_rating(loaded):
    assert Rating.objects.filter(rated_by_us=False).count() >= 10
    assert Rating.objects.filter(rated_by_us=True).count() > 200


def test_the_spec_example_is_loaded_with_its_rating_and_stages(loaded):
    example = Generation.objects.get(generation_id=EXAMPLE["generationId"])
    assert example.account.external_id == EXAMPLE["accountId"]
    assert example.origin_amount == Decimal("0.051006")
    assert example.rating.rated_by_us is False
    assert example.stages.count() == 4


def test_acme_pays_from_its_credited_wallets(loaded):
    credits = LedgerEntry.objects.filter(account__external_id=ACME, entry_type="credit")
    assert credits.count() == 2
    charges = Charge.objects.filter(account__external_id=ACME)
    assert charges.exists()
    assert not charges.filter(status=Charge.Status.UNPAID).exists()
    assert not Charge.objects.exclude(account__external_id=ACME).exists()


def test_demo_ledger_lines_carry_the_times_of_the_charges_they_record(loaded):
    charges = LedgerEntry.objects.filter(account__external_id=ACME, entry_type="charge")
    lines = list(charges.select_related("generation"))
    assert len(lines) > 100
    assert all(line.created_at == line.generation.created_at for line in lines)
    # Spread over the load's 30 days, not all at the moment it ran.
    days = {line.created_at.date() for line in lines}
    assert len(days) >= 20
    # The credits they draw on come first, and the ledger, read in time order, is each
    # wallet's running balance.
    ledger = list(
        LedgerEntry.objects.filter(account__external_id=ACME)
        .select_related("wallet")
        .order_by("created_at", "id")
    )
    assert [e.entry_type for e in ledger[:2]] == ["credit", "credit"]
    assert ledger[1].created_at < min(line.created_at for line in lines)
    balance = {"reward": Decimal(0), "purchased": Decimal(0)}
    for entry in ledger:
        balance[entry.wallet.kind] += entry.amount
        assert entry.balance_after == balance[entry.wallet.kind]


def test_generations_span_the_last_days_with_the_newest_a_moment_ago(db):
    _load("--count", "200", "--days", "7", "--without-payloads")
    now = timezone.now()
    generated = Generation.objects.exclude(generation_id=EXAMPLE["generationId"])
    times = list(generated.values_list("created_at", flat=True))
    assert len(times) == 199
    assert min(times) >= now - timedelta(days=7, minutes=1)
    assert max(times) <= now
    assert max(times) >= now - timedelta(minutes=1)


def test_without_payloads_stores_no_stage_payloads(db):
    out = _load("--count", "200", "--without-payloads")
    assert "(200 created, 0 duplicate)" in out
    assert Generation.objects.count() == 200
    assert not StagePayload.objects.exists()


@pytest.mark.parametrize("args", [["--count", "-1"], ["--days", "0"], ["--batch-size", "0"]])
def test_bad_arguments_are_an_error(db, args):
    with pytest.raises(CommandError):
        _load(*args)


# ------------------------------------------------------------------- the generator itself

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def _ids(records):
    return [r["generationId"] for r in records]


def test_the_same_seed_yields_the_same_ids_and_another_seed_other_ids():
    first = list(build_records(100, now=NOW, with_payloads=False))
    again = list(build_records(100, now=NOW + timedelta(days=1), with_payloads=False))
    other = list(build_records(100, now=NOW, seed=7, with_payloads=False))
    assert _ids(first) == _ids(again)
    assert len(set(_ids(first))) == 100
    assert not set(_ids(first)) & set(_ids(other))
    assert all(len(i) == 20 and i[4:6] == "CC" for i in _ids(first))


def test_any_range_of_records_builds_the_same_as_the_whole_run():
    whole = list(build_records(60, now=NOW))
    assert list(build_records(60, now=NOW, start=25, stop=40)) == whole[25:40]


def test_records_come_oldest_first():
    records = list(build_records(500, now=NOW, with_payloads=False))
    created = [r["createdAt"] for r in records]
    assert created == sorted(created)


def test_throughput_is_output_tokens_per_second_and_unknown_for_failed_calls():
    for record in build_records(200, now=NOW, with_payloads=False):
        if record["finishReason"] == "error":
            assert "throughput" not in record
            continue
        fee = record["nativeFeeTokens"]
        output = fee["completion"] + fee.get("internal_reasoning", 0) + fee.get("audio", 0)
        expected = Decimal(output * 1000) / Decimal(record["generationTime"])
        assert Decimal(record["throughput"]) == expected.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_details_pages_render_every_kind_of_demo_call(loaded, client):
    client.post("/accounts/login/", {"username": "demo", "password": "demo"})
    # The newest calls are the showcase: one of each format, finish reason and failure.
    newest = Generation.objects.filter(account__external_id=ACME).newest_first()[:20]
    for generation in newest:
        response = client.get(f"/logs/{generation.generation_id}/")
        assert response.status_code == 200, generation.generation_id
        assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_load_leaves_planner_statistics_for_what_it_filled():
    # Right after a bulk load autovacuum has not looked yet: the load analyzes what it
    # wrote itself, two tables at a time, in connections of its own.
    _load("--count", "200", "--days", "2")
    if connection.vendor != "postgresql":
        return  # SQLite keeps no statistics unless asked; the planner does not need them
    tables = [Generation._meta.db_table, Rating._meta.db_table, Charge._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s)",
            [tables],
        )
        analyzed = {row[0] for row in cursor.fetchall()}
    assert analyzed == set(tables)
