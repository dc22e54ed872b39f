# Issue 18: an hour's rollup cost holds 38 digits, not an amount's 24 (logs.models.HourlyRollup).
# On PostgreSQL a wider numeric of the same scale is binary compatible: the ALTER rewrites
# neither the table nor its index.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0012_registry_without_like_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hourlyrollup",
            name="cost",
            field=models.DecimalField(decimal_places=10, default=0, max_digits=38),
        ),
    ]
