"""JSONL import and export, CSV export of a filtered list, and retention."""

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.models import Charge, Rating
from logs.listing.summary import Summary
from logs.models import Facet, Generation, GenerationKey, HourlyRollup, StagePayload
from tests.conftest import is_postgres
from tests.factories import ACCOUNT_A, ACCOUNT_B, KEY_B, example_record, make_record, store

pytestmark = pytest.mark.django_db


def _jsonl(records):
    return "".join(json.dumps(r) + "\n" for r in records)


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _export(account=ACCOUNT_A, *extra):
    out, _ = _run("export_generations", "--account", account, *extra)
    return [json.loads(line) for line in out.splitlines()]


def _records():
    records = [
        make_record(
            stages={
                "user_request": {
                    "headers": {"content-type": "application/json"},
                    "body": {
                        "messages": [{"role": "user", "content": f"q{i}"}],
                        "temperature": 0.7,
                    },
                },
                "user_response": {"headers": {}, "body": f'data: {{"i": {i}}}\n\ndata: [DONE]\n\n'},
            }
        )
        for i in range(5)
    ]
    example = json.loads(json.dumps(example_record(), default=str))
    return [*records, {**example, **{"throughput": "28.81"}}]


def test_import_reports_created_duplicate_and_rejected_and_writes_rejects(owner, tmp_path):
    path = tmp_path / "gens.jsonl"
    good = _records()
    lines = _jsonl(good[:3]) + "{not json\n" + _jsonl([make_record(latency=-3)]) + _jsonl(good)
    path.write_text(lines)
    out, _ = _run("import_generations", str(path), "--no-progress")
    assert "6 created, 3 duplicate, 2 rejected" in out
    assert "records/s" in out
    rejects = [
        json.loads(line)
        for line in (tmp_path / "gens.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    assert [r["line"] for r in rejects] == [4, 5]
    assert rejects[0]["errors"][0]["field"] == "(line)"
    assert rejects[1]["errors"][0]["field"] == "latency"
    assert Generation.objects.count() == 6


def test_import_reads_gzip_and_several_files(owner, tmp_path):
    records = _records()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(_jsonl(records[:3]).encode()))
    (tmp_path / "b.jsonl").write_text(_jsonl(records[3:]))
    out, _ = _run(
        "import_generations",
        str(tmp_path / "a.jsonl.gz"),
        str(tmp_path / "b.jsonl"),
        "--no-progress",
    )
    assert "from 2 file(s): 6 created, 0 duplicate, 0 rejected" in out
    assert not (tmp_path / "a.jsonl.gz.rejects.jsonl").exists()


def test_import_of_a_missing_file_names_it(owner, tmp_path):
    with pytest.raises(CommandError, match="FILE: .*nope.jsonl is not a file"):
        _run("import_generations", str(tmp_path / "nope.jsonl"))


def test_import_export_import_changes_nothing(owner, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(_jsonl(_records()))
    _run("import_generations", str(source), "--no-progress")
    first = _export()
    assert len(first) == 6 and all(
        "stages" in r for r in first[:-1] if r["generationId"] != "2534CCEDTKJR00217635"
    )
    exported = tmp_path / "out.jsonl"
    exported.write_text(_jsonl(first))

    out, _ = _run("import_generations", str(exported), "--no-progress")
    assert "0 created, 6 duplicate, 0 rejected" in out
    assert _export() == first

    # And into an empty database, the export reproduces itself exactly. (The registry of
    # ids outlives deleted logs on purpose, so it is emptied too.)
    Generation.objects.all().delete()
    GenerationKey.objects.all().delete()
    HourlyRollup.objects.all().delete()
    out, _ = _run("import_generations", str(exported), "--no-progress")
    assert "6 created" in out
    assert _export() == first


def test_export_keeps_types_amounts_and_stage_bodies(owner):
    store(example_record())
    record = _export()[0]
    assert record["originAmount"] == "0.051006"
    assert record["ratingResponses"]["ratingDetails"][0]["rate"] == 3.75
    generation = store(
        make_record(
            stages={"origin_request": {"headers": {"a": "b"}, "body": {"t": 0.7, "n": [1]}}}
        )
    )[0]
    exported = next(r for r in _export() if r["generationId"] == generation.generation_id)
    assert exported["stages"] == {
        "origin_request": {"headers": {"a": "b"}, "body": {"t": 0.7, "n": [1]}}
    }


def test_export_is_scoped_to_the_account_and_window(owner, outsider):
    now = datetime.now(UTC)
    store(
        make_record(generationId="IN1", createdAt=(now - timedelta(days=2)).isoformat()),
        make_record(generationId="OLD1", createdAt=(now - timedelta(days=20)).isoformat()),
        make_record(generationId="B1", accountId=ACCOUNT_B, apiKeyId=KEY_B),
    )
    since = (now - timedelta(days=7)).isoformat()
    assert [r["generationId"] for r in _export(ACCOUNT_A, "--from", since)] == ["IN1"]
    assert [r["generationId"] for r in _export(ACCOUNT_B)] == ["B1"]
    with pytest.raises(CommandError, match="--from"):
        _export(ACCOUNT_A, "--from", "yesterday")
    with pytest.raises(CommandError, match="--account"):
        _export("NOPE")


# ------------------------------------------------------------------------------- CSV


def _csv(response):
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_has_the_filtered_rows_columns_and_amounts(owner_client, owner):
    store(
        make_record(
            generationId="C1",
            modelSlug="openai/gpt-4.1",
            providerSlug="openai",
            nativeFeeTokens={"prompt": 1000, "completion": 10, "input_cache_read": 5},
        ),
        make_record(generationId="C2", modelSlug="openai/gpt-4.1", providerSlug="openai"),
        make_record(generationId="C3"),
    )
    response = owner_client.get("/logs/export.csv", {"model": "openai/gpt-4.1", "cursor": "o1.1"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert {r["Generation ID"] for r in rows} == {"C1", "C2"}
    c1 = next(r for r in rows if r["Generation ID"] == "C1")
    assert c1["Input Tokens"] == "1005" and c1["input_cache_read"] == "5"
    # 1000 x $2/M + 10 x $8/M + 5 x $0.5/M = 0.002 + 0.00008 + 0.000003 (rounded half-up)
    assert c1["billAmount"] == c1["Cost (USD)"] == "0.002083"
    assert c1["Model"] == "openai/gpt-4.1"
    for column in (
        "Timestamp (UTC)",
        "Output Tokens",
        "Latency (ms)",
        "Throughput (tps)",
        "Finish",
        "originAmount",
        "nonpaymentAmount",
        "realAmount",
    ):
        assert column in c1


def test_csv_export_neutralises_spreadsheet_formulas(owner_client, owner):
    store(make_record(generationId="F1", finishReason='=HYPERLINK("http://x")'))
    row = _csv(owner_client.get("/logs/export.csv"))[0]
    assert row["Finish"].startswith("'=")


def test_csv_export_is_scoped_and_validates_filters(owner_client, owner, outsider):
    store(
        make_record(generationId="MINE"),
        make_record(generationId="THEIRS", accountId=ACCOUNT_B, apiKeyId=KEY_B),
    )
    assert [r["Generation ID"] for r in _csv(owner_client.get("/logs/export.csv"))] == ["MINE"]
    bad = owner_client.get("/logs/export.csv", {"range": "forever"})
    assert bad.status_code == 400 and b"range" in bad.content


def test_csv_export_streams_in_chunks(owner_client, owner, monkeypatch):
    monkeypatch.setattr("logs.listing.exports.CHUNK", 7)
    store(*[make_record(generationId=f"S{i:03d}") for i in range(30)])
    ids = [r["Generation ID"] for r in _csv(owner_client.get("/logs/export.csv"))]
    assert len(ids) == len(set(ids)) == 30


def test_list_page_links_to_the_csv_of_its_filters(owner_client, owner):
    store(make_record(modelSlug="openai/gpt-4.1", providerSlug="openai"))
    body = owner_client.get("/logs/", {"model": "openai/gpt-4.1"}).content.decode()
    assert 'href="/logs/export.csv?model=openai%2Fgpt-4.1"' in body


# --------------------------------------------------------------------------- retention


def _rollup_totals():
    totals = Summary()
    for row in HourlyRollup.objects.filter(dimension="all").values():
        totals.add(row)
    return totals


def test_prune_deletes_old_generations_in_batches_and_keeps_the_money_trail(owner, account_a):
    now = datetime.now(UTC)
    store(
        *[
            make_record(
                generationId=f"OLD{i}",
                createdAt=(now - timedelta(days=40 + i)).isoformat(),
                stages={"user_request": {"headers": {}, "body": {}}},
            )
            for i in range(7)
        ],
        *[
            make_record(generationId=f"NEW{i}", createdAt=(now - timedelta(days=i)).isoformat())
            for i in range(3)
        ],
    )
    stored = list(Generation.objects.all())
    out, _ = _run("prune_generations", "--older-than", "30", "--batch-size", "3")
    assert "Pruned 7 generations older than 30 days" in out
    # Seven whole days before the cutoff: on PostgreSQL their partitions are dropped; SQLite
    # deletes them in batches of --batch-size.
    assert ("Dropped 7 daily partitions" if is_postgres() else "in 3 batches") in out
    assert sorted(Generation.objects.values_list("generation_id", flat=True)) == [
        "NEW0",
        "NEW1",
        "NEW2",
    ]
    assert StagePayload.objects.count() == 0 and Rating.objects.count() == 3
    # The money trail stays: every charge, and rollups still counting the pruned hours.
    assert Charge.objects.count() == 10
    totals = _rollup_totals()
    assert totals.requests == 10
    assert totals.cost == sum((g.bill_amount for g in stored), Decimal(0))
    assert totals.input_tokens == sum(g.input_tokens for g in stored)


def test_prune_drops_filter_choices_no_generation_uses_any_more(owner, owner_client):
    now = datetime.now(UTC)
    old = (now - timedelta(days=40)).isoformat()
    store(
        make_record(createdAt=old, modelSlug="openai/gpt-4.1", providerSlug="openai"),
        make_record(createdAt=old, finishReason="length"),
        make_record(createdAt=now.isoformat(), finishReason="stop"),
    )
    _run("prune_generations", "--older-than", "30")
    kept = set(Facet.objects.values_list("kind", "value"))
    assert kept == {
        ("model", "anthropic/claude-sonnet-4"),
        ("provider", "anthropic"),
        ("finish_reason", "stop"),
    }
    body = owner_client.get("/logs/").content.decode()
    assert "openai/gpt-4.1" not in body and ">length<" not in body


def test_prune_uses_the_retention_setting_and_refuses_without_one(owner, settings):
    settings.LOG_RETENTION_DAYS = 0
    with pytest.raises(CommandError, match="--older-than"):
        _run("prune_generations")
    settings.LOG_RETENTION_DAYS = 1
    store(make_record(createdAt=(datetime.now(UTC) - timedelta(days=3)).isoformat()))
    out, _ = _run("prune_generations")
    assert "Pruned 1 generations older than 1 days" in out
