"""The rating engine reproduces the spec's example to the last digit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.models import FeeRate, ModelPrice, PriceVersion
from billing.rating import rate, round_money
from billing.settlement import credit
from tests.factories import EXAMPLE, make_generation, make_record, store

pytestmark = pytest.mark.django_db


def _as_set(details):
    return {
        (
            d["feeItemCode"],
            Decimal(str(d["rate"])),
            Decimal(str(d["originAmount"])),
            Decimal(str(d["discountAmount"])),
            Decimal(str(d["billAmount"])),
        )
        for d in details
    }


def test_example_tokens_alone_reproduce_its_amounts_and_details():
    result = rate(EXAMPLE["modelSlug"], EXAMPLE["nativeFeeTokens"], version="0.0.3")
    assert result.origin_amount == Decimal("0.051006")
    assert result.bill_amount == Decimal("0.051006")
    assert result.discount_amount == Decimal("0")
    assert result.price_version == "0.0.3"
    ours = {
        (line.fee_item_code, line.rate, line.origin_amount, line.discount_amount, line.bill_amount)
        for line in result.lines
    }
    assert ours == _as_set(EXAMPLE["ratingResponses"]["ratingDetails"])


def test_prompt_and_completion_lines_match_the_spec_arithmetic():
    result = rate("anthropic/claude-sonnet-4", {"prompt": 16527, "completion": 95})
    lines = {line.fee_item_code: line.origin_amount for line in result.lines}
    assert lines == {"prompt": Decimal("0.049581"), "completion": Decimal("0.001425")}


def test_record_without_rating_is_rated_on_arrival(owner, account_a):
    credit(account_a, "purchased", "1.00")
    record = make_record(nativeFeeTokens=EXAMPLE["nativeFeeTokens"])
    generation = store(record)[0]
    assert generation.origin_amount == Decimal("0.051006")
    assert generation.real_amount == Decimal("0.051006")
    assert generation.nonpayment_amount == 0
    assert generation.rating.rated_by_us
    assert generation.rating.price_version == "0.0.3"
    assert len(generation.rating.details) == 5


def test_model_without_price_is_stored_with_unknown_cost(owner):
    generation = make_generation(modelSlug="acme/unpriced-model", providerSlug="acme")
    assert generation.origin_amount is None
    assert generation.bill_amount is None
    assert not generation.cost_known
    assert not hasattr(generation, "rating") or generation.rating is None


def test_a_new_price_version_never_changes_old_ratings(owner, client, owner_token):
    now = datetime.now(UTC)
    old = make_generation(
        nativeFeeTokens={"prompt": 1_000_000, "completion": 0},
        createdAt=(now - timedelta(hours=2)).isoformat(),
    )
    assert old.bill_amount == Decimal("3")
    version = PriceVersion.objects.create(
        version="0.0.4", effective_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    price = ModelPrice.objects.create(
        price_version=version, model_slug="anthropic/claude-sonnet-4", provider_slug="anthropic"
    )
    FeeRate.objects.create(model_price=price, fee_item_code="prompt", rate=Decimal("99"))
    version.effective_from = now - timedelta(hours=1)
    version.save()
    body = client.get(
        "/api/v1/generation", {"id": old.generation_id}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    ).json()
    assert body["billAmount"] == "3"
    assert body["ratingResponses"]["priceVersion"] == "0.0.3"
    new = make_generation(
        nativeFeeTokens={"prompt": 1_000_000, "completion": 0}, createdAt=now.isoformat()
    )
    assert new.bill_amount == Decimal("99")


def test_discount_rate_is_reflected_in_discount_and_bill():
    ModelPrice.objects.filter(model_slug="openai/gpt-4.1").update(discount_rate=Decimal("0.1"))
    result = rate("openai/gpt-4.1", {"prompt": 1_000_000, "completion": 500_000})
    assert result.origin_amount == Decimal("6")
    assert result.discount_amount == Decimal("0.6")
    assert result.bill_amount == Decimal("5.4")


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [("0.0000004999", "0.000000"), ("0.0000005", "0.000001"), ("0.0495815", "0.049582")],
)
def test_rounding_is_half_up_to_six_places(exact, rounded):
    assert round_money(Decimal(exact)) == Decimal(rounded)


def test_price_fixture_covers_twelve_models_across_providers():
    models = ModelPrice.objects.filter(price_version__version="0.0.3")
    assert models.count() >= 12
    providers = set(models.values_list("provider_slug", flat=True))
    assert {"anthropic", "openai", "google", "deepseek"} <= providers
    assert len(providers) >= 5
    items = set(FeeRate.objects.values_list("fee_item_code", flat=True))
    assert {"input_cache_read", "input_cache_write_5_min", "internal_reasoning"} <= items


def test_rollup_hours_are_utc_hours_whatever_the_offset(owner):
    from logs.models import HourlyRollup

    make_generation(createdAt="2025-08-22T10:45:00+05:30")  # 05:15 UTC
    hours = set(HourlyRollup.objects.values_list("hour", flat=True))
    assert hours == {datetime(2025, 8, 22, 5, 0, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-0.041006", "-0.041006"),
        ("-1234.5", "-1,234.500000"),
        ("0.0000004", "0.000000"),
        ("12", "12.000000"),
    ],
)
def test_usd_keeps_the_sign_and_six_places(value, shown):
    from logs.templatetags.console import usd

    assert usd(Decimal(value)) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(9999, "9,999"), (416_000, "416.0k"), (1_576_900, "1.6M"), (12_345_678_901, "12.3B")],
)
def test_compact_numbers_in_the_summary_strip(value, shown):
    from logs.templatetags.console import compact

    assert compact(value) == shown
