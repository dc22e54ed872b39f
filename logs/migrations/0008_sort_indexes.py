# Issue 11, sorting: one index for the list's cost order (sort=-cost, sort=cost) and the cost
# bounds (cost_min, cost_max), led by the account like every list index and ending in id, so
# that a page under either is one index range (zenlogs.keyset). The other sorts (latency,
# generation time, tokens, throughput) have none: each index is paid for on every insert
# (bench/README.md, "Sorting"), and those sorts read the window and keep its top rows.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0007_storage_cuts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="generation",
            index=models.Index(fields=["account", "-bill_amount", "-id"], name="gen_account_cost"),
        ),
    ]
