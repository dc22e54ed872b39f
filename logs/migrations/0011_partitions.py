# Issue 10: generations, stages, ratings and search text partitioned by day of created_at on PostgreSQL
# (logs.partitions says why daily), the generation-id registry that keeps generationId
# unique across partitions, and primary keys that include account_id on every table that
# grows with traffic, so each could be distributed by account (docs/scaling.md).
# On SQLite only the model changes apply: the registry, and a stage's account and time.

import django.db.models.deletion
from django.db import migrations, models

from zenlogs.migration_operations import PartitionByTime


def fill_registry(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO logs_generationkey "
            "(generation_id, stored_id, account_id, created_at, content_hash) "
            "SELECT generation_id, id, account_id, created_at, content_hash FROM logs_generation"
        )


def fill_stage_keys(apps, schema_editor):
    """Copies each stage's account and created_at from its generation (see billing 0010)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM logs_stagepayload "
            "WHERE generation_id NOT IN (SELECT id FROM logs_generation)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE logs_stagepayload AS s SET account_id = g.account_id, "
                "created_at = g.created_at FROM logs_generation AS g WHERE g.id = s.generation_id"
            )
        else:
            cursor.execute(
                "UPDATE logs_stagepayload SET "
                "account_id = (SELECT account_id FROM logs_generation g "
                "WHERE g.id = logs_stagepayload.generation_id), "
                "created_at = (SELECT created_at FROM logs_generation g "
                "WHERE g.id = logs_stagepayload.generation_id)"
            )


# Tables that grow with traffic but are not partitioned: their primary key gains account_id
# (Citus enforces a primary key only when it contains the distribution column). The first
# column stays first, so lookups by it still use the key's index.
ACCOUNT_KEYS = {
    "billing_charge": (["generation_id", "account_id"], ["generation_id"]),
    "billing_ledgerentry": (["id", "account_id"], ["id"]),
    "logs_hourlyrollup": (["id", "account_id"], ["id"]),
    "logs_facet": (["id", "account_id"], ["id"]),
}


def _set_keys(schema_editor, which):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, keys in ACCOUNT_KEYS.items():
            columns = ", ".join(f'"{c}"' for c in keys[which])
            cursor.execute(
                f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_pkey", '
                f'ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({columns})'
            )


def account_keys(apps, schema_editor):
    _set_keys(schema_editor, 0)


def plain_keys(apps, schema_editor):
    _set_keys(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0010_rating_keys"),
        ("logs", "0010_rollup_errors"),
    ]

    operations = [
        migrations.CreateModel(
            name="GenerationKey",
            fields=[
                (
                    "generation_id",
                    models.CharField(max_length=64, primary_key=True, serialize=False),
                ),
                ("stored_id", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
                ("content_hash", models.CharField(blank=True, max_length=64)),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="billing.account",
                    ),
                ),
            ],
        ),
        migrations.RunPython(fill_registry, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(model_name="generation", name="unique_generation_id"),
        migrations.AddField(
            model_name="stagepayload",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="billing.account",
            ),
        ),
        migrations.AddField(
            model_name="stagepayload",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_stage_keys, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="stagepayload",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="billing.account",
            ),
        ),
        migrations.AlterField(
            model_name="stagepayload",
            name="created_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveConstraint(model_name="stagepayload", name="unique_stage"),
        migrations.AddConstraint(
            model_name="stagepayload",
            constraint=models.UniqueConstraint(
                fields=("generation", "stage", "account", "created_at"), name="unique_stage"
            ),
        ),
        PartitionByTime(
            "logs_generation",
            primary_key=["id", "account_id", "created_at"],
            original_primary_key=["id"],
        ),
        PartitionByTime(
            "logs_stagepayload",
            primary_key=["generation_id", "stage", "account_id", "created_at"],
            original_primary_key=["id"],
            replaces={"unique_stage": ["generation_id", "stage", "account_id", "created_at"]},
        ),
        PartitionByTime(
            "billing_rating",
            primary_key=["generation_id", "account_id", "created_at"],
            original_primary_key=["generation_id"],
        ),
        PartitionByTime(
            "logs_searchtext",
            primary_key=["generation_id", "account_id", "created_at"],
            original_primary_key=["generation_id"],
        ),
        migrations.RunPython(account_keys, plain_keys),
    ]
