"""How the list reads its rows: keyset pages, and the plan each read runs under. The details
page's neighbours are read here too, as one row either side in the list's order."""

import contextlib

from zenlogs.keyset import NEWEST_FIRST, Cursor, index_order


def page(queryset, order, cursor, size):
    """One keyset page in `order` (newest first by default): (rows, newer_cursor,
    older_cursor), the cursors of the pages before and after it. Reads size + 1 rows to learn
    whether another page exists, so there is no COUNT and no OFFSET."""
    rows_qs = queryset.for_list().select_related("charge").with_rating()
    if cursor is not None and cursor.direction == "n":
        rows = rows_qs.read(order, size + 1, cursor.position, backwards=True)
        if len(rows) > size:
            rows = rows[:size][::-1]
            return rows, Cursor.after(rows[0], "n", order), Cursor.after(rows[-1], "o", order)
        cursor = None  # reached the head: show the first page, whole
    rows = rows_qs.read(order, size + 1, cursor.position if cursor is not None else None)
    older = Cursor.after(rows[size - 1], "o", order) if len(rows) > size else None
    rows = rows[:size]
    newer = Cursor.after(rows[0], "n", order) if cursor is not None and rows else None
    return rows, newer, older


def reading(state, order=NEWEST_FIRST, *, always=False):
    """Where the list's keyset reads run. A numeric bound (cost_min, ...) has no index, and
    PostgreSQL without statistics guesses that it leaves a handful of rows, so it read the whole
    window and sorted it for a page (tests/listing/test_query_plans.py), for the details page's
    neighbours and for the summary's sample. With sorts ruled out a read walks the window's
    index and stops at its LIMIT: one page when the bound matches often, the window (as the sort
    would) when it matches rarely. A text search that matched too often to list by id
    (logs.search) is the same kind of condition: a check per row as the index is walked. Reads
    in an `order` no index keeps (sort=-latency, ...) sort whatever is done; with sorts ruled
    out PostgreSQL weighs every plan alike (bench/README.md has a page by cost, bound by cost,
    without the cost index). `always`: rule sorts out for any filters, for reads of a row or two
    that must never read more; but not for a rare word's matches listed by id, which are few and
    found by id and time: sorting them is the plan there, and a walk of the index would step
    over every row between them."""
    queryset = state.qs  # built first: it decides how a text search is read
    if not order.has_index(queryset.model):
        return contextlib.nullcontext()
    walked = state.numeric_filtered or state.search_mode == "walk"
    if walked or (always and state.search_mode != "ids"):
        return index_order(queryset.db)
    return contextlib.nullcontext()


def neighbours(state, generation):
    """(newer, older): the rows just before and just after `generation` in the list's order,
    under its filters, or None at either end."""
    order = state.order
    qs = state.qs.only("generation_id", "created_at", order.column)
    if order.column == "created_at":
        start, end = state.window
        before_start = start is not None and generation.created_at < start
        after_end = end is not None and generation.created_at >= end
        # Outside the window the generation is no cursor: every listed row is on one side
        # of it. Given as one, PostgreSQL starts its index walk at the generation, not at
        # the window's edge, and steps over every row in between (bench/README.md). In
        # another order its value is a place like any other.
        if before_start or after_end:
            if before_start == order.descending:  # every listed row comes before it
                return _first(qs.read(order, 1, backwards=True)), None
            return None, _first(qs.read(order, 1))
    position = order.position(generation)
    newer = qs.read(order, 1, position, backwards=True)
    older = qs.read(order, 1, position)
    return _first(newer), _first(older)


def _first(rows):
    return rows[0] if rows else None
