"""Storage cuts (logs 0007, billing 0009): lz4 for the payload columns on PostgreSQL, no
ingested_at, NULL rather than {} for absent extras; the raw metadata still round-trips."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from billing.models import Rating
from logs.models import Generation, GenerationKey, StagePayload
from logs.record.raw import to_raw_metadata
from tests.conftest import is_postgres
from tests.factories import make_record, store

LZ4_COLUMNS = [
    (StagePayload, "body"),
    (StagePayload, "headers"),
    (Generation, "native_tokens"),
    (Generation, "extra_metadata"),
    (Rating, "details"),
    (Rating, "extra"),
]
_AMOUNTS = ("originAmount", "billAmount", "discountAmount", "realAmount", "nonpaymentAmount")
BEFORE = [("logs", "0006_bad_token_minute"), ("billing", "0008_money_trail_outlives_logs")]


def _compression(model, column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = %s",
            [model._meta.db_table, column],
        )
        return cursor.fetchone()[0]


def _columns(model):
    with connection.cursor() as cursor:
        return [
            c.name
            for c in connection.introspection.get_table_description(cursor, model._meta.db_table)
        ]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_storage_cuts_migrate_forwards_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    assert "ingested_at" in _columns(Generation)
    if is_postgres():
        assert all(_compression(m, c) == "" for m, c in LZ4_COLUMNS)  # the server's default

    _migrate(latest)
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("logs", "0007_storage_cuts") in applied
    assert ("billing", "0009_storage_cuts") in applied
    assert "ingested_at" not in _columns(Generation)
    if is_postgres():
        assert {(m.__name__, c): _compression(m, c) for m, c in LZ4_COLUMNS} == {
            (m.__name__, c): "l" for m, c in LZ4_COLUMNS
        }
    # Whatever the database, the schema takes a generation with all its rows.
    stored = store(make_record(stages={"user_request": {"headers": {}, "body": {"q": 1}}}))[0]
    assert json.loads(stored.stages.get().body) == {"q": 1}


def test_a_record_without_extras_stores_null_and_reads_back_the_same(db):
    record = make_record()
    generation = store(record)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT other_fee_tokens IS NULL, extra_metadata IS NULL FROM logs_generation "
            "WHERE id = %s",
            [generation.pk],
        )
        assert cursor.fetchone() == (True, True)
    raw = to_raw_metadata(Generation.objects.get(pk=generation.pk))
    assert raw["nativeFeeTokens"] == record["nativeFeeTokens"]
    assert set(raw) <= set(record) | {"ratingResponses", *_AMOUNTS}


def test_unknown_fee_items_and_keys_are_still_kept(db):
    record = make_record(
        nativeFeeTokens={"prompt": 10, "video_seconds": 3}, gatewayRegion="eu-west-1"
    )
    raw = to_raw_metadata(store(record)[0])
    assert raw["nativeFeeTokens"] == {"prompt": 10, "video_seconds": 3}
    assert raw["gatewayRegion"] == "eu-west-1"


def test_a_large_stage_body_is_stored_whole_and_on_postgresql_with_lz4(db):
    text = "Summarise the incident. " * 2000
    body = {"messages": [{"role": "user", "content": text}]}
    generation = store(make_record(stages={"user_request": {"headers": {}, "body": body}}))[0]
    assert text in generation.stages.get().body
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_column_compression(body), pg_column_size(body), octet_length(body) "
                "FROM logs_stagepayload WHERE generation_id = %s",
                [generation.pk],
            )
            method, stored, length = cursor.fetchone()
        assert method == "lz4"
        assert stored < length / 10


@pytest.mark.django_db
def test_the_registry_keeps_one_index_on_generation_id():
    # Django gives a varchar primary key a second, varchar_pattern_ops index on PostgreSQL
    # for LIKE 'prefix%'. Ids are only ever looked up whole; logs 0012 drops that copy.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, GenerationKey._meta.db_table)
    on_id = [
        name
        for name, c in constraints.items()
        if c["columns"] == ["generation_id"] and (c["index"] or c["primary_key"])
    ]
    assert len(on_id) == 1, on_id
