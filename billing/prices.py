"""Loading a price table file (billing/fixtures/prices-*.json) into a PriceVersion."""

import json
from decimal import Decimal
from pathlib import Path

from django.utils.dateparse import parse_datetime

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_price_file(path, PriceVersion, ModelPrice, FeeRate):  # noqa: N803 - model classes
    """Idempotent: a version that exists already is left as it is, because ratings made
    with it must keep meaning what they meant. Takes the model classes so a data
    migration can pass its historical ones."""
    data = json.loads(Path(path).read_text(), parse_float=Decimal)
    version, created = PriceVersion.objects.get_or_create(
        version=data["version"],
        defaults={
            "effective_from": parse_datetime(data["effective_from"]),
            "notes": data.get("notes", ""),
        },
    )
    if not created:
        return version, False
    for entry in data["models"]:
        price = ModelPrice.objects.create(
            price_version=version,
            model_slug=entry["model_slug"],
            model_name=entry.get("model_name", ""),
            provider_slug=entry["provider_slug"],
            service_code=entry.get("service_code", ""),
            discount_rate=Decimal(entry.get("discount_rate", "0")),
        )
        FeeRate.objects.bulk_create(
            FeeRate(model_price=price, fee_item_code=item, rate=Decimal(rate))
            for item, rate in entry["rates"].items()
        )
    return version, True
