"""Formatting for the console: numbers, money, finish reasons. Plain text only; the
templates' autoescape does the escaping."""

from decimal import ROUND_HALF_UP, Context, Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from logs.record.values import amount_string
from zenlogs.sealed import seal

register = template.Library()


@register.filter
def sealed(pk):
    """A row id as a page may show it: sealed, for ids are one sequence across accounts."""
    return seal(pk)


SIX = Decimal("0.000001")
# Room for any sum of amounts shown (HourlyRollup.cost holds 38 digits, and the usage page
# and the summary strip add rollups up): the default context's 28 digits made quantize fail
# from 10**22 on.
_WIDE = Context(prec=60)
FINISH_CLASSES = {
    "stop": "ok",
    "end_turn": "ok",
    "STOP": "ok",
    "completed": "ok",
    "tool_use": "info",
    "tool_calls": "info",
    "function_call": "info",
    "max_tokens": "warn",
    "length": "warn",
    "MAX_TOKENS": "warn",
    "content_filter": "warn",
    "error": "bad",
    "cancelled": "muted",
}


def _grouped(value):
    """Thousands separators, as humanize's intcomma writes them in this English console,
    without its trip through the localization machinery: these filters run ~20 times a list
    row, and intcomma was a tenth of a page's rendering time."""
    if type(value) is int:  # a Decimal may carry an exponent (1E+3), which intcomma expands
        return f"{value:,}"
    return intcomma(value)


@register.filter
def usd(value):
    """Up to 6 decimals, trailing zeros trimmed to at least 2: 0.051006, 0.0015, 3.00.
    None (unknown cost) is an em dash."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value).quantize(SIX, rounding=ROUND_HALF_UP, context=_WIDE)
    sign = "-" if amount < 0 else ""
    text = format(amount.copy_abs(), "f").rstrip("0")  # abs() would round to 28 digits
    whole, _, frac = text.partition(".")
    return f"{sign}{_grouped(int(whole))}.{frac.ljust(2, '0')}"


@register.filter
def plain(value):
    """A Decimal without trailing zeros or exponent: 15, 3.75, 0.3."""
    return "—" if value is None else amount_string(Decimal(value))


@register.filter
def num(value):
    """Thousands separators; None is an em dash."""
    if value is None or value == "":
        return "—"
    return _grouped(value)


@register.filter(expects_localtime=True)
def isotime(value):
    """What |date:"c" writes (ISO 8601 in the current time zone: expects_localtime has
    Django convert it first), without DateFormat's machinery: the list writes two times a
    row, and |date was a fifth of a row's rendering."""
    return value.isoformat() if value else ""


@register.filter(expects_localtime=True)
def clock(value):
    """What |date:"Y-m-d H:i:s" writes, the list's Timestamp column."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


@register.filter
def compact(value):
    """12,345,678 -> 12.3M, 1,576,900 -> 1.6M, 416,000 -> 416.0k, 9,999 stays, for the
    summary strip (the exact figure is in the title)."""
    if value is None:
        return "—"
    value = int(value)
    if abs(value) >= 10_000:
        for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
            if abs(value) >= size:
                return f"{Decimal(value) / size:.1f}{suffix}"
    return _grouped(value)


@register.filter
def finish_class(generation):
    if generation.cancelled:
        return "muted"
    return FINISH_CLASSES.get(generation.finish_reason, "neutral")


@register.filter
def finish_label(generation):
    if generation.cancelled and not generation.finish_reason:
        return "cancelled"
    return generation.finish_reason or "—"


@register.filter
def fee_quantity(generation, item):
    """The quantity of one fee item in a generation's nativeFeeTokens."""
    return generation.fee_tokens().get(item)
