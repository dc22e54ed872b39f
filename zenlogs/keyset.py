"""Keyset pagination over (created_at, id), newest first, or over (column, id) in another
Order, written so that the database reads one index range whatever its statistics say.

`created_at < t OR (created_at = t AND id < n)` means the same thing, but without
statistics PostgreSQL answers the OR with a bitmap scan of the whole window and a sort:
0.75 s for page 50 at a million rows right after a bulk load. The row comparison
`(created_at, id) < (t, n)` is one range of an index on (..., created_at, id), on PostgreSQL
and on SQLite (row values since 3.15). Django's own tuple lookups (5.2) write the OR on
SQLite, hence this small expression of our own.
"""

import contextlib
import datetime as dt

from django.db import connections, models, transaction
from django.db.models.lookups import GreaterThan, LessThan


@contextlib.contextmanager
def index_order(using):
    """Sorts are ruled out for the reads inside (on PostgreSQL), so each keyset read walks an
    index in its own order and stops at its LIMIT. Without statistics PostgreSQL misjudges
    how many rows a read's conditions leave, for a condition no index serves above all (a
    range of costs); whenever its guess falls below the LIMIT it reads the whole window and
    sorts it instead, however many rows in fact match. SET LOCAL lasts to the end of the
    outermost transaction, a caller's included, so the settings are put back on the way out."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_sort'), current_setting('jit')")
            previous = cursor.fetchone()
            cursor.execute("SET LOCAL enable_sort = off")
            # A plan that sorts all the same now costs ten billion, far past jit_above_cost:
            # PostgreSQL would compile it to machine code first, 300 ms for a 4 ms read.
            cursor.execute("SET LOCAL jit = off")
        yield
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('enable_sort', %s, true), set_config('jit', %s, true)",
                previous,
            )


class Row(models.Func):
    """A row value, `(a, b)`, so that columns compare together, in order."""

    function = ""
    output_field = models.Field()


class Selective(models.Func):
    """A condition that SQLite's planner is told leaves few rows (its `unlikely()`, which
    changes nothing the condition matches); PostgreSQL gets the condition as it is. SQLite
    without statistics counts `column IS NOT NULL` as leaving every row, so for the first
    page of a cost order it read the whole window off the time index and sorted it, rather
    than walk (account, cost, id) for 51 rows; told the segment's condition narrows, it walks
    the cost index (tests/test_query_plans.py)."""

    function = "unlikely"
    output_field = models.BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "sqlite":
            return compiler.compile(self.source_expressions[0])
        return super().as_sql(compiler, connection, **extra_context)


class Order:
    """An order for keyset reads: one column, descending or ascending, then id the same way,
    so that the order is total (id breaks ties) and a cursor never skips or repeats a row.

    A column that may be NULL (an unknown cost) is read in two segments, the known values
    and then the unknown ones, by id, so unknown values come last in either direction.
    Each segment is one range of an index on (..., column, id): the NULLs sit together at
    one end of it, and a read that crosses from one segment to the next is two queries. A
    single ORDER BY would put them first one way or the other, and a condition spanning
    both segments (`... OR column IS NULL`) is no longer one range."""

    def __init__(self, column, descending=True):
        self.column, self.descending = column, descending

    def position(self, row):
        """Where a row stands in this order: (its value, its id)."""
        return getattr(row, self.column), row.pk

    def has_index(self, model):
        """Whether an index of the model ends in (column, id), so that reads in this order
        walk it rather than read the whole window and sort it."""
        return any(i.fields[-2:] == [f"-{self.column}", "-id"] for i in model._meta.indexes)


NEWEST_FIRST = Order("created_at")


class KeysetQuerySet(models.QuerySet):
    """Newest first, or in another Order, and the rows before or after a position in it. The
    model needs `created_at` and an index that ends in (created_at, id) after its equality
    filters; another order reads one range only where an index ends in (column, id)."""

    def newest_first(self):
        # id breaks ties between rows created in the same microsecond, so the order is total
        # and a cursor never skips or repeats a row.
        return self.order_by("-created_at", "-id")

    def older_than(self, created_at, pk):
        return self._keyset(LessThan, "lte", "created_at", created_at, pk)

    def newer_than(self, created_at, pk):
        return self._keyset(GreaterThan, "gte", "created_at", created_at, pk)

    def read(self, order, limit, position=None, backwards=False):
        """Up to `limit` rows in `order` after `position` ((value, id), as Order.position
        gives it), or from the first row when it is None. Backwards: the rows before it,
        nearest first, or from the last row. One query, or two where the read crosses from
        the known values to the unknown ones."""
        rows = []
        for segment in self.segments(order, position, backwards):
            rows += segment[: limit - len(rows)]
            if len(rows) >= limit:
                break
        return rows

    def segments(self, order, position=None, backwards=False):
        """The querysets `read` takes rows from in turn, each one index range, in order."""
        column = order.column
        descending = order.descending != backwards
        # The column stays first in the NULL segment's ORDER BY too: it is constant there,
        # and naming it keeps the ORDER BY the index's own, (..., column, id).
        by = (f"-{column}", "-id") if descending else (column, "id")
        if self.model._meta.get_field(column).null:
            segments = [
                (False, self.filter(Selective(models.Q(**{f"{column}__isnull": False})))),
                (True, self.filter(Selective(models.Q(**{f"{column}__isnull": True})))),
            ]
        else:
            segments = [(False, self)]
        if backwards:
            segments.reverse()
        if position is not None:
            value, pk = position
            while segments and segments[0][0] != (value is None):
                segments.pop(0)
            if segments and value is None:
                after = {"id__lt" if descending else "id__gt": pk}
                segments[0] = (True, segments[0][1].filter(**after))
            elif segments:
                comparison, bound = (LessThan, "lte") if descending else (GreaterThan, "gte")
                keyset = segments[0][1]._keyset(comparison, bound, column, value, pk)
                segments[0] = (False, keyset)
        return [queryset.order_by(*by) for _, queryset in segments]

    def _keyset(self, comparison, bound, column, value, pk):
        meta = self.model._meta
        position = Row(
            models.Value(value, output_field=meta.get_field(column)),
            models.Value(pk, output_field=meta.pk),
        )
        queryset = self.filter(comparison(Row(column, "id"), position))
        if column == "created_at" and connections[self.db].vendor == "postgresql":
            # The plain bound repeats what the row comparison implies, for a table
            # partitioned by created_at: PostgreSQL prunes partitions on it, never on a row
            # comparison. Not on SQLite, which has no partitions, and whose planner, without
            # statistics, counts the third bound on created_at as a reason to prefer the
            # time index over the filter's own (gen_account_key, ...).
            queryset = queryset.filter(**{f"created_at__{bound}": value})
        return queryset


# Where the cursors' and the text index's microsecond timestamps count from.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
