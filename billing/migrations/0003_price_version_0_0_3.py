from django.db import migrations

from billing.prices import FIXTURES, load_price_file


def load(apps, schema_editor):
    load_price_file(
        FIXTURES / "prices-0.0.3.json",
        apps.get_model("billing", "PriceVersion"),
        apps.get_model("billing", "ModelPrice"),
        apps.get_model("billing", "FeeRate"),
    )


def unload(apps, schema_editor):
    apps.get_model("billing", "PriceVersion").objects.filter(version="0.0.3").delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]
    operations = [migrations.RunPython(load, unload)]
