"""Keyset pagination over (created_at, id), newest first, written so that the database reads
one index range whatever its statistics say.

`created_at < t OR (created_at = t AND id < n)` means the same thing, but without
statistics PostgreSQL answers the OR with a bitmap scan of the whole window and a sort:
0.75 s for page 50 at a million rows right after a bulk load. The row comparison
`(created_at, id) < (t, n)` is one range of an index on (..., created_at, id), on PostgreSQL
and on SQLite (row values since 3.15). Django's own tuple lookups (5.2) write the OR on
SQLite, hence this small expression of our own.
"""

import contextlib

from django.db import connections, models, transaction
from django.db.models.lookups import GreaterThan, LessThan


@contextlib.contextmanager
def index_order(using):
    """Sorts are ruled out for the reads inside (on PostgreSQL), so each keyset read walks an
    index in its own order and stops at its LIMIT. Without statistics PostgreSQL misjudges
    how many rows a read's conditions leave, for a condition no index serves above all (a
    range of costs); whenever its guess falls below the LIMIT it reads the whole window and
    sorts it instead, however many rows in fact match. SET LOCAL lasts to the end of the
    outermost transaction, a caller's included, so the setting is put back on the way out."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_sort')")
            (previous,) = cursor.fetchone()
            cursor.execute("SET LOCAL enable_sort = off")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_sort', %s, true)", [previous])


class Row(models.Func):
    """A row value, `(a, b)`, so that columns compare together, in order."""

    function = ""
    output_field = models.Field()


class KeysetQuerySet(models.QuerySet):
    """Newest first, and the rows before or after a position in that order. The model needs
    `created_at` and an index that ends in (created_at, id) after its equality filters."""

    def newest_first(self):
        # id breaks ties between rows created in the same microsecond, so the order is total
        # and a cursor never skips or repeats a row.
        return self.order_by("-created_at", "-id")

    def older_than(self, created_at, pk):
        return self._keyset(LessThan, "lte", created_at, pk)

    def newer_than(self, created_at, pk):
        return self._keyset(GreaterThan, "gte", created_at, pk)

    def _keyset(self, comparison, bound, created_at, pk):
        meta = self.model._meta
        position = Row(
            models.Value(created_at, output_field=meta.get_field("created_at")),
            models.Value(pk, output_field=meta.pk),
        )
        queryset = self.filter(comparison(Row("created_at", "id"), position))
        if connections[self.db].vendor == "postgresql":
            # The plain bound repeats what the row comparison implies, for a table
            # partitioned by created_at: PostgreSQL prunes partitions on it, never on a row
            # comparison. Not on SQLite, which has no partitions, and whose planner, without
            # statistics, counts the third bound on created_at as a reason to prefer the
            # time index over the filter's own (gen_account_key, ...).
            queryset = queryset.filter(**{f"created_at__{bound}": created_at})
        return queryset
