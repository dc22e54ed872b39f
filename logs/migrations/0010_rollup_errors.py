# Issue 11, section 4: HourlyRollup.errors, how many of an hour's requests failed (an error
# or cancelled), so the list's volume histogram can stack failed on succeeded requests from the
# rollups. Ingestion maintains it from here on (logs.rollups); existing rows are filled from
# the generations still stored. Hours whose generations were pruned before this ran keep 0:
# the console never reads errors of hours past the retention horizon (the list, its summary
# and the histogram all stop there).

import datetime as dt
from collections import defaultdict

from django.db import migrations, models
from django.db.models import Count, Q
from django.db.models.functions import TruncHour

# logs.models.FAILED_FINISH_REASONS when this was written; a migration keeps its own copy.
FAILED_FINISH_REASONS = ("error", "cancelled")
DIMENSIONS = ("all", "model", "provider", "api_key", "finish_reason")


def fill_errors(apps, schema_editor):
    """One grouped read of the failed generations (a few percent of them), then one UPDATE
    per rollup row that has any, each found by the unique (account, dimension, value, hour)."""
    Generation = apps.get_model("logs", "Generation")
    HourlyRollup = apps.get_model("logs", "HourlyRollup")
    failed = Q(cancelled=True) | Q(finish_reason__in=FAILED_FINISH_REASONS)
    groups = (
        Generation.objects.filter(failed)
        .annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
        .values(
            "account_id",
            "hour",
            "model_slug",
            "provider_slug",
            "api_key__external_id",
            "finish_reason",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    totals = defaultdict(int)
    for g in groups.iterator():
        values = (
            "",
            g["model_slug"],
            g["provider_slug"],
            g["api_key__external_id"],
            g["finish_reason"],
        )
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            totals[(g["account_id"], dimension, value, g["hour"])] += g["n"]
    for (account, dimension, value, hour), n in sorted(totals.items()):
        HourlyRollup.objects.filter(
            account_id=account, dimension=dimension, value=value, hour=hour
        ).update(errors=n)


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0009_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="hourlyrollup",
            name="errors",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(fill_errors, migrations.RunPython.noop, elidable=True),
    ]
