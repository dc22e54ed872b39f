# Issue 10, section 4: the ledger's index on generation_id served no query (the ledger is
# read by account and time; a deleted generation leaves its lines alone), and cost an index
# insert per charged generation and ~25 bytes a line.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_rating_keys"),
        ("logs", "0012_registry_without_like_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="generation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="logs.generation",
            ),
        ),
    ]
