"""Retention: prune_generations removes the logs (generations, their stages and ratings) and
keeps the money trail (charges, ledger lines, hourly rollups); the log list and its summary
stop at the retention horizon."""

import importlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Charge, LedgerEntry, Rating
from billing.settlement import credit
from logs.ingest.rollups import forget_facets
from logs.models import Facet, Generation, HourlyRollup, StagePayload
from tests.factories import ACCOUNT_B, KEY_B, make_record, store

pytestmark = pytest.mark.django_db

STAGES = {
    "user_request": {"headers": {}, "body": {"messages": []}},
    "user_response": {"headers": {}, "body": {"ok": True}},
}


def _text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _prune(days):
    out = io.StringIO()
    call_command("prune_generations", "--older-than", str(days), stdout=out)
    return out.getvalue()


@pytest.fixture
def history(owner, account_a):
    """Credits, then three generations 10-12 days old and two from today, each charged
    from the wallets and with two stages; pruning at 5 days removes the old three."""
    credit(account_a, "reward", "0.05")
    credit(account_a, "purchased", "1.00")
    now = datetime.now(UTC)
    old = [
        make_record(
            generationId=f"OLD-{i}",
            createdAt=(now - timedelta(days=10 + i, hours=i)).isoformat(),
            modelSlug="openai/gpt-4.1" if i == 0 else "anthropic/claude-sonnet-4",
            providerSlug="openai" if i == 0 else "anthropic",
            stages=STAGES,
        )
        for i in range(3)
    ]
    new = [
        make_record(
            generationId=f"NEW-{i}",
            createdAt=(now - timedelta(hours=1 + i)).isoformat(),
            stages=STAGES,
        )
        for i in range(2)
    ]
    store(*old, *new)
    return now


def _billing_figures(client):
    context = client.get("/billing/").context
    entries = [
        (e.pk, e.entry_type, e.amount, e.balance_after, e.charge_status) for e in context["entries"]
    ]
    balances = [(w["kind"], w["balance"]) for w in context["wallets"]]
    return balances, context["total_balance"], entries


def _usage_figures(client, by):
    response = client.get("/billing/usage/", {"by": by})
    report = response.context["report"]
    days = [(d.day, d.total) for d in report.days]
    parts = [(p.value, p.usage) for p in report.parts]
    # The page as a user reads it: every figure on it.
    return days, parts, report.total, _text(response.content.decode())


# ----------------------------------------------------------------------------- the command


def test_prune_deletes_old_generations_stages_and_ratings_and_keeps_newer_ones(history):
    assert "Pruned 3 generations older than 5 days" in _prune(5)
    assert set(Generation.objects.values_list("generation_id", flat=True)) == {"NEW-0", "NEW-1"}
    kept = set(Generation.objects.values_list("pk", flat=True))
    assert set(StagePayload.objects.values_list("generation_id", flat=True)) == kept
    assert StagePayload.objects.count() == 4
    assert set(Rating.objects.values_list("generation_id", flat=True)) == kept


def test_prune_keeps_every_charge_and_ledger_line_pointing_at_its_generation(history):
    charges = set(Charge.objects.values_list("generation_id", "bill_amount", "status"))
    lines = set(LedgerEntry.objects.values_list("pk", "generation_id", "amount", "note"))
    pruned = set(
        Generation.objects.filter(generation_id__startswith="OLD").values_list("pk", flat=True)
    )
    _prune(5)
    assert set(Charge.objects.values_list("generation_id", "bill_amount", "status")) == charges
    assert set(LedgerEntry.objects.values_list("pk", "generation_id", "amount", "note")) == lines
    # The lines still say which generation they were for, though it is gone.
    assert pruned <= set(LedgerEntry.objects.values_list("generation_id", flat=True))
    assert pruned <= set(Charge.objects.values_list("generation_id", flat=True))


def test_prune_leaves_the_rollups_alone(history):
    before = list(HourlyRollup.objects.order_by("pk").values())
    _prune(5)
    assert list(HourlyRollup.objects.order_by("pk").values()) == before


def test_prune_deletes_logs_without_touching_charges_ledger_or_rollups(history):
    with CaptureQueriesContext(connection) as queries:
        _prune(5)
    statements = [q["sql"].upper().replace('"', "") for q in queries.captured_queries]
    deletes = {re.search(r"DELETE FROM (\w+)", s).group(1) for s in statements if "DELETE" in s}
    # On PostgreSQL whole days go as partitions: DROP TABLE logs_generation_p20261120.
    dropped = {m.group(1) for s in statements if (m := re.search(r"DROP TABLE (\w+)_P\d{8}", s))}
    assert {"LOGS_STAGEPAYLOAD", "BILLING_RATING", "LOGS_GENERATION"} <= deletes | dropped
    assert not (deletes | dropped) & {"BILLING_CHARGE", "BILLING_LEDGERENTRY", "LOGS_HOURLYROLLUP"}
    assert not [s for s in statements if s.startswith("UPDATE") or "INSERT" in s]


# ----------------------------------------------------------------------------- filter choices


def _choices(client):
    form = client.get("/logs/").context["filter"].form
    return {name: {v for v, _ in form.fields[name].choices} for name in ("model", "provider")}


def _facet_statements(queries):
    return [q["sql"] for q in queries.captured_queries if "logs_facet" in q["sql"]]


def test_prune_drops_the_choices_whose_generations_are_all_pruned_and_keeps_those_in_use(
    owner_client, history
):
    # OLD-0 was the only generation with openai; anthropic is still used by NEW-0 and NEW-1.
    assert _choices(owner_client) == {
        "model": {"openai/gpt-4.1", "anthropic/claude-sonnet-4"},
        "provider": {"openai", "anthropic"},
    }
    assert "and 2 filter choices no longer used" in _prune(5)
    assert _choices(owner_client) == {
        "model": {"anthropic/claude-sonnet-4"},
        "provider": {"anthropic"},
    }
    assert set(Facet.objects.values_list("kind", "value")) == {
        ("model", "anthropic/claude-sonnet-4"),
        ("provider", "anthropic"),
        ("finish_reason", "stop"),
    }


def test_prune_drops_choices_with_one_statement_that_never_reads_the_generations(history, outsider):
    # A second account with its own old and new choices: still one statement in all.
    now = datetime.now(UTC)
    store(
        make_record(
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            modelSlug="mistral/large",
            providerSlug="mistral",
            createdAt=(now - timedelta(days=20)).isoformat(),
        ),
        make_record(accountId=ACCOUNT_B, apiKeyId=KEY_B, createdAt=now.isoformat()),
    )
    with CaptureQueriesContext(connection) as queries:
        _prune(5)
    statements = _facet_statements(queries)
    assert len(statements) == 1 and statements[0].startswith("DELETE")
    # No anti-join (NOT EXISTS over logs_generation and its partitions), by kind or account.
    assert "logs_generation" not in statements[0] and "EXISTS" not in statements[0].upper()
    assert not [q["sql"] for q in queries.captured_queries if "EXISTS" in q["sql"].upper()]
    assert not Facet.objects.filter(value__in=["openai/gpt-4.1", "mistral/large"]).exists()
    assert Facet.objects.filter(account__external_id=ACCOUNT_B, value="anthropic").exists()


def test_a_choice_is_last_seen_on_its_latest_created_at_day_whatever_the_order_of_arrival(
    owner,
):
    now = datetime.now(UTC)

    def last_seen():
        return Facet.objects.get(kind="model", value="meta/llama-4").last_seen

    def record(days):
        at = now - timedelta(days=days)
        return make_record(modelSlug="meta/llama-4", createdAt=at.isoformat())

    store(record(8))
    assert last_seen() == (now - timedelta(days=8)).date()
    store(record(20))  # a late record from before: the day does not go back
    assert last_seen() == (now - timedelta(days=8)).date()
    store(record(3), record(12))
    assert last_seen() == (now - timedelta(days=3)).date()


def test_a_late_record_with_an_old_created_at_keeps_its_choice_only_as_long_as_itself(
    owner_client,
):
    # Ingested today, but created 10 days ago: the prune at 5 days takes both.
    old = datetime.now(UTC) - timedelta(days=10)
    store(make_record(modelSlug="meta/llama-4", providerSlug="meta", createdAt=old.isoformat()))
    store(make_record())
    assert "meta/llama-4" in _choices(owner_client)["model"]
    _prune(5)
    assert _choices(owner_client) == {
        "model": {"anthropic/claude-sonnet-4"},
        "provider": {"anthropic"},
    }


def test_ingestion_writes_a_choice_once_a_day_not_per_batch_or_record(
    owner, django_capture_on_commit_callbacks
):
    today = datetime.now(UTC)
    records = [make_record(createdAt=today.isoformat()) for _ in range(50)]
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        store(*records)
    # Three facets (model, provider, finish reason) for 50 records: one statement.
    assert len(_facet_statements(queries)) == 1
    assert Facet.objects.filter(last_seen=today.date()).count() == 3

    # Already written today by this process: nothing more, batch after batch.
    for _ in range(2):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            store(*[make_record(createdAt=today.isoformat()) for _ in range(50)])
        assert _facet_statements(queries) == []

    # A new value in the next batch is written, alone, and the known ones are not.
    with CaptureQueriesContext(connection) as queries:
        store(make_record(finishReason="length"), make_record())
    (statement,) = _facet_statements(queries)
    assert statement.count("length") == 1 and "claude-sonnet-4" not in statement


def test_ingestion_moves_a_choice_last_seen_days_ago_to_today(
    owner, django_capture_on_commit_callbacks
):
    store(make_record())
    # As a facet last written days ago, by this process or another one.
    Facet.objects.update(last_seen=datetime(2026, 1, 1).date())
    forget_facets()
    with django_capture_on_commit_callbacks(execute=True):
        store(make_record(createdAt=datetime.now(UTC).isoformat()))
    today = datetime.now(UTC).date()
    assert set(Facet.objects.values_list("last_seen", flat=True)) == {today}


def test_a_choice_dropped_by_a_prune_comes_back_with_a_later_record_for_it(
    owner_client, django_capture_on_commit_callbacks
):
    # This process wrote meta/llama-4 as last seen 10 days ago, then the prune dropped it:
    # an old day in the memo is not trusted, so the next record brings the choice back.
    now = datetime.now(UTC)
    with django_capture_on_commit_callbacks(execute=True):
        store(
            make_record(modelSlug="meta/llama-4", createdAt=(now - timedelta(days=10)).isoformat())
        )
        store(make_record())
    _prune(5)
    assert "meta/llama-4" not in _choices(owner_client)["model"]
    with django_capture_on_commit_callbacks(execute=True):
        store(
            make_record(modelSlug="meta/llama-4", createdAt=(now - timedelta(days=10)).isoformat())
        )
    assert "meta/llama-4" in _choices(owner_client)["model"]


def test_the_migration_takes_last_seen_from_the_latest_rollup_hour(owner):
    now = datetime.now(UTC)
    store(
        make_record(modelSlug="meta/llama-4", createdAt=(now - timedelta(days=2)).isoformat()),
        make_record(modelSlug="meta/llama-4", createdAt=(now - timedelta(days=9)).isoformat()),
        make_record(createdAt=(now - timedelta(days=30)).isoformat()),
    )
    Generation.objects.all()._raw_delete("default")  # pruned: the rollups remain
    Facet.objects.create(
        account=owner.memberships.get().account,
        kind="model",
        value="no/rollups",
        last_seen=datetime(2000, 1, 1).date(),
    )
    Facet.objects.update(last_seen=datetime(2000, 1, 1).date())
    migration = importlib.import_module("logs.migrations.0014_facet_last_seen")
    migration.from_rollups(apps, None)
    seen = dict(Facet.objects.filter(kind="model").values_list("value", "last_seen"))
    assert seen == {
        "meta/llama-4": (now - timedelta(days=2)).date(),
        "anthropic/claude-sonnet-4": (now - timedelta(days=30)).date(),
        # None to read it from: kept a retention period from the migration's day.
        "no/rollups": now.date(),
    }


# ----------------------------------------------------------------------------- billing


def test_billing_pages_show_the_same_totals_before_and_after_a_prune(owner_client, history):
    billing_before = _billing_figures(owner_client)
    usage_before = {by: _usage_figures(owner_client, by) for by in ("model", "api_key")}
    assert usage_before["model"][2].requests == 5
    assert "openai/gpt-4.1" in usage_before["model"][3]

    _prune(5)

    assert _billing_figures(owner_client) == billing_before
    for by, before in usage_before.items():
        assert _usage_figures(owner_client, by) == before


def test_billing_ledger_names_a_pruned_generation_without_a_link(owner_client, history):
    _prune(5)
    response = owner_client.get("/billing/")
    assert response.status_code == 200
    body = response.content.decode()
    row = next(
        r for r in re.findall(r"<tr id=\"entry-[\w-]+\".*?</tr>", body, re.S) if "OLD-0" in r
    )
    assert "OLD-0 · openai/gpt-4.1" in _text(row)
    assert "log no longer kept" in row and "Settled" in row
    assert "href" not in row
    # A generation still kept is linked as before.
    assert 'href="/logs/NEW-0/"' in body
    assert owner_client.get("/logs/OLD-0/").status_code == 404


def test_billing_ledger_keeps_the_unpaid_tag_after_the_prune(owner_client, account_a):
    credit(account_a, "reward", "0.001")  # less than the request costs
    store(
        make_record(
            generationId="OLD-UNPAID",
            createdAt=(datetime.now(UTC) - timedelta(days=9)).isoformat(),
        )
    )
    assert Charge.objects.get().status == Charge.Status.UNPAID
    _prune(5)
    assert Charge.objects.get().status == Charge.Status.UNPAID
    body = owner_client.get("/billing/").content.decode()
    row = next(
        r for r in re.findall(r"<tr id=\"entry-[\w-]+\".*?</tr>", body, re.S) if "OLD-UNPAID" in r
    )
    assert "Unpaid" in row and "log no longer kept" in row


def test_admin_lists_and_shows_a_charge_whose_generation_was_pruned(admin_client, history):
    charge = Charge.objects.get(generation__generation_id="OLD-1")
    _prune(5)
    listing = admin_client.get("/admin/billing/charge/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f"{charge.pk} (log no longer kept)" in body and "NEW-0" in body
    assert admin_client.get("/admin/billing/charge/", {"o": "1"}).status_code == 200
    assert admin_client.get(f"/admin/billing/charge/{charge.pk}/change/").status_code == 200
    ledger = admin_client.get("/admin/billing/ledgerentry/")
    assert ledger.status_code == 200 and "OLD-1 · anthropic" in ledger.content.decode()


# ----------------------------------------------------------------------------- the list


@pytest.fixture
def around_the_horizon(owner):
    """With 30 days' retention: one generation just inside the horizon, one just past it
    (in the same or the next hour: the summary's edge-hour path), one 40 days old, one
    recent. The prune has not run yet."""
    now = datetime.now(UTC)
    horizon = now - timedelta(days=30)
    store(
        make_record(generationId="INSIDE", createdAt=(horizon + timedelta(minutes=5)).isoformat()),
        make_record(generationId="PAST", createdAt=(horizon - timedelta(minutes=5)).isoformat()),
        make_record(generationId="ANCIENT", createdAt=(now - timedelta(days=40)).isoformat()),
        make_record(generationId="RECENT", createdAt=(now - timedelta(hours=2)).isoformat()),
    )
    return now


def _listed(response):
    return {g.generation_id for g in response.context["rows"]}


@pytest.mark.parametrize(
    "params",
    [
        {"range": "all"},
        {"range": "90d"},
        {"from": "2020-01-01T00:00"},
        {"range": "all", "model": "anthropic/claude-sonnet-4"},
        {"range": "all", "model": "anthropic/claude-sonnet-4", "provider": "anthropic"},
    ],
    ids=["all", "90d", "old-from", "one-dimension", "sampled"],
)
def test_list_and_summary_stop_at_the_retention_horizon(
    owner_client, settings, around_the_horizon, params
):
    settings.LOG_RETENTION_DAYS = 30
    response = owner_client.get("/logs/", params)
    assert response.status_code == 200
    assert _listed(response) == {"INSIDE", "RECENT"}
    assert response.context["summary"].requests == 2
    assert response.context["total"] == 2
    assert "Logs are kept 30 days" in _text(response.content.decode())


def test_summary_does_not_count_rollups_kept_for_billing_after_a_prune(
    owner_client, settings, around_the_horizon
):
    settings.LOG_RETENTION_DAYS = 30
    _prune(30)
    kept = HourlyRollup.objects.filter(dimension="all").values_list("requests", flat=True)
    assert sum(kept) == 4  # the rollups still count the pruned two
    response = owner_client.get("/logs/", {"range": "all"})
    assert _listed(response) == {"INSIDE", "RECENT"}
    assert response.context["summary"].requests == 2
    partial = owner_client.get("/logs/", {"range": "all"}, HTTP_HX_REQUEST="true")
    assert "Logs are kept 30 days" in partial.content.decode()


@pytest.mark.parametrize(
    "params",
    [{}, {"range": "7d"}, {"from": "recent"}],
    ids=["default", "7d", "recent-from"],
)
def test_no_retention_note_when_the_window_is_inside_the_horizon(
    owner_client, settings, around_the_horizon, params
):
    settings.LOG_RETENTION_DAYS = 30
    if params.get("from") == "recent":
        since = around_the_horizon - timedelta(days=29)
        params = {"from": since.isoformat()}
    response = owner_client.get("/logs/", params)
    assert response.status_code == 200
    assert "RECENT" in _listed(response)
    assert "Logs are kept" not in response.content.decode()


def test_without_retention_the_list_counts_everything_and_says_nothing(
    owner_client, settings, around_the_horizon
):
    settings.LOG_RETENTION_DAYS = 0
    response = owner_client.get("/logs/", {"range": "all"})
    assert _listed(response) == {"INSIDE", "PAST", "ANCIENT", "RECENT"}
    assert response.context["summary"].requests == 4
    assert "Logs are kept" not in response.content.decode()


def test_a_window_wholly_past_the_horizon_lists_nothing_and_says_why(
    owner_client, settings, around_the_horizon
):
    settings.LOG_RETENTION_DAYS = 30
    start = around_the_horizon - timedelta(days=45)
    response = owner_client.get(
        "/logs/", {"from": start.isoformat(), "to": (start + timedelta(days=10)).isoformat()}
    )
    assert response.status_code == 200
    assert _listed(response) == set() and response.context["summary"].requests == 0
    assert "Logs are kept 30 days" in _text(response.content.decode())


def test_csv_export_stops_at_the_horizon_too(owner_client, settings, around_the_horizon):
    settings.LOG_RETENTION_DAYS = 30
    body = b"".join(owner_client.get("/logs/export.csv", {"range": "all"}).streaming_content)
    text = body.decode()
    assert "INSIDE" in text and "RECENT" in text
    assert "PAST" not in text and "ANCIENT" not in text


@pytest.mark.parametrize("days", ["36501", "999999999"])
def test_a_retention_longer_than_any_stored_date_is_refused_by_name(db, days):
    # 999999999 days was an OverflowError traceback computing the cutoff.
    with pytest.raises(CommandError, match="--older-than: give at most 36500 days"):
        call_command("prune_generations", "--older-than", days, stdout=io.StringIO())


@pytest.mark.parametrize("days", ["367", "999999999"])
def test_partitions_too_far_ahead_are_refused_by_name(db, days):
    with pytest.raises(CommandError, match="--days-ahead: give at most 366 days"):
        call_command("create_partitions", "--days-ahead", days, stdout=io.StringIO())
