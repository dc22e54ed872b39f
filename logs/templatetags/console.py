"""Formatting for the console: numbers, money, rates, finish reasons. Plain text for the
templates' autoescape to escape; the one exception, usd_title, builds its attribute with
format_html."""

from decimal import ROUND_HALF_UP, Context, Decimal
from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from billing.models import RATE_UNITS
from logs.record.values import amount_string
from zenlogs.sealed import seal

register = template.Library()


@register.filter
def sealed(pk):
    """A row id as a page may show it: sealed, for ids are one sequence across accounts."""
    return seal(pk)


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
    # use_l10n=False: the same separators in every language (zh-Hans would write none).
    return intcomma(value, use_l10n=False)


MICRO = Decimal("0.000001")


def _money(value):
    """value as an exact Decimal, or None for an unknown amount. Only Decimal, int and the
    text of a number are taken: a float has already lost the exact amount, so one reaching
    a page is a bug to find, not a figure to show."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value}")
    return amount


def _shown(amount):
    """amount rounded to the micro-dollar, half-up: the rating engine's one rule
    (billing/rating.py), so a figure the engine computed is shown as it is. The context's
    precision follows the amount's size, so any sum (rollups add up beyond MAX_MONEY) is
    rounded at the sixth decimal and never by the default context's 28 digits."""
    digits = max(amount.adjusted(), 0) + 8
    rounded = amount.quantize(MICRO, rounding=ROUND_HALF_UP, context=Context(prec=digits))
    return rounded if rounded else rounded.copy_abs()  # no "-0.000000"


@register.filter
def usd(value):
    """Every USD amount the console shows: exactly 6 decimals (one micro-dollar), thousands
    grouped, a leading "-" for a negative (a ledger's debit): 0.051006, 0.001500, 12.000000,
    -1,234.500000. More than 6 decimals are rounded half-up (0.0000005 -> 0.000001); the
    exact amount stays in the raw metadata and, where rounding changed it, in the title
    that {% usd_title %} writes. None (unknown cost) is an em dash. Money only: exports and
    the API write exact amounts, never this."""
    amount = _money(value)
    if amount is None:
        return "—"
    text = format(_shown(amount), "f")  # "f" never switches to an exponent
    sign = "-" if text.startswith("-") else ""
    whole, _, micros = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}.{micros}"


def usd_exact(value):
    """The exact amount, when usd rounded it: "0.00000049" for a shown 0.000000; otherwise
    "" (nothing was lost)."""
    amount = _money(value)
    if amount is None or _shown(amount) == amount:
        return ""
    return amount_string(amount)


@register.filter
def usd_title(value):
    """{{ amount|usd_title }} inside a tag: ` title="exact: 0.00000049 USD"` where usd rounds
    the amount, nothing otherwise. format_html escapes the value (a number we formatted). A
    filter, not a tag: it is in every money cell, ~8 a list row, and a tag's node costs
    twice a filter's."""
    exact = usd_exact(value)
    return (
        format_html(' title="{}"', _("exact: %(amount)s USD") % {"amount": exact}) if exact else ""
    )


@register.filter
def rate_unit(fee_item_code):
    """What a rating detail's rate is per: "$/M tokens" for a token item, "$/request" for
    web_search, "$/image" for image; "" for an item the price tables do not know (a
    gateway's own), whose unit we cannot tell."""
    return RATE_UNITS.get(fee_item_code, "")


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
        return pgettext("finish reason", "cancelled")
    return generation.finish_reason or "—"


@register.filter
def fee_quantity(generation, item):
    """The quantity of one fee item in a generation's nativeFeeTokens."""
    return generation.fee_tokens().get(item)


# ----------------------------------------------------------------------------- list rows
# A list row is rendered 50 to 200 times a page and up to a page's worth a live poll. Two
# things were half of a row's time: {% translate %} (now `labels`, logs.context_processors)
# and {% url %} (two reverses a row): 7 of 12 ms for a live poll's 50 rows (bench/README.md,
# "Live list polls at 10M").

_SLOT = "~generation~"  # what quote() leaves as it is, and no generation id can hold (ID_RE)
_url_patterns = {}


def _generation_url(name, generation_id):
    """reverse(name, args=[generation_id]), reversed once per URL name and script prefix: the
    id goes into the reversed path as reverse itself would put it (quoted; ID_RE admits
    only letters, digits and `_.:-`, which quote() keeps)."""
    key = (name, get_script_prefix())
    pattern = _url_patterns.get(key)
    if pattern is None:
        pattern = _url_patterns[key] = reverse(name, args=[_SLOT])
    return pattern.replace(_SLOT, quote(generation_id, safe=":"))


@register.filter
def detail_url(generation):
    return _generation_url("logs:detail", generation.generation_id)


@register.filter
def cost_url(generation):
    return _generation_url("logs:cost", generation.generation_id)
