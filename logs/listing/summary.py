"""The summary strip over the list's current filters, at a bounded cost.

When the filters are the time window plus at most one of api_key / provider / model /
finish_reason, the figures are exact and come from HourlyRollup: whole hours from the
rollups, the partial hours at the window's edges from at most two hours of raw rows.
Any other combination, a request id or any numeric bound (cost_min, latency_max, ...: the
rollups keep sums, not the rows' values) among them, aggregates the newest SAMPLE_CAP
matching rows and says so; a text search (q), the newest SEARCH_SAMPLE_CAP.
"""

from dataclasses import dataclass
from decimal import Context, Decimal

from django.db.models import Count, Sum

from logs.listing.buckets import HOUR, ceil_hour, floor_hour
from logs.models import FAILED, HourlyRollup

SAMPLE_CAP = 10_000
SEARCH_SAMPLE_CAP = 1_000
# The list filters that have a rollup dimension of the same name.
DIMENSION_FILTERS = ("api_key", "provider", "model", "finish_reason")


@dataclass
class Summary:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    latency_sum: int = 0
    latency_count: int = 0
    throughput_sum: Decimal = Decimal(0)
    throughput_count: int = 0
    exact: bool = True

    @property
    def avg_latency_ms(self):
        return round(self.latency_sum / self.latency_count) if self.latency_count else None

    @property
    def avg_throughput(self):
        if not self.throughput_count:
            return None
        return (self.throughput_sum / self.throughput_count).quantize(Decimal("0.01"))

    def add(self, row):
        for name in (
            "requests",
            "input_tokens",
            "output_tokens",
            "latency_sum",
            "latency_count",
            "throughput_count",
        ):
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))
        self.cost += row.get("cost") or Decimal(0)
        self.throughput_sum += row.get("throughput_sum") or Decimal(0)


_RAW_SUMS = {
    "requests": Count("id"),
    "input_tokens": Sum("input_tokens"),
    "output_tokens": Sum("output_tokens"),
    "cost": Sum("bill_amount"),
    "latency_sum": Sum("first_token_latency_ms"),
    "latency_count": Count("first_token_latency_ms"),
    "throughput_sum": Sum("throughput"),
    "throughput_count": Count("throughput"),
}
_ROLLUP_SUMS = {name: Sum(name) for name in _RAW_SUMS}

# The same sums over a bounded read's rows, in raw SQL: the histogram's read of the newest
# rows groups them by time, which the ORM cannot do around a LIMIT, and adds these columns
# so that one read serves the chart and the strip (sample_summary).
SAMPLE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "bill_amount",
    "first_token_latency_ms",
    "throughput",
)
SAMPLE_SUMS_SQL = (
    "SUM(input_tokens), SUM(output_tokens), SUM(bill_amount), "
    "SUM(first_token_latency_ms), COUNT(first_token_latency_ms), "
    "SUM(throughput), COUNT(throughput)"
)
# What Django's SQLite backend makes of a SUM over a decimal column (SQLite sums them as
# floats), so the strip shows the same digits whichever read it came from.
_SQLITE_DECIMAL = Context(prec=15)


def _money(value):
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return _SQLITE_DECIMAL.create_decimal_from_float(value)
    return Decimal(value)


def sample_summary(slices, exact):
    """The Summary of a bounded read from its per-slice SAMPLE_SUMS_SQL rows, in that order
    after the row count: (count, input, output, cost, latency sum, latency count,
    throughput sum, throughput count). `exact`: whether the read found every match."""
    result = Summary()
    for requests, inputs, outputs, cost, lat_sum, lat_n, tp_sum, tp_n in slices:
        result.add(
            {
                "requests": requests,
                "input_tokens": inputs,
                "output_tokens": outputs,
                "cost": _money(cost),
                "latency_sum": lat_sum,
                "latency_count": lat_n,
                "throughput_sum": _money(tp_sum),
                "throughput_count": tp_n,
            }
        )
    result.exact = exact
    return result


def rollup_dimension(filterset):
    """(dimension, values): the HourlyRollup rows that count exactly what these filters leave
    of a window, or None when no rollup does. The summary strip and the volume histogram
    (logs.histogram) both ask here, so they read rollups for the same filters."""
    data = filterset.form.cleaned_data
    used = [name for name in DIMENSION_FILTERS if data.get(name)]
    if (
        filterset.search_query is not None
        or data.get("request_id")
        or len(used) > 1
        or filterset.numeric_filtered
    ):
        return None
    if used:
        return used[0], list(data[used[0]])
    return "all", [""]


def bounded_rows(filterset, cap):
    """(rows, complete): what a bounded read of the list's matches aggregates. Usually the
    list's own rows, to be read newest first up to the cap (complete None: all of them when
    fewer than the cap). For a text search walked row by row, the newest `cap` matches the
    text index finds instead (logs.search.Applied.newest), which are the sample already, and
    whether they are every match of the window."""
    applied = filterset.search_applied
    found = applied.newest(cap) if applied is not None else None
    return found if found is not None else (filterset.qs, None)


def sample_cap(filterset):
    """How many of the newest matching rows a read stands in for all of them with, when the
    rollups cannot answer. Rollups know nothing of text, and checking it row by row is the
    costly part of a search: its sample is smaller (a common word fills it within a few
    thousand rows)."""
    return SEARCH_SAMPLE_CAP if filterset.search_query is not None else SAMPLE_CAP


def summarize(account, filterset, sample=None):
    """The strip's figures. `sample`: the Summary of the histogram's bounded read of these
    filters, when it made one, used where the strip would make the same read."""
    answer = rollup_dimension(filterset)
    if answer is None:
        return sample if sample is not None else _sampled(filterset.qs, sample_cap(filterset))
    dimension, values = answer
    start, end = filterset.window
    rollups = HourlyRollup.objects.for_account(account).dimension(dimension, values)
    summary = Summary()
    whole_from = ceil_hour(start) if start else None
    whole_to = floor_hour(end) if end else None
    if whole_from and whole_to and whole_from >= whole_to:
        # The window lies inside one or two partial hours: raw rows only, at most two hours.
        summary.add(edge_totals(filterset, start, end))
        return summary
    if whole_from:
        rollups = rollups.filter(hour__gte=whole_from)
        summary.add(edge_totals(filterset, start, whole_from))
    if whole_to:
        rollups = rollups.filter(hour__lt=whole_to)
        summary.add(edge_totals(filterset, whole_to, end))
    summary.add(rollups.aggregate(**_ROLLUP_SUMS))
    return summary


def edge_totals(filterset, low, high):
    """The strip's sums and the failed count of the list's rows in [low, high): a partial
    hour at an edge of the window, which the rollups cannot answer. Kept on the list state,
    since the strip and the histogram both need the same edges (at 10M rows an edge hour is
    ~9,000 rows, each read of them a visible part of the page's time)."""
    memo = filterset.edge_totals
    if (low, high) not in memo:
        memo[low, high] = _edge_totals(filterset, low, high)
    return memo[low, high]


_EDGE_SUMS = (*_RAW_SUMS, "failed")


def _edge_totals(filterset, low, high):
    hour = floor_hour(low)
    rest = None
    if low == hour:
        rest = (high, hour + HOUR)  # the window ends inside the hour: the part after it
    elif high == hour + HOUR:
        rest = (hour, low)  # the window starts inside the hour: the part before it
    if rest is not None and rest[1] - rest[0] < high - low and _rollup_is_whole(filterset, hour):
        # More of the hour is inside the window than outside it: the hour's rollup row less
        # the rows outside reads fewer rows than the rows inside. The default window starts
        # at now - 7 days, so which way is cheaper changes with the minute; and a window
        # that ends now has nothing after its end.
        whole = _hour_rollup(filterset, hour)
        outside = _raw_totals(filterset.unwindowed_qs(), *rest)
        return {name: (whole[name] or 0) - (outside[name] or 0) for name in _EDGE_SUMS}
    return _raw_totals(filterset.qs, low, high)


def _rollup_is_whole(filterset, hour):
    """Whether the hour's rollup counts exactly the rows the list can show of it: always,
    but for an hour reaching past the retention horizon, whose older rows may be pruned
    while their rollups are kept for billing."""
    horizon = filterset.retention_horizon
    return horizon is None or hour >= horizon


def _hour_rollup(filterset, hour):
    dimension, values = rollup_dimension(filterset)
    rows = HourlyRollup.objects.for_account(filterset.account).dimension(dimension, values)
    return rows.filter(hour=hour).aggregate(**_ROLLUP_SUMS, failed=Sum("errors"))


def _raw_totals(queryset, low, high):
    rows = queryset.order_by().filter(created_at__gte=low, created_at__lt=high)
    return rows.aggregate(**_RAW_SUMS, failed=Count("id", filter=FAILED))


def _sampled(queryset, cap=SAMPLE_CAP):
    summary = Summary()
    # Sums over the newest `cap` rows themselves (Django wraps the sliced query in a
    # subquery): the read stops at its LIMIT, and there is no second lookup of the ids,
    # which on PostgreSQL became a semi-join against the whole window's partitions.
    summary.add(queryset.newest_first()[:cap].aggregate(**_RAW_SUMS))
    summary.exact = summary.requests < cap
    return summary
