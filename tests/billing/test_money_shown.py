"""How the console shows money: every USD amount with exactly 6 decimals (the |usd filter),
rounded half-up where an amount has more, the exact amount in a title then; rates labelled
with their unit. Exports and the API keep the exact amounts."""

import json
import re
from decimal import Decimal

import pytest

from logs.templatetags.console import rate_unit, usd, usd_exact, usd_title
from tests.factories import example_record, make_record, store

pytestmark = pytest.mark.django_db

# The spec example's tokens: rated 0.051006 on arrival.
SEED_TOKENS = {
    "input_cache_write_5_min": 0,
    "completion": 95,
    "input_cache_read": 0,
    "input_cache_write_1_h": 0,
    "prompt": 16527,
}


def _text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.051006"), "0.051006"),  # the spec's seed, as it is
        (Decimal("0.0015"), "0.001500"),
        ("0.0015", "0.001500"),
        (Decimal("0.051006000"), "0.051006"),
        (Decimal(0), "0.000000"),
        (12, "12.000000"),
        (Decimal("1E+3"), "1,000.000000"),  # an exponent is written out
        # More than 6 decimals: half-up at the sixth, as the rating engine rounds.
        (Decimal("0.0000005"), "0.000001"),
        (Decimal("0.00000049999"), "0.000000"),
        (Decimal("0.0012345"), "0.001235"),
        (Decimal("0.0012344999"), "0.001234"),
        (Decimal("2.9999995"), "3.000000"),
        # Negative: a ledger's debit; rounded away from zero at the half, never "-0".
        (Decimal("-0.041006"), "-0.041006"),
        (Decimal("-1234.5"), "-1,234.500000"),
        (Decimal("-0.0000005"), "-0.000001"),
        (Decimal("-0.0000004"), "0.000000"),
        # Large: MAX_MONEY's neighbourhood, and rollup sums far beyond it.
        (Decimal("9999999999999.9999999999"), "10,000,000,000,000.000000"),
        (Decimal("9999999999999.99"), "9,999,999,999,999.990000"),
        (Decimal(10) ** 27, f"1,{'000,' * 8}000.000000"),
        (Decimal(f"1{'0' * 69}.0000015"), f"1{',000' * 23}.000002"),  # 76 digits
        (-Decimal("9999999999999.99") * 10**14, f"-999,999,999,999,999,{'000,' * 3}000.000000"),
        # Unknown cost.
        (None, "—"),
        ("", "—"),
    ],
)
def test_usd_shows_exactly_six_decimals(value, shown):
    assert usd(value) == shown


def test_usd_refuses_a_float_and_what_is_not_an_amount():
    with pytest.raises(TypeError):
        usd(0.0015)
    with pytest.raises(ValueError):
        usd(Decimal("NaN"))


def test_the_exact_amount_is_in_a_title_only_where_rounding_changed_it():
    assert usd_exact(Decimal("0.051006")) == usd_exact(Decimal("0.0015")) == ""
    assert usd_exact(None) == usd_exact(Decimal("1E+3")) == ""
    assert usd_exact(Decimal("0.00000049")) == "0.00000049"
    assert usd_exact(Decimal("-1.0000005000")) == "-1.0000005"
    assert usd_title(Decimal("0.0000005")) == ' title="exact: 0.0000005 USD"'
    assert usd_title(Decimal("0.051006")) == ""


def test_rates_carry_their_unit():
    assert rate_unit("prompt") == rate_unit("input_cache_write_1_h") == "$/M tokens"
    assert rate_unit("web_search") == "$/request"
    assert rate_unit("image") == "$/image"
    assert rate_unit("a_gateways_own_item") == ""


def test_cost_column_and_summary_show_six_decimals(owner_client, owner):
    store(
        make_record(generationId="SEED-COST", nativeFeeTokens=SEED_TOKENS),
        # 100 completion tokens at $15/M: 0.0015.
        make_record(generationId="SMALL-COST", nativeFeeTokens={"prompt": 0, "completion": 100}),
    )
    body = owner_client.get("/logs/").content.decode()
    costs = dict(re.findall(r'id="g-([\w-]+)".*?data-testid="cost"[^>]*>([^<]+)<', body, re.S))
    assert costs == {"SEED-COST": "0.051006", "SMALL-COST": "0.001500"}
    assert "Cost (USD) 0.052506" in _text(body)


def test_an_amount_beyond_six_decimals_is_rounded_with_the_exact_one_in_its_title(
    owner_client, owner
):
    record = make_record(generationId="FINE-COST", billAmount="0.0000125", originAmount="0.0000125")
    record["nonpaymentAmount"] = "0"
    record["realAmount"] = "0.0000125"
    store(record)
    body = owner_client.get("/logs/").content.decode()
    assert re.search(r'data-testid="cost" title="exact: 0.0000125 USD">0.000013<', body)
    detail = owner_client.get("/logs/FINE-COST/").content.decode()
    assert '<dt>billAmount</dt><dd title="exact: 0.0000125 USD">0.000013</dd>' in detail
    # The raw metadata, the API and the exports keep the exact amount, in the spec's shape.
    raw = json.loads(owner_client.get("/api/v1/generation", {"id": "FINE-COST"}).content)
    assert raw["billAmount"] == "0.0000125"
    csv = b"".join(owner_client.get("/logs/export.csv").streaming_content).decode()
    assert "0.0000125" in csv and "0.000013" not in csv


def test_the_seed_keeps_its_exact_json_and_shows_six_decimals(owner_client, owner):
    store(example_record())
    answer = owner_client.get("/api/v1/generation", {"id": "2534CCEDTKJR00217635"})
    raw = json.loads(answer.content, parse_float=Decimal)
    assert raw["billAmount"] == "0.051006"  # a string, as the spec writes it
    assert raw["ratingResponses"]["billAmount"] == Decimal("0.051006")  # a JSON number
    detail = _text(owner_client.get("/logs/2534CCEDTKJR00217635/").content.decode())
    assert "billAmount 0.051006" in detail and "discountAmount 0.000000" in detail


def test_rates_are_labelled_per_million_tokens_and_per_request(owner_client, owner):
    generation = store(
        make_record(
            generationId="SEARCHED",
            nativeFeeTokens={"prompt": 1000, "completion": 50, "web_search": 2},
        )
    )[0]
    detail = _text(owner_client.get("/logs/SEARCHED/").content.decode())
    assert "prompt 1,000 3 $/M tokens 0.003000" in detail
    assert "web_search 2 0.01 $/request 0.020000" in detail
    assert "Rate ($/M)" not in detail
    body = owner_client.get("/logs/").content.decode()
    start = body.index(f'id="cost-{generation.generation_id}"')
    popover = _text(body[start : body.index("</table>", start)])
    assert "Fee item Rate Amount" in popover
    assert "completion 15 $/M tokens 0.000750" in popover
    assert "web_search 0.01 $/request 0.020000" in popover
