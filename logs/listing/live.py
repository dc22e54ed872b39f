"""The live list (`live=1`): while it is on, static/zenlogs/app.js asks the list's own URL
every few seconds, with `after` (where the last answer left off) and `sums` (the summary
strip's figures as shown), for what was stored since: the new rows, the strip with their
figures added, and their counts per second for the histogram's bars.

What "new" means. A generation's time is its `createdAt`, when the call started; it is
stored when the call ends, a long one minutes after shorter ones that started later. Rows
newer than the newest one shown would miss it, and the strip would never count it. So a
poll reads the rows stamped at most LOOKBACK before now whose id is above the highest one
already counted (ids come from one sequence, in the order rows are stored): `after` holds
that floor and that id, sealed like every cursor (zenlogs.sealed). It is one range of the
same index as the list's first page, (account[, filter], created_at, id), from the floor
on, with the id checked in the index: the cost is the rows of the last LOOKBACK, whatever
the table's size (bench/README.md, "Live list polls at 10M"). A generation stored more
than LOOKBACK after its createdAt is not brought in; it is in its place on the next load.

The strip and the bars are added to, never summed again: the poll sums only the new rows
and adds them to the figures the page sent (its own, shown to the same reader, so nothing
is trusted that a reader could not change by editing the page). More than `cap` new rows in
one poll: their figures are still added, and the page is told to load the newest page
afresh rather than to insert a page's worth of rows.
"""

import contextlib
import datetime as dt
import re
import types
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Max, Value, When
from django.utils.translation import gettext_lazy as _

from logs import search
from logs.models import FAILED, Generation, is_failed
from zenlogs.keyset import Cursor, index_order

from .histogram import _EpochSeconds
from .summary import SAMPLE_COLUMNS, SAMPLE_SUMS_SQL, Summary, sample_summary

# How long after its createdAt a generation may be stored and still be brought in live.
LOOKBACK = dt.timedelta(minutes=10)
# At most this many new rows are summed by one poll; past it the page loads afresh anyway.
SUM_CAP = 10_000
# The Summary fields `sums` carries, in order, then whether the strip is exact (1 or 0).
SUM_FIELDS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cost",
    "latency_sum",
    "latency_count",
    "throughput_sum",
    "throughput_count",
)
_DECIMAL_FIELDS = ("cost", "throughput_sum")
# As sums_text writes them: plain digits, so no exponent can make a figure too wide to show.
_WHOLE = re.compile(r"-?\d{1,30}")
_DECIMAL = re.compile(r"-?\d{1,40}(?:\.\d{1,30})?")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class AfterField(forms.CharField):
    """`after`: where a live poll starts, as the last answer (or the page) wrote it."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        cursor = Cursor.parse(value)
        if cursor is None or cursor.direction != "n":
            raise forms.ValidationError(_("This live position is not valid; reload the page."))
        return cursor


class SumsField(forms.CharField):
    """`sums`: the summary strip's figures as the page shows them (sums_text writes them)."""

    invalid = _("These are not the summary's figures; reload the page.")

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != len(SUM_FIELDS) + 1 or parts[-1] not in ("0", "1"):
            raise forms.ValidationError(self.invalid)
        figures = Summary(exact=parts[-1] == "1")
        for name, text in zip(SUM_FIELDS, parts, strict=False):
            decimal = name in _DECIMAL_FIELDS
            if not (_DECIMAL if decimal else _WHOLE).fullmatch(text):
                raise forms.ValidationError(self.invalid)
            setattr(figures, name, Decimal(text) if decimal else int(text))
        return figures


def fields():
    """The form fields of the live list, for the list's filter form."""
    return {
        "live": forms.BooleanField(required=False, label=_("Live")),
        "after": AfterField(required=False, max_length=64),
        "sums": SumsField(required=False, max_length=400),
    }


def poll_ms():
    return settings.LIVE_POLL_MS


def sums_text(summary):
    """The strip's figures as `sums` carries them back."""
    # Whole numbers as such: a sum of rollups comes back as a Decimal on SQLite.
    values = [
        format(Decimal(getattr(summary, name) or 0).normalize(), "f")
        if name in _DECIMAL_FIELDS
        else str(int(getattr(summary, name) or 0))
        for name in SUM_FIELDS
    ]
    return ",".join([*values, "1" if summary.exact else "0"])


def _position(floor, pk):
    return Cursor.after(types.SimpleNamespace(created_at=floor, pk=pk), "n")


def start(state):
    """`after` for a live page, read before its rows: the floor, and the highest id among the
    account's rows from it on. Read first, so a row stored while the page is read is at worst
    brought in again (app.js skips a row it shows) rather than never."""
    floor = state.now - LOOKBACK
    rows = Generation.objects.for_account(state.account).filter(created_at__gte=floor)
    newest = rows.order_by().aggregate(newest=Max("id"))["newest"]
    return _position(floor, newest or 0)


class Poll:
    """One poll's answer: the new rows (newest first) when there are at most `cap`, the
    strip's figures with theirs added, their counts per second, and where the next poll
    starts."""

    def __init__(self, rows, summary, seconds, after, requests, overflow):
        self.rows, self.summary, self.seconds = rows, summary, seconds
        self.after, self.requests, self.overflow = after, requests, overflow

    @property
    def seconds_text(self):
        """`second:requests:failed` of each second with new rows, for the histogram's bars."""
        return " ".join(f"{at}:{n}:{failed}" for at, n, failed in self.seconds)


def new_rows(state, after):
    """The rows of the list's filters and search stored since `after`: stamped from its
    floor on, with an id above its id, within the window."""
    start_, end = state.window
    floor = after.created_at if start_ is None else max(after.created_at, start_)
    rows = state.filter.within(floor, end).filter(id__gt=after.pk)
    if state.search_query is not None:
        # Checked row by row: only the new rows reach the check, so the text index is not
        # asked about the whole window as the page's search does.
        rows = rows.filter(search.matching_text(state.search_query))
    return rows


def poll(state, after, shown, cap):
    """The Poll of the list in `state` since `after` (an AfterField cursor), `shown` being the
    strip's figures on the page (a Summary, or None when it sent none)."""
    rows = new_rows(state, after)
    # The rows read take them from the floor on off the list's own index, the id checked in
    # the index. A numeric bound or a search is checked row by row, and for cost_min
    # PostgreSQL gathered the bound's matches off the cost index instead, every row of the
    # day for a handful of new ones: with sorts ruled out it walks the time index newest
    # first (as logs.listing.reads does for the page). Without them the planner has no
    # such choice, and the settings' round trips are left out of every poll.
    walked = state.numeric_filtered or state.search_query is not None
    with index_order(rows.db) if walked else contextlib.nullcontext():
        # One read for the rows and their sums: up to a page of them is what nearly every
        # poll finds, and summing them here saves a second round trip and its compiling
        # (bench/README.md, "Live list polls at 10M"). Without their ratings and charges:
        # a live row's cost popover is read when it is opened (logs.detail.views.cost).
        listed = list(rows.for_list().newest_first()[: cap + 1])
        if len(listed) <= cap:
            seconds, newest, delta = _summed(listed)
        else:
            listed = []
            seconds, newest, delta = _per_second(rows)
    requests = sum(n for _, n, _ in seconds)
    summary = shown
    if summary is not None and delta is not None:
        for name in SUM_FIELDS:
            setattr(summary, name, getattr(summary, name) + getattr(delta, name))
    following = _position(max(after.created_at, state.now - LOOKBACK), max(after.pk, newest))
    return Poll(listed, summary, seconds, following, requests, overflow=requests > cap)


def _summed(rows):
    """([(second, requests, failed)], highest id, Summary) of rows read, as _per_second sums
    them in the database."""
    per_second = {}
    for row in rows:
        at = (row.created_at - _EPOCH) // dt.timedelta(seconds=1)
        counts = per_second.setdefault(at, [0, 0])
        counts[0] += 1
        counts[1] += is_failed(row.cancelled, row.finish_reason)
    delta = sample_summary(
        [
            (
                1,
                row.input_tokens,
                row.output_tokens,
                row.bill_amount,
                row.first_token_latency_ms,
                row.first_token_latency_ms is not None,
                row.throughput,
                row.throughput is not None,
            )
            for row in rows
        ],
        exact=True,
    )
    seconds = [(at, n, failed) for at, (n, failed) in sorted(per_second.items())]
    return seconds, max((row.pk for row in rows), default=0), delta


def _per_second(rows):
    """([(second, requests, failed)], highest id, Summary) of the new rows, at most SUM_CAP
    of them (more arrive as a reload: the poll says overflow), summed in the database per
    second around an ordered read (as the histogram does: the ORM groups only a query's own
    rows, before its LIMIT)."""
    newest = (
        rows.newest_first()
        .annotate(
            at_second=_EpochSeconds("created_at"),
            is_failed=Case(When(FAILED, then=Value(1)), default=Value(0)),
        )
        .values("id", "at_second", "is_failed", *SAMPLE_COLUMNS)[:SUM_CAP]
    )
    try:
        sql, params = newest.query.get_compiler(using=newest.db).as_sql()
    except EmptyResultSet:  # a request id that is not there
        return [], 0, None
    with connections[newest.db].cursor() as cursor:
        cursor.execute(
            "SELECT at_second, COUNT(*), SUM(is_failed), MAX(id), "  # noqa: S608
            f"{SAMPLE_SUMS_SQL} FROM ({sql}) AS newest GROUP BY 1",
            params,
        )
        groups = sorted(cursor.fetchall())
    delta = sample_summary([(row[1], *row[4:]) for row in groups], exact=True)
    seconds = [(at, n, int(failed)) for at, n, failed, *_ in groups]
    return seconds, max((row[3] for row in groups), default=0), delta
