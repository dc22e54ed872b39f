"""The rating engine: token counts and a price table in, rating details and amounts out.

Rounding, the one rule: every rating detail is computed exactly in Decimal
(quantity x rate / 1,000,000 for token items, quantity x rate for count items) and then
rounded half-up to 6 decimal places (one micro-dollar). A detail's discount is its origin
amount times the model's discount rate, rounded the same way, and its bill amount is origin
minus discount. The totals are the sums of the rounded details, so a rating always adds up
to exactly what its lines say.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models import COUNT_FEE_ITEMS, ModelPrice, PriceVersion

MICRO = Decimal("0.000001")
MILLION = Decimal(1_000_000)
ZERO_MONEY = Decimal("0.000000")  # what round_money(0) gives, exponent included


def round_money(amount):
    return amount.quantize(MICRO, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class RatingLine:
    fee_item_code: str
    quantity: int
    rate: Decimal
    origin_amount: Decimal
    discount_amount: Decimal
    bill_amount: Decimal


@dataclass
class RatingResult:
    price_version: str
    service_code: str
    lines: list = field(default_factory=list)

    @property
    def origin_amount(self):
        return sum((line.origin_amount for line in self.lines), Decimal(0))

    @property
    def discount_amount(self):
        return sum((line.discount_amount for line in self.lines), Decimal(0))

    @property
    def bill_amount(self):
        return sum((line.bill_amount for line in self.lines), Decimal(0))


def rate_with_price(model_price, fee_tokens):
    """Rates fee_tokens ({fee_item_code: quantity}) against one ModelPrice. Items the price
    table has no rate for are not charged; items with a rate get a line even at quantity 0,
    as the gateway's own ratings do."""
    cached = model_price.__dict__.get("_rating_terms")
    if cached is None:
        # Kept on the instance: a PriceBook rates thousands of records against one price.
        cached = (
            {r.fee_item_code: r.rate for r in model_price.rates.all()},
            model_price.discount_rate or Decimal(0),
            model_price.get_service_code(),
            model_price.price_version.version,
        )
        model_price._rating_terms = cached
    rates, discount_rate, service_code, version = cached
    result = RatingResult(version, service_code)
    for item, quantity in fee_tokens.items():
        rate = rates.get(item)
        if rate is None:
            continue
        exact = quantity * rate if item in COUNT_FEE_ITEMS else quantity * rate / MILLION
        origin = round_money(exact)
        discount = round_money(origin * discount_rate) if discount_rate else ZERO_MONEY
        result.lines.append(RatingLine(item, quantity, rate, origin, discount, origin - discount))
    return result


def find_price(model_slug, at=None, version=None):
    """The model's price in the given version, or else in the version in effect at `at`."""
    prices = ModelPrice.objects.select_related("price_version").prefetch_related("rates")
    if version is not None:
        return prices.filter(price_version__version=version, model_slug=model_slug).first()
    versions = PriceVersion.objects.all()
    if at is not None:
        versions = versions.in_effect_at(at)
    for price_version in versions.order_by("-effective_from", "-id")[:1]:
        return prices.filter(price_version=price_version, model_slug=model_slug).first()
    return None


def rate(model_slug, fee_tokens, at=None, version=None):
    """Returns a RatingResult, or None when there is no price for the model (cost unknown)."""
    model_price = find_price(model_slug, at=at, version=version)
    if model_price is None:
        return None
    return rate_with_price(model_price, fee_tokens)


class PriceBook:
    """Caches price lookups for a batch of records (ingestion, demo data), so rating a
    thousand generations of five models costs five queries, not a thousand."""

    def __init__(self):
        self._versions = list(PriceVersion.objects.order_by("-effective_from", "-id"))
        self._prices = {}

    def _version_at(self, at):
        for version in self._versions:
            if at is None or version.effective_from <= at:
                return version
        return None

    def price(self, model_slug, at=None):
        version = self._version_at(at)
        if version is None:
            return None
        key = (version.pk, model_slug)
        if key not in self._prices:
            self._prices[key] = _price_with_rates(version, model_slug)
        return self._prices[key]

    def rate(self, model_slug, fee_tokens, at=None):
        model_price = self.price(model_slug, at)
        return None if model_price is None else rate_with_price(model_price, fee_tokens)


def _price_with_rates(version, model_slug):
    """The model's price in this version with its rates, or None: one query of plain rows
    (the price joined to its rates), its rating terms kept on it as rate_with_price keeps
    them. A PriceBook is made per batch, and the ORM's select_related and prefetch of every
    model a batch names were a share of an OTLP export's time (bench/README.md)."""
    rows = ModelPrice.objects.filter(price_version=version, model_slug=model_slug).values_list(
        "pk", "model_name", "provider_slug", "service_code", "discount_rate",
        "rates__fee_item_code", "rates__rate",
    )  # fmt: skip
    rows = list(rows)
    if not rows:
        return None
    pk, model_name, provider_slug, service_code, discount_rate = rows[0][:5]
    price = ModelPrice(
        pk=pk,
        price_version=version,
        model_slug=model_slug,
        model_name=model_name,
        provider_slug=provider_slug,
        service_code=service_code,
        discount_rate=discount_rate,
    )
    rates = {code: rate for *_, code, rate in rows if code is not None}
    price._rating_terms = (
        rates,
        discount_rate or Decimal(0),
        price.get_service_code(),
        version.version,
    )
    return price
