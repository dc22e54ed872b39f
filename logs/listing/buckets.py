"""The buckets of the volume histogram (logs.listing.histogram): their size, and their edges
on the viewer's clock.

The bucket is the smallest of NICE_SIZES that cuts the window into at most MAX_BARS bars;
each size is at most three times the one before, so every window longer than half a minute
gets 30 to 90 bars. Buckets are aligned to the clock in the viewer's zone, the zone the
list's times are shown in: minutes on the minute, hours on the hour, days at midnight,
weeks on Mondays. Buckets of an hour or more are aligned in UTC instead where the zone's
offset is not a whole number of hours (as on the usage page, billing.usage.day_zone), so
that their edges are UTC hours, which the rollups count.

Plain arithmetic on datetimes: no query, no markup.
"""

import datetime as dt

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# Each at most 3 times the one before: a window that needs more than MAX_BARS of one size
# still gets at least MAX_BARS / 3 of the next. Those under a day divide a day, so they
# line up with midnight; longer ones are whole days counted from DAY_ANCHOR.
NICE_SIZES = (
    *(n * SECOND for n in (1, 2, 5, 10, 15, 30)),
    *(n * MINUTE for n in (1, 2, 5, 10, 15, 30)),
    *(n * HOUR for n in (1, 2, 3, 6, 12)),
    *(n * DAY for n in (1, 2, 4, 7, 14, 28, 56, 91, 182, 364)),
)
MAX_BARS = 90
# A Monday, so that buckets of whole weeks start on Mondays (ISO 8601).
DAY_ANCHOR = dt.date(1970, 1, 5)


def bucket_size(span):
    """The smallest nice size that cuts `span` into at most MAX_BARS clock-aligned buckets
    (a span of n sizes can straddle n + 1 of them)."""
    for size in NICE_SIZES:
        if span <= size * (MAX_BARS - 1):
            return size
    size = NICE_SIZES[-1]
    while span > size * (MAX_BARS - 1):
        size *= 2
    return size


def _midnight(day, zone):
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def floor_to(moment, size, zone):
    """The start of the bucket of `size` that holds `moment`, on the clock of `zone`."""
    local = moment.astimezone(zone)
    if size >= DAY:
        day = local.date()
        day -= dt.timedelta(days=(day - DAY_ANCHOR).days % (size // DAY))
        return _midnight(day, zone)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    seconds -= seconds % int(size.total_seconds())
    floored = local.replace(
        hour=seconds // 3600, minute=seconds // 60 % 60, second=seconds % 60, microsecond=0
    )
    return floored.astimezone(dt.UTC)


def _next_edge(edge, size, zone):
    if size >= DAY:
        # By calendar days, not 24-hour steps: a day with a daylight-saving change has 23
        # or 25 hours, and the next bucket still starts at midnight.
        return _midnight(edge.astimezone(zone).date() + dt.timedelta(days=size // DAY), zone)
    if size > HOUR:
        # By the wall clock, so that 6-hour buckets start at 0:00, 6:00, 12:00 and 18:00 on
        # either side of a clock change (the one around it is an hour longer or shorter).
        # Shorter buckets step in real time instead: clocks change by whole hours (or half
        # hours), which keeps them aligned, and each minute of a repeated hour gets its bar.
        wall = edge.astimezone(zone).replace(tzinfo=None) + size
        following = floor_to(wall.replace(tzinfo=zone), size, zone)
    else:
        following = floor_to(edge + size, size, zone)
    # Clocks going back can floor to where we are; a bucket is never empty of time.
    return following if following > edge else edge + size


def buckets(start, end, zone):
    """(size, zone aligned in, edges) of the buckets for the window [start, end)."""
    sizes = nice_sizes()
    size = bucket_size(end - start)
    for candidate in sizes:
        if candidate == size:
            break
    while True:
        align = _align_zone(size, zone, start, end)
        edges = bucket_edges(start, end, size, align)
        # A clock change can add a bucket beyond what the span alone needs.
        if len(edges) - 1 <= MAX_BARS:
            return size, align, edges
        size = next(sizes)


def bucket_edges(start, end, size, zone):
    """The clock-aligned edges of the buckets that cover [start, end): n + 1 for n buckets."""
    edges = [floor_to(start, size, zone)]
    while edges[-1] < end:
        edges.append(_next_edge(edges[-1], size, zone))
    return edges


def _align_zone(size, zone, start, end):
    if size < HOUR:
        return zone
    for moment in (start, end):
        if moment.astimezone(zone).utcoffset() % HOUR:
            return dt.UTC
    return zone


def nice_sizes():
    """NICE_SIZES, then each twice the one before, without end."""
    yield from NICE_SIZES
    size = NICE_SIZES[-1]
    while True:
        size *= 2
        yield size


def floor_hour(moment):
    """The UTC hour that holds `moment`: the hour of its rollup row."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment):
    """The first UTC hour at or after `moment`."""
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR
