# A rating carries its generation's account and created_at (issue 10): on PostgreSQL ratings
# are partitioned by created_at like generations (logs 0011), and every read of them names
# both, so it touches one partition, and, distributed by account, one node.

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Copies each rating's account and created_at from its generation. Ratings whose
    generation is gone (none should be) cannot be placed in a partition and are dropped."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM billing_rating WHERE generation_id NOT IN (SELECT id FROM logs_generation)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE billing_rating AS r SET account_id = g.account_id, "
                "created_at = g.created_at FROM logs_generation AS g WHERE g.id = r.generation_id"
            )
        else:
            cursor.execute(
                "UPDATE billing_rating SET "
                "account_id = (SELECT account_id FROM logs_generation g "
                "WHERE g.id = billing_rating.generation_id), "
                "created_at = (SELECT created_at FROM logs_generation g "
                "WHERE g.id = billing_rating.generation_id)"
            )


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0009_storage_cuts"),
        ("logs", "0007_storage_cuts"),
    ]

    operations = [
        migrations.AddField(
            model_name="rating",
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
            model_name="rating",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="rating",
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
            model_name="rating",
            name="created_at",
            field=models.DateTimeField(),
        ),
    ]
