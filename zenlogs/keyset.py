"""Keyset pagination over (created_at, id), newest first, or over (column, id) in another
Order, written so that the database reads one index range whatever its statistics say; and
Cursor (with its form field, CursorField), a position in that order as a page link carries it,
which the log list and the billing pages both read.

`created_at < t OR (created_at = t AND id < n)` means the same thing, but without
statistics PostgreSQL answers the OR with a bitmap scan of the whole window and a sort, far
slower past the first pages right after a bulk load (bench/README.md). The row comparison
`(created_at, id) < (t, n)` is one range of an index on (..., created_at, id), on PostgreSQL
and on SQLite (row values since 3.15). Django's own tuple lookups (5.2) write the OR on
SQLite, hence this small expression of our own.
"""

import contextlib
import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext_lazy as _

from zenlogs.sealed import SEAL_PATTERN, seal, unseal

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The row id in a cursor is sealed (zenlogs/sealed.py): ids are one sequence across accounts.
CURSOR_RE = re.compile(rf"^([on])(\d{{1,20}})\.({SEAL_PATTERN})$")
SORTED_CURSOR_RE = re.compile(rf"^([on])(u|-?\d{{1,30}}(?:\.\d{{1,30}})?)_({SEAL_PATTERN})$")
# Beyond it SQLite has no integer to compare with: a cursor past it is no position (a 500).
MAX_WHOLE_NUMBER = 2**63 - 1


@contextlib.contextmanager
def index_order(using):
    """Sorts are ruled out for the reads inside (on PostgreSQL), so each keyset read walks an
    index in its own order and stops at its LIMIT. Without statistics PostgreSQL misjudges
    how many rows a read's conditions leave, for a condition no index serves above all (a
    range of costs); whenever its guess falls below the LIMIT it reads the whole window and
    sorts it instead, however many rows in fact match. SET LOCAL lasts to the end of the
    outermost transaction, a caller's included, so inside a caller's transaction the settings
    are put back on the way out. Outside one, the transaction opened here ends with the read
    and takes them along: three round trips fewer (a live poll's cost_min,
    bench/README.md "Live list polls at 10M")."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if not outermost:
                cursor.execute("SELECT current_setting('enable_sort'), current_setting('jit')")
                previous = cursor.fetchone()
            # jit too: a plan that sorts all the same now costs ten billion, far past
            # jit_above_cost: PostgreSQL would compile it to machine code first, which takes
            # far longer than the read itself (bench/README.md).
            cursor.execute("SET LOCAL enable_sort = off; SET LOCAL jit = off")
        yield
        if not outermost:
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
    the cost index (tests/listing/test_query_plans.py)."""

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


class Cursor:
    """A keyset position: the row's sort key and its id, plus the direction to read from it:
    "o" for the rows after it (the next page; older ones, newest first), "n" for the rows
    before it. In created_at order the key is written in microseconds since the epoch
    ("o1755830958000000.<seal>"); in another it is the row's value, u when unknown
    ("o0.0045_<seal>", "ou_<seal>"). The id is sealed: it tells nobody how many rows other
    accounts stored, and a seal cannot be edited into another id."""

    def __init__(self, direction, key, pk):
        self.direction, self.key, self.pk = direction, key, pk

    @property
    def created_at(self):
        """The key of a cursor in created_at order."""
        return self.key

    @property
    def position(self):
        return self.key, self.pk

    @classmethod
    def after(cls, row, direction, order=None):
        column = order.column if order else "created_at"
        value = getattr(row, column)
        if column == "created_at":
            micros = (value - EPOCH) // dt.timedelta(microseconds=1)
            return f"{direction}{micros}.{seal(row.pk)}"
        if value is None:
            text = "u"
        elif isinstance(value, Decimal):
            text = format(value, "f")  # not str(): Decimal("0E-10") would not parse back
        else:
            text = str(value)
        return f"{direction}{text}_{seal(row.pk)}"

    @classmethod
    def parse(cls, text, field=None):
        """The cursor in `text` for an order by this model field (None: created_at), or None
        when it is not one."""
        if field is not None and field.name != "created_at":
            return cls._parse_value(text, field)
        match = CURSOR_RE.match(text or "")
        if not match:
            return None
        direction, micros, sealed = match.groups()
        pk = unseal(sealed)
        if pk is None:
            return None
        try:
            # Integer arithmetic: a float timestamp could be a microsecond off, and the
            # cursor must land exactly on the row it came from.
            when = EPOCH + dt.timedelta(microseconds=int(micros))
        except OverflowError:
            return None
        if pk > MAX_WHOLE_NUMBER:
            return None
        return cls(direction, when, pk)

    @classmethod
    def _parse_value(cls, text, field):
        match = SORTED_CURSOR_RE.match(text or "")
        if not match:
            return None
        direction, value, sealed = match.groups()
        pk = unseal(sealed)
        if pk is None or pk > MAX_WHOLE_NUMBER:
            return None
        if value == "u":
            return cls(direction, None, pk) if field.null else None
        try:
            key = field.to_python(value)  # a Decimal, or an int (no fraction allowed)
        except ValidationError:
            return None
        # Beyond 2**63 - 1 SQLite has no integer to compare it with (a 500, not a position).
        if isinstance(key, int) and abs(key) > MAX_WHOLE_NUMBER:
            return None
        return cls(direction, key, pk)


class CursorField(forms.CharField):
    """A Cursor for an order by `sort_field` (a model field; None: created_at)."""

    def __init__(self, *args, sort_field=None, **kwargs):
        self.sort_field = sort_field
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        cursor = Cursor.parse(value, self.sort_field)
        if cursor is None:
            raise forms.ValidationError(
                _("This page link is not valid; start from the first page.")
            )
        return cursor
