"""The record's values as the spec writes them: the limits every field is held to, and how
numbers and times are written out.

Types follow the spec's example exactly: top-level amounts are strings, amounts inside
ratingResponses are JSON numbers, throughput is a 2-decimal string and createdAt is
`2025-08-22T02:49:18.000+00:00`. Numbers are read as Decimal and written from Decimal, so
money never passes through a float.
"""

import datetime as dt
import re
from decimal import Decimal

from logs.models import Stage

STAGE_KEYS = tuple(Stage.values)
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,199}$")
MAX_INT = 2**53 - 1  # the largest integer every JSON reader keeps exact
# Amounts (and rates) are below 10**13 in absolute value, a tenth of what their columns hold
# (DecimalField(max_digits=24, decimal_places=10): below 10**14). SQLite keeps a decimal as a
# float, which Django reads back rounded to 15 digits and then to 10 places: 99999999999999.99
# came back as 1E+14, too big for the column's 24 digits, and every page showing it answered
# 500. Below 10**13 that rounding stays in the column, an amount with cents (up to
# 9999999999999.99) reads back exactly on both databases, and realAmount (billAmount less
# nonpaymentAmount, which may be negative) fits too. Sums are wider: HourlyRollup.cost.
MAX_MONEY = Decimal(10) ** 13
MAX_THROUGHPUT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
# A fee item's count. The summary strip adds up 10,000 rows of the five input items at once,
# and an hour's rollup as many rows as an account sends in it, into 64-bit integers (SQLite's
# SUM fails past 2**63, PostgreSQL's bigint column too): at 10**10 that takes 1.8 * 10**8
# records in one hour, nine times what ingestion stores in an hour at full speed. Still a
# thousand times the largest context window.
MAX_TOKENS = 10**10
# createdAt, after conversion to UTC: from MIN_CREATED_AT (inclusive) to MAX_CREATED_AT
# (exclusive). Every page, export and command takes the same range for `from`/`to`
# (logs.listing.filters.DateTimeInput), so whatever is stored can be listed, charted and
# paged: near year 1 or 9999 a zone's offset pushes Python's datetime out of its range (the
# histogram's buckets, astimezone, the partition's day), and nothing real happened before
# 1970.
MIN_CREATED_AT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_CREATED_AT = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
AMOUNT_FIELDS = {
    "originAmount": "origin_amount",
    "billAmount": "bill_amount",
    "discountAmount": "discount_amount",
    "realAmount": "real_amount",
    "nonpaymentAmount": "nonpayment_amount",
}


def plain_number(value):
    """A Decimal (or int) as the shortest JSON number that keeps its value: 15, 3.75,
    0.051006."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def amount_string(value):
    """A Decimal as the spec's amount string: "0.051006", "0"."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_created_at(value):
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def in_date_range(value, *, end=MAX_CREATED_AT):
    """Whether an aware datetime is in [MIN_CREATED_AT, end) once in UTC. False, not an
    OverflowError, where the offset takes it past year 1 or 9999."""
    try:
        return MIN_CREATED_AT <= value.astimezone(dt.UTC) < end
    except OverflowError:
        return False
