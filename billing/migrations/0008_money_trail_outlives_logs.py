# Retention (prune_generations) deletes generations and keeps their charges and ledger lines.
# The database has no foreign key here (db_constraint=False, billing 0005/0007): on_delete
# is Django's own behaviour, so these operations change the migration state and no SQL.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0007_no_row_level_key_checks'),
    ]

    operations = [
        migrations.AlterField(
            model_name='charge',
            name='generation',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='charge', serialize=False, to='logs.generation'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='generation',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='logs.generation'),
        ),
    ]
