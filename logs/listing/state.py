"""The log list's state, as Django admin's ChangeList holds a changelist's: what the validated
filters ask for becomes the time window (clipped to the retention horizon), the order, the
cursor and page size, and the rows, read with the text search in the mode it chose. The view
builds it from a GenerationFilter it has validated; the summary strip and the histogram read
it (and memoize the window's edge hours on it); the templates show it."""

import datetime as dt
from functools import cached_property

from django.conf import settings
from django.utils import timezone

from logs import search

from .filters import DEFAULT_PAGE_SIZE, DEFAULT_RANGE, DEFAULT_SORT, RANGES, sort_order


def _utc(moment):
    return None if moment is None else moment.astimezone(dt.UTC)


class ListState:
    def __init__(self, filterset):
        self.filter = filterset
        self.form = filterset.form
        self.account = filterset.account
        # One "now" for the list, its summary and the retention horizon, so they agree.
        self.now = timezone.now()
        # How q is read, once .qs is built: None (no q), "ids" or "walk" (logs.search.apply).
        self.search_mode = None
        self.search_applied = None
        # The partial hours at the window's edges, read once for the summary strip and the
        # histogram alike (logs.listing.summary.edge_totals): {(low, high): sums}.
        self.edge_totals = {}

    @cached_property
    def qs(self):
        """The rows the list shows (in no order yet): the filters' within the window, then
        the text search."""
        start, end = self.window
        queryset = self.filter.within(start, end)
        query = self.search_query
        if query:
            # Last: the text index is asked about the window alone, and its answer (ids, or
            # a per-row check) then meets every other filter (logs.search).
            applied = search.apply(queryset, query, self.account.pk, start, end)
            queryset, self.search_mode = applied.queryset, applied.mode
            self.search_applied = applied
        return queryset

    def unwindowed_qs(self):
        """The rows the filters leave whatever their time (GenerationFilter.unwindowed_qs)."""
        return self.filter.unwindowed_qs()

    def _asked_window(self):
        data = self.form.cleaned_data
        if data.get("request_id"):
            return None, None
        start, end = data.get("from"), data.get("to")
        if start or end:
            # In UTC, so the window's arithmetic is in real time: Python compares and
            # subtracts two times of one zone by their wall clocks, and 02:30 to 03:30 across
            # a skipped hour was an hour long though both are one instant (the histogram
            # then had no bar to divide among). Such a window is empty, not an error.
            return _utc(start), _utc(end)
        span = RANGES[data.get("range") or DEFAULT_RANGE]
        return (None if span is None else self.now - span), None

    @property
    def retention_days(self):
        return settings.LOG_RETENTION_DAYS

    @property
    def retention_horizon(self):
        """now - LOG_RETENTION_DAYS, or None when logs are kept forever."""
        days = self.retention_days
        return self.now - dt.timedelta(days=days) if days else None

    @property
    def clipped_to_retention(self):
        """Whether the window asked for reaches past the retention horizon."""
        horizon = self.retention_horizon
        start = self._asked_window()[0]
        return horizon is not None and (start is None or start < horizon)

    @property
    def window(self):
        """(start, end) of the time window the filters ask for, in UTC; None for no bound.
        A request id finds its generation whatever the window, so it clears the window, but
        not the retention horizon: the start is never before it. Rows past the horizon are
        due to be pruned (until then they are still there) and the rollups of those hours are
        kept for billing, so list and summary alike stop at the horizon, and agree."""
        start, end = self._asked_window()
        if self.clipped_to_retention:
            start = self.retention_horizon
        return start, end

    @property
    def page_size(self):
        return self.form.cleaned_data.get("page_size") or DEFAULT_PAGE_SIZE

    @property
    def cursor(self):
        return self.form.cleaned_data.get("cursor")

    @property
    def sort(self):
        return self.form.cleaned_data.get("sort") or DEFAULT_SORT

    @property
    def order(self):
        return sort_order(self.sort)

    @property
    def sort_param(self):
        """The sort the query string carries: None for the default."""
        return None if self.sort == DEFAULT_SORT else self.sort

    @property
    def search_query(self):
        """The parsed q (a search.SearchQuery), or None."""
        return self.form.cleaned_data.get("q")

    @property
    def numeric_filtered(self):
        return self.filter.numeric_filtered

    @property
    def live_requested(self):
        return bool(self.form.cleaned_data.get("live"))

    @property
    def live_paused_by(self):
        """Why live=1 does not follow the list, or None: it follows the newest first page of
        a window that ends now, and a To time, another sort or an older page is none."""
        if not self.live_requested:
            return None
        data = self.form.cleaned_data
        if data.get("to"):
            return "to"
        if self.sort != DEFAULT_SORT:
            return "sort"
        if self.cursor is not None:
            return "cursor"
        return None

    @property
    def live(self):
        """Whether the page follows new generations (static/zenlogs/app.js polls it)."""
        return self.live_requested and self.live_paused_by is None
