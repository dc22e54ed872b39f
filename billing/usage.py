"""Daily usage for the usage page: cost, requests and tokens per day, broken down by model or
by API key, and a bar chart of daily cost.

Everything here reads HourlyRollup, never Generation: a 30-day window is at most 720 rollup
hours per model or key however many generations the account has, so the page costs the same
at 10M rows as at 10. Hours are grouped into days in the database (TruncDate in the
viewer's zone), so a query returns one row per day and value, not per hour.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logs.models import ApiKey, HourlyRollup
from zenlogs.charts import nice_ceiling

DEFAULT_DAYS = 30
DIMENSIONS = {"model": _("Model"), "api_key": _("API key")}
# The same, as a word inside a sentence ("By model", "By API key").
DIMENSION_WORDS = {
    "model": _("model (in a sentence)"),
    "api_key": _("API key (in a sentence)"),
}
# The values with the highest cost get their own colour in the chart; the rest are stacked
# as "Other", because a legend of forty models is a legend nobody reads.
CHART_SERIES = 5

_SUMS = {
    "requests": Sum("requests"),
    "input_tokens": Sum("input_tokens"),
    "output_tokens": Sum("output_tokens"),
    "cost": Sum("cost"),
}


@dataclass
class Usage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)

    def add(self, row):
        self.requests += row.get("requests") or 0
        self.input_tokens += row.get("input_tokens") or 0
        self.output_tokens += row.get("output_tokens") or 0
        self.cost += row.get("cost") or Decimal(0)

    @property
    def empty(self):
        return not self.requests and not self.cost


@dataclass
class Part:
    """One model's (or key's) usage within a day or within the whole window."""

    value: str
    label: str
    usage: Usage


@dataclass
class Day:
    day: dt.date
    total: Usage
    parts: list = field(default_factory=list)


@dataclass
class UsageReport:
    dimension: str
    zone: dt.tzinfo
    days: list  # Day, oldest first, one per calendar day of the window, empty ones included
    parts: list  # Part over the whole window, highest cost first
    total: Usage

    @property
    def zone_name(self):
        return getattr(self.zone, "key", None) or str(self.zone)

    @property
    def newest_first(self):
        return self.days[::-1]


def _midnight(day, zone):
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def day_zone(zone, days=DEFAULT_DAYS, now=None):
    """The zone days are counted in: the viewer's, unless its offset is not a whole number of
    hours somewhere in the window (India, Nepal, parts of Australia); rollups are per UTC
    hour, so such a day would split an hour between two days, and UTC days are used."""
    today = (now or timezone.now()).astimezone(zone).date()
    # Every midnight that bounds a day of the window, tomorrow's (the end) included.
    for back in range(-1, days):
        offset = _midnight(today - dt.timedelta(days=back), zone).utcoffset()
        if offset % dt.timedelta(hours=1):
            return dt.UTC
    return zone


def window(days=DEFAULT_DAYS, zone=dt.UTC, now=None):
    """(dates, start, end): the last `days` calendar days in zone, today included, and the
    instants that bound them."""
    today = (now or timezone.now()).astimezone(zone).date()
    dates = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    return dates, _midnight(dates[0], zone), _midnight(today + dt.timedelta(days=1), zone)


def daily_usage(account, *, dimension="model", days=DEFAULT_DAYS, zone=dt.UTC, now=None):
    """Rows {day, value, requests, input_tokens, output_tokens, cost} summed from the
    account's hourly rollups along one dimension ("all", "model", "api_key", ...), oldest day
    first. Days are calendar days in zone, which must have whole-hour offsets (day_zone)."""
    _, start, end = window(days, zone, now)
    rows = (
        HourlyRollup.objects.for_account(account)
        .dimension(dimension)
        .filter(hour__gte=start, hour__lt=end)
        .annotate(day=TruncDate("hour", tzinfo=zone))
        .values("day", "value")
        .annotate(**_SUMS)
        .order_by("day", "value")
    )
    # Rows at zero (left by pruning when it still subtracted from rollups) are not usage.
    return [row for row in rows if row["requests"] or row["cost"]]


def value_labels(account, dimension, values):
    """What to call each value: API keys by name (their external id when unnamed)."""
    if dimension != "api_key":
        return {v: v or "—" for v in values}
    keys = ApiKey.objects.filter(account=account, external_id__in=values)
    names = {k.external_id: k.name for k in keys.only("external_id", "name")}
    return {v: f"{names[v]} ({v})" if names.get(v) and names[v] != v else v for v in values}


def usage_report(account, *, dimension="model", days=DEFAULT_DAYS, zone=dt.UTC, now=None):
    now = now or timezone.now()
    zone = day_zone(zone, days, now)
    dates, _, _ = window(days, zone, now)
    by_day = {d: Day(d, Usage()) for d in dates}
    # Day totals come from the "all" rollup, which ingestion writes in the same statement as
    # the per-model and per-key ones, so the parts always add up to them.
    for row in daily_usage(account, dimension="all", days=days, zone=zone, now=now):
        by_day[row["day"]].total.add(row)
    rows = daily_usage(account, dimension=dimension, days=days, zone=zone, now=now)
    labels = value_labels(account, dimension, {row["value"] for row in rows})
    overall = {}
    for row in rows:
        usage = Usage()
        usage.add(row)
        by_day[row["day"]].parts.append(Part(row["value"], labels[row["value"]], usage))
        part = overall.setdefault(row["value"], Part(row["value"], labels[row["value"]], Usage()))
        part.usage.add(row)
    for day in by_day.values():
        day.parts.sort(key=lambda p: (-p.usage.cost, -p.usage.requests, p.value))
    total = Usage()
    for day in by_day.values():
        total.add(vars(day.total))
    parts = sorted(overall.values(), key=lambda p: (-p.usage.cost, -p.usage.requests, p.value))
    return UsageReport(dimension, zone, [by_day[d] for d in dates], parts, total)


# ----------------------------------------------------------------------------- chart


@dataclass
class Chart:
    """A stacked bar chart of daily cost that fills its card at any width. Across, bars and
    day labels are placed in percent of the plot's width (the SVG has no viewBox, so it
    stretches with its card and nothing in it is scaled); down, in CSS pixels of a fixed
    height. Text is therefore always drawn at its CSS size: 11 px on a phone as on a wide
    screen, where a viewBox scaled to a 390 px screen drew it at 4 px."""

    height: int  # of the plot, CSS px
    baseline: int  # y of the zero line
    bar_width: Decimal  # percent
    bars: list
    ticks: list
    x_labels: list
    series: list
    axis_max: Decimal


def _nice_step(maximum, steps=4):
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `steps` ticks."""
    if maximum <= 0:
        return Decimal("0.01")
    return nice_ceiling(maximum / steps)


def _px(value):
    return Decimal(value).quantize(Decimal("0.01"))


def _pct(value):
    return Decimal(value).quantize(Decimal("0.001"))


def chart(report, height=220):
    """Geometry of a stacked bar chart of daily cost: x in percent, y in px. Everything is
    Decimal, positions included, so no cost passes through a float."""
    top = 8  # room for the top tick's label, drawn centred on its line
    baseline = height - 1
    plot_height = baseline - top
    named = [p for p in report.parts if p.usage.cost > 0][:CHART_SERIES]
    series = [{"index": i, "label": p.label} for i, p in enumerate(named)]
    other_index = len(named)
    if any(p.usage.cost > 0 for p in report.parts[len(named) :]):
        series.append({"index": other_index, "label": _("Other")})
    index_of = {p.value: i for i, p in enumerate(named)}

    maximum = max((d.total.cost for d in report.days), default=Decimal(0))
    step = _nice_step(maximum)
    ticks_count = max(1, math.ceil(maximum / step)) if maximum > 0 else 4
    axis_max = step * ticks_count
    # An axis label is a round scale mark, not an amount: "0.02", "2.5", "12,500" rather
    # than six decimals, which would only widen the axis.
    ticks = [
        {
            "label": format((step * k).normalize(), ",f"),
            "y": _px(baseline - Decimal(plot_height) * k / ticks_count),
        }
        for k in range(ticks_count + 1)
    ]

    slot = Decimal(100) / len(report.days)
    bar_width = _pct(slot * Decimal("0.72"))
    bars, x_labels = [], []
    for i, day in enumerate(report.days):
        x = _pct(i * slot + (slot - bar_width) / 2)
        stack = [Decimal(0)] * (other_index + 1)
        for part in day.parts:
            stack[index_of.get(part.value, other_index)] += part.usage.cost
        segments, y = [], Decimal(baseline)
        for index, cost in enumerate(stack):
            if cost <= 0:
                continue
            h = cost / axis_max * plot_height
            y -= h
            label = series[index]["label"] if index < len(series) else _("Other")
            segments.append(
                {"series": index, "label": label, "cost": cost, "y": _px(y), "h": _px(h)}
            )
        bars.append({"day": day, "x": x, "segments": segments})
        # Every fifth day is labelled, counted back from today so today always is. Today's
        # label, centred on its bar, runs a little past the plot into the card's padding.
        if (len(report.days) - 1 - i) % 5 == 0:
            x_labels.append({"day": day.day, "x": _pct(i * slot + slot / 2)})
    return Chart(
        height=height,
        baseline=baseline,
        bar_width=bar_width,
        bars=bars,
        ticks=ticks,
        x_labels=x_labels,
        series=series,
        axis_max=axis_max,
    )
