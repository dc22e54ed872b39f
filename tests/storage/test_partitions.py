"""Time partitioning (issue 10, section 2): generations, stages and ratings are partitioned by
day on PostgreSQL, and behave the same as SQLite's plain tables: a record is stored whatever
its createdAt, its generationId stays unique across every partition, request_id finds it
over all time, and whole days leave by dropping partitions."""

import functools
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Charge, Rating
from logs.ingest import ingest
from logs.models import Generation, GenerationKey, StagePayload
from tests.conftest import is_postgres
from tests.factories import ACCOUNT_A, at_once, make_record, post_records, store
from zenlogs import partitions

STAGES = {
    "user_request": {"headers": {}, "body": {"messages": [{"role": "user", "content": "hi"}]}}
}


def _partition_days(table):
    return {day for _, day in partitions.partitions(table)}


def _stored(generation_id):
    generation = Generation.objects.public_id(generation_id).get()
    return (
        generation,
        list(
            StagePayload.objects.filter(
                generation=generation,
                account_id=generation.account_id,
                created_at=generation.created_at,
            )
        ),
        Rating.objects.filter(generation=generation).first(),
    )


@pytest.mark.parametrize(
    "created_at",
    ["2025-01-01T00:00:00+00:00", "2031-06-30T23:59:59.999999+00:00", "2026-03-29T01:30:00+01:00"],
)
def test_a_record_is_stored_whatever_its_created_at(db, created_at):
    """No record is rejected for want of a partition: ingestion makes the day's partition
    of every table first."""
    store(make_record(generationId="ANYDAY", createdAt=created_at, stages=STAGES))
    generation, stages, rating = _stored("ANYDAY")
    assert generation.created_at == datetime.fromisoformat(created_at)
    assert [s.stage for s in stages] == ["user_request"]
    assert rating is not None and rating.created_at == generation.created_at
    if is_postgres():
        day = partitions.day_of(generation.created_at)
        for table in ("logs_generation", "logs_stagepayload", "billing_rating"):
            assert day in _partition_days(table), table


def test_a_record_sent_again_with_another_created_at_is_a_duplicate(db):
    store(make_record(generationId="MOVED", createdAt="2026-01-10T10:00:00+00:00"))
    outcomes = ingest(
        [
            make_record(generationId="MOVED", createdAt="2026-02-20T10:00:00+00:00"),
            make_record(generationId="SAME", createdAt="2026-01-10T10:00:00+00:00"),
        ]
    )
    assert outcomes[0].as_dict() == {
        "index": 0,
        "generationId": "MOVED",
        "status": "duplicate",
        "contentDiffers": True,
    }
    assert outcomes[1].status == "created"
    assert Generation.objects.filter(generation_id="MOVED").count() == 1
    assert Generation.objects.public_id("MOVED").get().created_at == datetime(
        2026, 1, 10, 10, tzinfo=UTC
    )
    # The same record again, same createdAt: a duplicate whose content does not differ.
    again = ingest([make_record(generationId="MOVED", createdAt="2026-01-10T10:00:00+00:00")])
    assert again[0].as_dict()["contentDiffers"] is False


def test_eight_clients_posting_one_batch_with_different_created_ats_store_it_once(
    prices, ingest_token
):
    """Each client's copy of the batch puts every record on another day, so on PostgreSQL
    the copies land in different partitions: only the registry can keep them unique."""
    start = timezone.now() - timedelta(days=20)
    bodies = [
        json.dumps(
            [
                make_record(
                    generationId=f"RACE{i:03d}",
                    createdAt=(start + timedelta(days=client, minutes=i)).isoformat(),
                    stages=STAGES,
                )
                for i in range(40)
            ]
        )
        for client in range(8)
    ]

    def post(body):
        response = post_records(Client(), ingest_token, body)
        return response.status_code, response.json()

    results = at_once(*[functools.partial(post, body) for body in bodies])
    assert [status for status, _ in results] == [200] * 8
    assert sum(r["created"] for _, r in results) == 40
    assert sum(r["duplicate"] for _, r in results) == 7 * 40
    assert Generation.objects.count() == 40
    assert GenerationKey.objects.count() == 40
    assert StagePayload.objects.count() == 40
    assert Rating.objects.count() == 40
    assert Charge.objects.count() == 40
    # Every row is the copy whose claim won, whole: its stages and rating share its day.
    for generation in Generation.objects.all():
        key = GenerationKey.objects.get(generation_id=generation.generation_id)
        assert (key.stored_id, key.created_at) == (generation.pk, generation.created_at)
        assert StagePayload.objects.get(generation=generation).created_at == generation.created_at


def test_request_id_finds_a_generation_of_any_age_by_the_registry(owner_client):
    old = (timezone.now() - timedelta(days=300)).isoformat()
    store(
        make_record(generationId="LONGAGO", createdAt=old),
        make_record(generationId="RECENT"),
    )
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", {"range": "all", "request_id": "LONGAGO"})
    assert response.status_code == 200
    assert [row.generation_id for row in response.context["rows"]] == ["LONGAGO"]
    page = [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]]
    assert any("logs_generationkey" in sql for sql in page)
    # And the details page and raw metadata API find it the same way.
    assert owner_client.get("/logs/LONGAGO/").status_code == 200
    raw = owner_client.get("/api/v1/generation", {"id": "LONGAGO"})
    assert raw.status_code == 200 and raw.json()["generationId"] == "LONGAGO"


def test_the_newest_page_reads_partitions_newest_first_and_stops(owner_client):
    now = timezone.now()
    store(
        *[
            make_record(
                generationId=f"DAY{d}-{i}",
                createdAt=(now - timedelta(days=d, minutes=i)).isoformat(),
            )
            for d in range(6)
            for i in range(4)
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", {"page_size": 3})
    assert [g.generation_id for g in response.context["rows"]] == ["DAY0-0", "DAY0-1", "DAY0-2"]
    page = next(q["sql"] for q in queries.captured_queries if q["sql"].rstrip().endswith("LIMIT 4"))
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + page)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # An ordered Append: partitions newest first, each read off its index in order,
            # and the older days never opened once the page is full. No sort, no merge.
            assert "Append" in plan and "Merge Append" not in plan and "Sort" not in plan
            assert "(never executed)" in plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + page)
            assert not [row for row in cursor.fetchall() if "TEMP B-TREE" in row[3]]


def test_prune_drops_whole_days_and_deletes_rows_only_in_the_cutoff_day(db):
    now = timezone.now()
    store(
        *[
            make_record(
                generationId=f"OLD{d}",
                createdAt=(now - timedelta(days=d)).isoformat(),
                stages=STAGES,
            )
            for d in (40, 35, 31)
        ],
        make_record(generationId="EDGE", createdAt=(now - timedelta(days=30, hours=1)).isoformat()),
        make_record(generationId="KEEP", createdAt=(now - timedelta(days=29)).isoformat()),
    )
    cutoff_day = partitions.day_of(now - timedelta(days=30))
    call_command("prune_generations", "--older-than", "30", stdout=open("/dev/null", "w"))  # noqa: SIM115
    left = set(Generation.objects.values_list("generation_id", flat=True))
    assert left == {"KEEP"} or (
        # EDGE may fall on the cutoff's day after the cutoff when run just after midnight.
        left == {"KEEP", "EDGE"}
        and now - timedelta(days=30, hours=1)
        >= datetime.combine(cutoff_day, datetime.min.time(), tzinfo=UTC)
    )
    assert StagePayload.objects.count() == 0
    assert Rating.objects.count() == len(left)
    # The registry outlives the logs: a pruned record sent again is still a duplicate.
    assert ingest([make_record(generationId="OLD40")])[0].status == "duplicate"
    if is_postgres():
        for table in ("logs_generation", "logs_stagepayload", "billing_rating"):
            assert not [day for day in _partition_days(table) if day < cutoff_day], table


def test_create_partitions_makes_the_days_ahead(db, capsys):
    call_command("create_partitions", "--days-ahead", "3")
    out = capsys.readouterr().out
    if not is_postgres():
        assert "not partitioned" in out
        return
    today = partitions.day_of(timezone.now())
    ahead = {today + timedelta(days=n) for n in range(4)}
    for table in ("logs_generation", "logs_stagepayload", "billing_rating"):
        assert ahead <= _partition_days(table)
    call_command("create_partitions", "--days-ahead", "3")
    assert "0 created" in capsys.readouterr().out


def test_migrating_an_existing_database_keeps_every_row_and_id(prices):
    """logs 0011 takes a database with data to the partitioned layout (and back)."""
    store(
        make_record(generationId="MIG1", createdAt="2026-01-05T08:00:00+00:00", stages=STAGES),
        make_record(generationId="MIG2", createdAt="2026-02-07T09:00:00+00:00"),
    )
    before = sorted(Generation.objects.values_list("pk", "generation_id", "created_at"))
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("logs", "0010_rollup_errors"), ("billing", "0010_rating_keys")])
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert sorted(Generation.objects.values_list("pk", "generation_id", "created_at")) == before
    assert StagePayload.objects.count() == 1 and Rating.objects.count() == 2
    store(make_record(generationId="MIG3"))
    # Ids go on from where they stood: never handed out twice.
    assert Generation.objects.public_id("MIG3").get().pk > max(pk for pk, _, _ in before)
    if is_postgres():
        assert {datetime(2026, 1, 5).date(), datetime(2026, 2, 7).date()} <= _partition_days(
            "logs_generation"
        )
    assert GenerationKey.objects.filter(generation_id__in=["MIG1", "MIG2", "MIG3"]).count() == 3
    assert ACCOUNT_A in {g.account.external_id for g in Generation.objects.all()}
