"""Daily range partitions by created_at, on PostgreSQL, for the tables that grow with every
generation: generations and the rows written per generation (stages, ratings, search text).

Why daily: retention is counted in days (LOG_RETENTION_DAYS), so a day's partition is the
unit a prune drops whole, with no row-by-row DELETE and no dead tuples. A day is also
small enough (~330k generations at 10M a month) that its indexes stay in memory while it is
written, and few enough partitions (30 to 400 for a month to a year) that planning stays
cheap. All four tables share the same bounds, so a day leaves them together.

A partition is created on demand by ingestion, before its transaction, for every day a
batch touches, whatever its createdAt; and ahead of time by `create_partitions`. There is no
DEFAULT partition: a row for a day in it would stop that day's partition from ever being
attached. New partitions are made with CREATE TABLE ... LIKE and then ATTACH PARTITION,
which takes only a SHARE UPDATE EXCLUSIVE lock on the parent: reads and writes of the
other days go on meanwhile (CREATE TABLE ... PARTITION OF would take an exclusive lock).

SQLite has no partitions: everything here does nothing there.
"""

import threading
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

# Parent tables, in the order partitions are created and dropped.
TABLES = ("logs_generation", "logs_stagepayload", "billing_rating", "logs_searchtext")

# Takes the creators of partitions one at a time, across processes (a hash of our name).
_LOCK = 0x7A656E6C6F6773

_known = set()
_known_lock = threading.Lock()


def enabled(using=None):
    return connection.vendor == "postgresql"


def partition_name(table, day):
    return f"{table}_p{day:%Y%m%d}"


def day_of(moment):
    return moment.astimezone(UTC).date()


def _bounds(day):
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _existing_parents(cursor):
    cursor.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'p' AND c.relname = ANY(%s)",
        [list(TABLES)],
    )
    found = {row[0] for row in cursor.fetchall()}
    return [name for name in TABLES if name in found]


def forget():
    """Drops what this process knows exists: after a prune dropped partitions, or when an
    insert found none for its day."""
    with _known_lock:
        _known.clear()


def ensure(days):
    """Every partitioned table has a partition for each of these days (dates, UTC).

    Cheap when they exist: what this process has seen committed is remembered, and what it
    has not is one catalog query. Creation is serialised by an advisory lock, so concurrent
    writers never race to create the same table. Inside a caller's transaction (tests, a
    command in atomic()) the new partitions commit or roll back with it, so they are only
    remembered once created outside one."""
    if not enabled():
        return
    days = set(days)
    with _known_lock:
        missing = days - _known
    if not missing:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        parents = _existing_parents(cursor)
        if not parents:
            return  # migrations have not partitioned the tables yet
        wanted = {partition_name(t, d): (t, d) for t in parents for d in missing}
        present = _present(cursor, wanted)
        if len(present) < len(wanted):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            present = _present(cursor, wanted)  # another process may have made them
            for name in sorted(set(wanted) - present):
                create_partition(cursor, *wanted[name])
    if not connection.in_atomic_block:
        with _known_lock:
            _known.update(missing)


def _present(cursor, wanted):
    cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [list(wanted)])
    return {row[0] for row in cursor.fetchall()}


def create_partition(cursor, table, day):
    quote = connection.ops.quote_name
    name = partition_name(table, day)
    start, end = _bounds(day)
    # LIKE copies columns, defaults, NOT NULL and CHECK constraints, storage and lz4
    # compression; ATTACH then adds the parent's primary key and indexes to the empty table.
    cursor.execute(
        f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)"
    )
    # The CHECK matching the bounds lets ATTACH skip scanning the table for rows outside them.
    cursor.execute(
        f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(name + '_bounds')} "
        "CHECK (created_at >= %s AND created_at < %s)",
        [start, end],
    )
    cursor.execute(
        f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} FOR VALUES FROM (%s) TO (%s)",
        [start, end],
    )
    cursor.execute(f"ALTER TABLE {quote(name)} DROP CONSTRAINT {quote(name + '_bounds')}")


def days_between(first, last):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def partitions(table):
    """(name, day) of the table's partitions, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    prefix = f"{table}_p"
    found = []
    for name in names:
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            found.append((name, date(*_ymd(name[len(prefix) :]))))
    return sorted(found, key=lambda item: item[1])


def _ymd(digits):
    return int(digits[:4]), int(digits[4:6]), int(digits[6:8])


def drop_before(day):
    """Detaches and drops every partition of every table whose whole day is before `day`.
    Returns (days dropped, generations they held). DETACH ... CONCURRENTLY blocks no writer
    of other days (it cannot run in a transaction, so neither can this); the DROP then
    frees the day's files at once: no DELETE, no dead tuples, no VACUUM."""
    if not enabled():
        return [], 0
    quote = connection.ops.quote_name
    # Inside a transaction (a test's) only the plain DETACH can run; it locks the parent
    # exclusively until that transaction ends.
    how = "" if connection.in_atomic_block else " CONCURRENTLY"
    dropped = set()
    generations = 0
    with connection.cursor() as cursor:
        for table in _existing_parents(cursor):
            for name, partition_day in partitions(table):
                if partition_day >= day:
                    continue
                if table == TABLES[0]:
                    # Counted for the report: a day's rows off its primary key, cheap.
                    cursor.execute(f"SELECT count(*) FROM {quote(name)}")  # noqa: S608
                    generations += cursor.fetchone()[0]
                cursor.execute(f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(name)}{how}")
                cursor.execute(f"DROP TABLE {quote(name)}")
                dropped.add(partition_day)
    forget()
    return sorted(dropped), generations
