"""The volume histogram above the log list: requests per time bucket across the list's
window, each bar stacked into succeeded and failed (error or cancelled: models.FAILED)
requests and linking to the list narrowed to its bucket.

The bars are the window's buckets, sized and aligned to the viewer's clock by
logs.listing.buckets (30 to 90 of them); this module counts them and draws them.

Counts come from HourlyRollup when the buckets are whole hours and the filters are ones the
rollups carry (summary.rollup_dimension): whole hours from the rollups, the partial hours at
the window's edges from at most two hours of raw rows, as the summary strip does, so the
bars add up to its total. Otherwise (buckets under an hour, a numeric bound, a text search,
two dimensions at once) the newest summary.sample_cap() matching rows are read and counted;
when there are more, the chart says so and marks the buckets it could not count whole.
"""

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Case, Func, Min, Sum, Value, When
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext

from logs.listing import summary
from logs.listing.buckets import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    buckets,
    ceil_hour,
    floor_hour,
    floor_to,
    nice_sizes,
)
from logs.models import FAILED, HourlyRollup
from logs.record.values import MAX_CREATED_AT, MIN_CREATED_AT
from zenlogs.charts import nice_ceiling

# About this many labels under the bars at most, so they fit a phone's width.
MAX_LABELS = 6

# SVG geometry in CSS pixels: the chart is as wide as its box (x in percent) and this high.
TOP, PLOT, BOTTOM = 18, 96, 20
HEIGHT = TOP + PLOT + BOTTOM
BASELINE = TOP + PLOT


@dataclass
class Bar:
    start: dt.datetime  # the bucket, aligned to the clock
    end: dt.datetime
    low: dt.datetime  # the part of it inside the window: what the bar counts and links to
    high: dt.datetime
    requests: int = 0
    failed: int = 0
    # False when a bounded read stopped before counting this bucket whole.
    counted: bool = True
    query: str = ""
    href: str = ""
    text: str = ""
    span: str = ""  # its time range in words, which the live list's text for it starts with
    x: str = ""
    width: str = ""
    slot_x: str = ""
    slot_width: str = ""
    ok_y: str = ""
    ok_height: str = ""
    failed_y: str = ""
    failed_height: str = ""

    @property
    def succeeded(self):
        return self.requests - self.failed

    @property
    def linked(self):
        return self.requests > 0 or not self.counted

    def add(self, requests, failed):
        self.requests += requests or 0
        self.failed += failed or 0


@dataclass
class Histogram:
    bars: list
    size: dt.timedelta
    zone_name: str
    from_rollups: bool
    exact: bool = True
    cap: int = 0
    # The oldest time the bounded read reached, when it stopped at its cap.
    counted_since: str = ""
    # The summary strip's figures over the same bounded read (summary.sample_summary), when
    # the histogram made one: the strip then needs no read of its own.
    sample: "summary.Summary | None" = None
    labels: list = field(default_factory=list)
    axis_max: int = 0
    description: str = ""
    # The description's parts, which the live list (static/zenlogs/app.js) writes it anew from.
    start_text: str = ""
    end_text: str = ""
    bars_svg: str = ""
    height: int = HEIGHT
    top: int = TOP
    plot: int = PLOT
    baseline: int = BASELINE

    @property
    def size_text(self):
        return _duration_text(self.size)

    @property
    def requests(self):
        return sum(b.requests for b in self.bars)

    @property
    def failed(self):
        return sum(b.failed for b in self.bars)


def _is_utc_hour(moment):
    return moment.astimezone(dt.UTC).timestamp() % 3600 == 0


def volume_histogram(account, filterset, query):
    """The histogram of the list's window under its filters (query: the list's query string,
    which each bar's link keeps but for its window), or None when there is nothing to chart:
    a request id (it finds its generation whatever the window), an empty window, or an
    account without generations when the window has no start."""
    if filterset.form.cleaned_data.get("request_id"):
        return None
    start, end = filterset.window
    first = start
    if first is None:
        # All time, kept forever: from the account's first rollup hour, one probe of the
        # rollups' index (a MIN over generations would plan every daily partition). It is
        # where the summary's sums start too: a manual prune leaves rollups of hours without
        # generations, and both still count them.
        rollups = HourlyRollup.objects.for_account(account).dimension("all", [""])
        first = rollups.aggregate(first=Min("hour"))["first"]
        if first is None:
            return None
    last = end or max(timezone.now(), first + SECOND)
    if first >= last:
        return None
    zone = timezone.get_current_timezone()
    size, align, edges = buckets(first, last, zone)
    bars = [
        Bar(
            start=edges[i],
            end=edges[i + 1],
            # No start: no row is older than `first`, so the bucket's own start will do.
            low=edges[i] if start is None else max(edges[i], start),
            high=edges[i + 1] if end is None else min(edges[i + 1], end),
        )
        for i in range(len(edges) - 1)
    ]
    answer = summary.rollup_dimension(filterset)
    from_rollups = answer is not None and size >= HOUR and all(map(_is_utc_hour, edges))
    histogram = Histogram(
        bars=bars,
        size=size,
        zone_name=getattr(zone, "key", None) or str(zone),
        from_rollups=from_rollups,
    )
    if from_rollups:
        _count_from_rollups(account, filterset, answer, bars, edges, first, end, size, align)
    else:
        _count_newest(filterset, histogram, edges, end)
    _lay_out(histogram, edges, align, query, zone)
    return histogram


class _EpochSeconds(Func):
    """Whole seconds since 1970 of a datetime column, on either database."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps Django's datetimes as UTC text, which strftime reads. Its format is
        # a parameter: written in the SQL, "%s" would be taken for a placeholder.
        template = "CAST(strftime(%%s, %(expressions)s) AS INTEGER)"
        sql, params = self.as_sql(compiler, connection, template=template, **extra)
        return sql, ("%s", *params)


def _count_from_rollups(account, filterset, answer, bars, edges, first, end, size, zone):
    dimension, values = answer
    whole_from = ceil_hour(first)
    whole_to = floor_hour(end) if end else edges[-1]
    # The partial hours at the window's edges, from the rows the list shows (the filters
    # are the window and at most one dimension here); each lies inside one bucket.
    for low, high in ((first, whole_from), (whole_to, end)):
        if high is not None and low < high:
            counts = summary.edge_totals(filterset, low, high)
            bars[bisect.bisect_right(edges, low) - 1].add(counts["requests"], counts["failed"])
    rollups = (
        HourlyRollup.objects.for_account(account)
        .dimension(dimension, values)
        .filter(hour__gte=whole_from, hour__lt=whole_to)
        .order_by()
    )
    if size >= DAY:
        # A row per day rather than per hour, so that years of days stay a few thousand rows.
        # Day buckets start at midnight in `zone`, and its offsets are whole hours here.
        starts = [e.astimezone(zone).date() for e in edges]
        rows = (
            rollups.annotate(day=TruncDate("hour", tzinfo=zone))
            .values("day")
            .annotate(requests=Sum("requests"), failed=Sum("errors"))
            .values_list("day", "requests", "failed")
        )
        for when, requests, failed in rows:
            bars[bisect.bisect_right(starts, when) - 1].add(requests, failed)
        return
    # Summed per bucket in the database when the buckets are all alike (no clock change in
    # the window), else per hour: a few dozen rows of numbers rather than 720 timestamps
    # for 30 days, which cost milliseconds to read.
    alike = all(b - a == size for a, b in zip(edges, edges[1:], strict=False))
    slice_seconds = int(size.total_seconds()) if alike else 3600
    origin = int(edges[0].timestamp())
    rows = (
        rollups.annotate(slice=(_EpochSeconds("hour") - origin) / slice_seconds)
        .values("slice")
        .annotate(requests=Sum("requests"), failed=Sum("errors"))
        .values_list("slice", "requests", "failed")
    )
    _add_slices(bars, edges, rows, slice_seconds)


def _add_slices(bars, edges, rows, slice_seconds):
    """Adds (slice, requests, failed) rows, slice n being the n-th slice_seconds from the
    first edge, to the bars they lie in."""
    for index, requests, failed in rows:
        when = edges[0] + dt.timedelta(seconds=index * slice_seconds)
        bar = bisect.bisect_right(edges, when) - 1
        if 0 <= bar < len(bars):
            bars[bar].add(requests, failed)


def _count_newest(filterset, histogram, edges, end):
    """Counts the newest matching rows, at most the summary's cap of them: the filters are
    ones the rollups do not carry, or the buckets are shorter than their hours. One read of
    those rows, summed in the database per slice of time; reading the rows themselves cost
    far more, most of it turning timestamps into Python objects."""
    cap = summary.sample_cap(filterset)
    # Slices of time that every bucket edge falls on, so each slice lies in one bucket: the
    # bucket's common divisor with a quarter of an hour (clocks change by whole quarters),
    # whole hours for longer buckets on UTC hours.
    origin, size = int(edges[0].timestamp()), int(histogram.size.total_seconds())
    slice_seconds = 3600 if size >= 3600 and all(map(_is_utc_hour, edges)) else math.gcd(size, 900)
    if any((int(e.timestamp()) - origin) % slice_seconds for e in edges):
        slice_seconds = 1  # a zone of another age, with offsets in odd minutes
    # No end bound for a list without one: rows stamped after the last bar (a gateway's
    # clock ahead of ours) fall outside every bar but still count in the strip's sums.
    rows, complete = summary.bounded_rows(filterset, cap)
    if complete is None:
        rows = rows.newest_first()
    newest = rows.annotate(
        at_second=_EpochSeconds("created_at"),
        is_failed=Case(When(FAILED, then=Value(1)), default=Value(0)),
    ).values("at_second", "is_failed", *summary.SAMPLE_COLUMNS)
    if complete is None:
        newest = newest[:cap]
    # Grouped around the LIMIT (Django groups only a query's own rows, before its LIMIT).
    try:
        sql, params = newest.query.get_compiler(using=newest.db).as_sql()
    except EmptyResultSet:  # a search the text index finds nowhere in the window
        histogram.sample = summary.Summary()
        return
    with connections[newest.db].cursor() as cursor:
        cursor.execute(
            "SELECT (at_second - %s) / %s, COUNT(*), SUM(is_failed), MIN(at_second), "  # noqa: S608
            f"{summary.SAMPLE_SUMS_SQL} FROM ({sql}) AS newest GROUP BY 1",
            [origin, slice_seconds, *params],
        )
        counts = cursor.fetchall()
    exact = sum(row[1] for row in counts) < cap if complete is None else complete
    histogram.sample = summary.sample_summary([(row[1], *row[4:]) for row in counts], exact)
    bars = histogram.bars
    _add_slices(bars, edges, [row[:3] for row in counts], slice_seconds)
    histogram.cap = cap
    histogram.exact = exact
    if not histogram.exact:
        # Rows in the second of the oldest one read may be left: its bucket and older ones
        # are counted in part at best.
        oldest = dt.datetime.fromtimestamp(min(row[3] for row in counts), dt.UTC)
        for bar in bars:
            bar.counted = bar.start > oldest
        histogram.counted_since = _moment_text(oldest, timezone.get_current_timezone())


# ----------------------------------------------------------------------------- layout


def _pct(value):
    return f"{value:.3f}%"


def _px(value):
    return f"{value:.2f}"


def _count_text(n):
    return f"{n:,}"  # as the console's |num filter writes whole numbers


def _lay_out(histogram, edges, align, query, zone):
    """Positions, link and text of every bar. Plain Python, no per-bar Django formatting or
    QueryDict copies: this runs for up to 90 bars on every list page."""
    bars = histogram.bars
    slot = 100 / len(bars)
    counted = [b.requests for b in bars if b.counted]
    # Counts are whole, and so is their nice ceiling (2.5 times a power of ten from 25 on).
    most = max(counted, default=0)
    histogram.axis_max = axis_max = int(nice_ceiling(most)) if most > 1 else 1
    kept = query.copy()
    for name in ("cursor", "from", "to"):
        kept.pop(name, None)
    kept = kept.urlencode()
    kept = f"{kept}&" if kept else ""
    path = reverse("logs:list")
    for i, bar in enumerate(bars):
        bar.slot_x, bar.slot_width = _pct(i * slot), _pct(slot)
        bar.x, bar.width = _pct((i + 0.1) * slot), _pct(slot * 0.8)
        total = bar.requests / axis_max * PLOT
        if bar.requests:
            total = max(total, 1)  # a bucket with requests never looks empty
        failed = total * bar.failed / bar.requests if bar.requests else 0
        bar.ok_height, bar.failed_height = _px(total - failed), _px(failed)
        bar.ok_y, bar.failed_y = _px(BASELINE - (total - failed)), _px(BASELINE - total)
        bar.query = kept + _window_query(bar.low, bar.high, zone)
        bar.href = f"{path}?{bar.query}"
        bar.span = _span_text(bar.low, bar.high, histogram.size, zone)
        bar.text = _bar_text(bar, histogram)
    # The bars' markup is written here rather than in the template's loop: up to 90 bars of
    # a dozen values each were slow in Django's template engine on every list page (and in
    # format_html). Safe: _bar_svg escapes the only values not made here.
    histogram.bars_svg = mark_safe("\n".join(_bar_svg(bar) for bar in bars))
    histogram.labels = _labels(edges, histogram.size, align, zone)
    requests = histogram.requests
    histogram.start_text = _moment_text(bars[0].low, zone)
    histogram.end_text = _moment_text(bars[-1].high, zone)
    histogram.description = ngettext(
        "%(count)s request from %(start)s to %(end)s (%(zone)s), %(failed)s of them failed "
        "(error or cancelled), in %(bars)s bars of %(size)s. Each bar links to the list of its "
        "time range.",
        "%(count)s requests from %(start)s to %(end)s (%(zone)s), %(failed)s of them failed "
        "(error or cancelled), in %(bars)s bars of %(size)s. Each bar links to the list of its "
        "time range.",
        requests,
    ) % {
        "count": _count_text(requests),
        "start": histogram.start_text,
        "end": histogram.end_text,
        "zone": histogram.zone_name,
        "failed": _count_text(histogram.failed),
        "bars": len(bars),
        "size": histogram.size_text,
    }


def _bar_svg(bar):
    """One bar: a link (a group when there is nothing to list) holding its hover text, a
    full-height slot to point at, focus and hover, and its two stacked parts. The two texts
    are escaped here (the link keeps the list's query string, a search's text included); the
    rest are numbers this module formatted and its own class names."""
    text = escape(bar.text)
    svg = [
        f"<title>{text}</title>",
        f'<rect class="{"slot" if bar.counted else "slot uncounted"}" x="{bar.slot_x}" '
        f'y="{TOP}" width="{bar.slot_width}" height="{PLOT}"></rect>',
    ]
    if bar.succeeded:
        svg.append(
            f'<rect class="ok" x="{bar.x}" y="{bar.ok_y}" width="{bar.width}" '
            f'height="{bar.ok_height}"></rect>'
        )
    if bar.failed:
        svg.append(
            f'<rect class="failed" x="{bar.x}" y="{bar.failed_y}" width="{bar.width}" '
            f'height="{bar.failed_height}"></rect>'
        )
    inside = "".join(svg)
    # What the live list (static/zenlogs/app.js) needs to add a poll's new rows to the bar:
    # its span in seconds since 1970, its counts, and (unlinked) where it would link.
    data = (
        f'data-low="{_seconds(bar.low)}" data-high="{_seconds(bar.high)}" '
        f'data-requests="{bar.requests}" data-failed="{bar.failed}" '
        f'data-span="{escape(bar.span)}"'
    )
    if bar.linked:
        return f'<a href="{escape(bar.href)}" {data} aria-label="{text}">{inside}</a>'
    return f'<g {data} data-href="{escape(bar.href)}">{inside}</g>'


def _seconds(moment):
    return math.floor(moment.timestamp())


def _window_query(low, high, zone):
    """from and to of a bar's link: whole seconds, in the viewer's zone and without an offset,
    as the filter bar's date inputs take them (with one only where a clock change makes that
    local time ambiguous or skipped)."""
    if high.microsecond:
        high = high.replace(microsecond=0) + SECOND
    # Within the dates the list takes: all time's first bucket may start years before 1970
    # (buckets of weeks and more start on a Monday), and nothing is stored outside them.
    low, high = max(low, MIN_CREATED_AT), min(high, MAX_CREATED_AT)
    low = _link_time(low.replace(microsecond=0), zone)
    return f"from={_quote(low)}&to={_quote(_link_time(high, zone))}"


def _quote(moment_text):
    # An ISO time's only characters that need it (urlencode's answer, at a fraction of its
    # cost, for up to 90 bars a page).
    return moment_text.replace(":", "%3A").replace("+", "%2B")


def _link_time(moment, zone):
    local = moment.astimezone(zone)
    naive = local.replace(tzinfo=None)
    if naive.replace(tzinfo=zone) == moment:
        return naive.isoformat(timespec="seconds")
    return local.isoformat(timespec="seconds")


def _moment_text(moment, zone):
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def _span_text(low, high, size, zone):
    a, b = low.astimezone(zone), high.astimezone(zone)
    midnight = dt.time()
    if size >= DAY and a.time() == midnight and b.time() == midnight:
        last = b.date() - DAY
        if last == a.date():
            return f"{a:%Y-%m-%d}"
        return _("%(start)s to %(end)s") % {"start": f"{a:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}"}
    clock = "%H:%M:%S" if size < MINUTE or a.second or b.second else "%H:%M"
    start = f"{a:%Y-%m-%d} {a.strftime(clock)}"
    end = b.strftime(clock) if a.date() == b.date() else f"{b:%Y-%m-%d} {b.strftime(clock)}"
    return _("%(start)s to %(end)s") % {"start": start, "end": end}


def _bar_text(bar, histogram):
    span = bar.span
    if not bar.counted:
        return _(
            "%(span)s: not counted whole (the chart counts the newest %(cap)s matching requests)"
        ) % {"span": span, "cap": _count_text(histogram.cap)}
    return ngettext(
        "%(span)s: %(count)s request, %(succeeded)s succeeded, %(failed)s failed",
        "%(span)s: %(count)s requests, %(succeeded)s succeeded, %(failed)s failed",
        bar.requests,
    ) % {
        "span": span,
        "count": _count_text(bar.requests),
        "succeeded": _count_text(bar.succeeded),
        "failed": _count_text(bar.failed),
    }


def _labels(edges, size, zone, viewer):
    """Labels under a few edges: those on a round step (a nice size that is a whole number
    of buckets, giving at most MAX_LABELS + 1), else every few edges."""
    span = edges[-1] - edges[0]
    marks = []
    for step in nice_sizes():
        if step >= size and step % size == dt.timedelta(0) and step * MAX_LABELS >= span:
            marks = [i for i, e in enumerate(edges) if floor_to(e, step, zone) == e]
            break
    if len(marks) < 2:
        marks = list(range(0, len(edges), max(1, math.ceil((len(edges) - 1) / MAX_LABELS))))
    count = len(edges) - 1
    labels = []
    for i in marks:
        x = 100 * i / count
        anchor = "start" if x < 5 else "end" if x > 95 else "middle"
        text = _edge_text(edges[i], size, span, viewer)
        labels.append({"x": _pct(x), "anchor": anchor, "text": text})
    return labels


def _edge_text(edge, size, span, zone):
    local = edge.astimezone(zone)
    if size >= DAY or (local.time() == dt.time() and size < DAY):
        if span > 180 * DAY:
            return dateformat.format(local, "Y-m-d")
        # The language's own way to write a day: "Aug 5", "8月5日".
        return dateformat.format(local, pgettext("date format of a chart day label", "M j"))
    return local.strftime("%H:%M:%S" if size < MINUTE else "%H:%M")


def _duration_text(size):
    seconds = int(size.total_seconds())
    for length, words in _UNITS:
        if seconds >= length and seconds % length == 0:
            return words % {"n": seconds // length}
    return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}


# The bucket's size in words, in the largest whole unit (written out for the catalogue).
_UNITS = (
    (604800, ngettext_lazy("%(n)s week", "%(n)s weeks", "n")),
    (86400, ngettext_lazy("%(n)s day", "%(n)s days", "n")),
    (3600, ngettext_lazy("%(n)s hour", "%(n)s hours", "n")),
    (60, ngettext_lazy("%(n)s minute", "%(n)s minutes", "n")),
)
