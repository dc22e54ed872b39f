"""Ready for Citus (issue 10, section 5): every table that grows with traffic carries
account_id, has it in its primary key and every unique constraint (Citus enforces
uniqueness only when the distribution column is in it), and every query a console page
issues for an account names the account on those tables, so distributed by account_id each
page's reads stay on one node."""

import importlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Charge, LedgerEntry, Rating
from logs.models import Facet, Generation, HourlyRollup, SearchText, StagePayload
from tests.conftest import is_postgres
from tests.factories import make_record, store

GROWING = [Generation, StagePayload, Rating, SearchText, Charge, LedgerEntry, HourlyRollup, Facet]
# Reference tables (a copy on every node) and per-account settings: not distributed by rows.
TABLES = {model._meta.db_table for model in GROWING}


def _postgres_keys():
    """{table: [primary key columns]} as the migrations set them on PostgreSQL, read from
    the operations themselves, so that SQLite checks the same declaration."""
    migration = importlib.import_module("logs.migrations.0011_partitions")
    keys = {table: columns for table, (columns, _) in migration.ACCOUNT_KEYS.items()}
    for operation in migration.Migration.operations:
        if type(operation).__name__ == "PartitionByTime":
            keys[operation.table] = operation.primary_key
    return keys


@pytest.mark.django_db
def test_every_growing_table_has_account_id_in_every_key_and_unique_constraint():
    keys = _postgres_keys()
    missing = []
    for model in GROWING:
        table = model._meta.db_table
        if model._meta.get_field("account").column != "account_id":
            missing.append(f"{table}: no account_id column")
        if "account_id" not in keys.get(table, []):
            missing.append(f"{table}: primary key {keys.get(table)} on PostgreSQL")
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields and "account" not in fields:
                missing.append(f"{table}: unique {constraint.name} {fields}")
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                missing.append(f"{table}: unique column {field.column}")
        if is_postgres():
            with connection.cursor() as cursor:
                found = connection.introspection.get_constraints(cursor, table)
            for name, info in found.items():
                if (info["primary_key"] or info["unique"]) and "account_id" not in info["columns"]:
                    missing.append(f"{table}: {name} {info['columns']} in the database")
            primary = [i["columns"] for i in found.values() if i["primary_key"]]
            if primary != [list(keys[table])]:
                missing.append(f"{table}: database primary key {primary}")
    assert missing == []


ACCOUNT_CONDITION = re.compile(r'"account_id"\s*(=|IN\b)', re.IGNORECASE)


def _touched(sql):
    return {t for t in TABLES if re.search(rf'"{t}"', sql)}


def test_each_console_page_names_the_account_on_every_growing_table(owner_client, owner):
    now = timezone.now()
    store(
        *[
            make_record(
                generationId=f"DIST{i}",
                createdAt=(now - timedelta(hours=i)).isoformat(),
                stages={
                    "user_request": {
                        "headers": {},
                        "body": {"messages": [{"role": "user", "content": f"refund {i}"}]},
                    }
                },
            )
            for i in range(5)
        ]
    )
    pages = [
        ("/logs/", {}),
        ("/logs/", {"model": "anthropic/claude-sonnet-4", "range": "all"}),
        ("/logs/", {"request_id": "DIST2"}),
        ("/logs/", {"q": "refund", "sort": "-cost"}),
        ("/logs/", {"cost_min": "0.0001"}),
        ("/logs/DIST2/", {}),
        ("/logs/DIST2/", {"view": "json"}),
        ("/logs/export.csv", {}),
        ("/api/v1/generation", {"id": "DIST3"}),
        ("/billing/", {}),
        ("/billing/usage/", {}),
    ]
    unscoped, checked = [], 0
    for url, params in pages:
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(url, params)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, (url, params)
        for query in queries.captured_queries:
            sql = query["sql"]
            if _touched(sql):
                checked += 1
                if not ACCOUNT_CONDITION.search(sql):
                    unscoped.append((url, params, sql))
    assert unscoped == []
    assert checked >= 2 * len(pages)  # the pages did read those tables
