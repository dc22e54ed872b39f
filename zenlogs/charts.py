"""Arithmetic shared by the console's charts: the list's volume histogram (logs.listing) and
the usage page's cost chart (billing.usage). It sits below both, so billing needs nothing
from the list page."""

from decimal import Decimal

_MULTIPLES = (1, 2, Decimal("2.5"), 5)


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is >= value (> 0), as a
    Decimal: an axis that ends on it reads at a glance. For a whole number over 2 that is a
    whole number too (2.5 itself lies between 2 and 3)."""
    value = Decimal(value)
    magnitude = Decimal(1).scaleb(value.adjusted())
    for multiple in _MULTIPLES:
        if multiple * magnitude >= value:
            return multiple * magnitude
    return 10 * magnitude
