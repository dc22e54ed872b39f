"""Fast multi-row writes for ingestion. On PostgreSQL rows go in with COPY, which is several
times faster than INSERT with bound parameters for thousands of rows; SQLite takes them
through executemany. Rows are tuples of Python values in `field_names` order (JSON fields as
Python objects); each backend's adaptation happens here."""

import functools

import msgspec
import psycopg
from django.db import connection, transaction
from django.db.models import JSONField

# JSON columns go to PostgreSQL as text; Decimals as the numbers they are, never floats.
_JSON = msgspec.json.Encoder(decimal_format="number")


def _fields(model, field_names):
    return [model._meta.get_field(name) for name in field_names]


# Binary COPY: PostgreSQL reads each value as its length and bytes, instead of scanning
# every byte of kilobyte-long bodies for delimiters and escapes and parsing numbers and
# times from text (half the time per stage row, measured). psycopg writes the binary forms
# in C; the type names here choose its writers, by the columns' database types.
_BINARY_TYPES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "varchar": "text",
    "text": "text",
    "numeric": "numeric",
    "timestamp with time zone": "timestamptz",
    "boolean": "bool",
    # jsonb's binary form is a version byte (1) and then the JSON text: written as bytes.
    "jsonb": "bytea",
}


@functools.cache
def _binary_types(fields):
    """psycopg type names for binary COPY into these fields (a tuple), or None if one is not
    known. Remembered: asking each field its database type took milliseconds a COPY."""
    types = []
    for field in fields:
        db_type = (field.db_type(connection) or "").split("(")[0].strip()
        if db_type not in _BINARY_TYPES:
            return None
        types.append(_BINARY_TYPES[db_type])
    return types


def _encoded_rows(fields, rows, binary):
    """The rows with JSON columns encoded: jsonb's binary form, or text. Only those columns
    are touched: this runs for every row of every batch."""
    json_columns = [(i, f.null) for i, f in enumerate(fields) if isinstance(f, JSONField)]
    if not json_columns:
        yield from rows
        return
    encode = _JSON.encode
    for row in rows:
        row = list(row)
        for i, nullable in json_columns:
            value = row[i]
            if value is not None or not nullable:
                row[i] = b"\x01" + encode(value) if binary else encode(value).decode()
        yield row


def _copy_in(cursor, table, fields, rows):
    """COPY rows into table: binary where every column type is known, else text."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    types = _binary_types(tuple(fields))
    sql = f"COPY {quote(table)} ({columns}) FROM STDIN"
    if types is not None:
        sql += " (FORMAT BINARY)"
    with cursor.cursor.copy(sql) as copy:
        if types is not None:
            copy.set_types(types)
        write = copy.write_row
        for row in _encoded_rows(fields, rows, binary=types is not None):
            write(row)


def _staged(cursor, model, fields, rows, staging):
    """Rows COPYed into a temporary table shaped like the model's columns, for one statement
    that COPY cannot do itself (skip conflicts, add, update). The caller truncates it."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(staging)} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT {columns} FROM {quote(model._meta.db_table)} WITH NO DATA"
    )
    _copy_in(cursor, staging, fields, rows)


def _sqlite_row(fields, row):
    return tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))


def insert_rows(model, field_names, rows):
    """Appends rows to the model's table (no conflict handling: callers insert rows that are
    new by construction)."""
    if not rows:
        return
    fields = _fields(model, field_names)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_in(cursor, model._meta.db_table, fields, rows)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                [_sqlite_row(fields, row) for row in rows],
            )


def insert_ignoring_conflicts(model, field_names, rows, conflict_field, returning):
    """INSERT ... ON CONFLICT (conflict_field) DO NOTHING RETURNING returning.
    Returns the (returning) tuples of the rows this call inserted."""
    if not rows:
        return []
    fields = _fields(model, field_names)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    back = ", ".join(quote(model._meta.get_field(n).column) for n in returning)
    conflict = quote(model._meta.get_field(conflict_field).column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if set(returning) <= set(field_names) and _copy_if_all_new(cursor, model, fields, rows):
                at = [list(field_names).index(name) for name in returning]
                return [tuple(row[i] for i in at) for row in rows]
            # COPY cannot skip conflicts itself: stage the rows in a temporary table and move
            # them in one statement that can.
            _staged(cursor, model, fields, rows, "_ingest_stage")
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _ingest_stage "  # noqa: S608
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {back}"
            )
            inserted = cursor.fetchall()
            cursor.execute("TRUNCATE _ingest_stage")
            return inserted
        inserted = []
        # SQLite allows 32766 parameters a statement; stay well below it.
        chunk = max(1, 20000 // len(fields))
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), chunk):
            batch = rows[start : start + chunk]
            params = [v for row in batch for v in _sqlite_row(fields, row)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(batch))
                + f" ON CONFLICT ({conflict}) DO NOTHING RETURNING {back}",
                params,
            )
            inserted.extend(cursor.fetchall())
        return inserted


def _copy_if_all_new(cursor, model, fields, rows):
    """The usual case, where no row is stored yet: COPY straight into the table, inside a
    savepoint. Returns whether it did; when any row conflicted nothing of the attempt is
    left behind. (Staging every batch in a temporary table to skip conflicts wrote and read
    each row twice.)"""
    savepoint = transaction.savepoint()
    try:
        _copy_in(cursor, model._meta.db_table, fields, rows)
    except psycopg.errors.UniqueViolation:
        # Some were stored already (a retried or concurrent batch): the caller's
        # INSERT ... ON CONFLICT DO NOTHING sorts out which.
        transaction.savepoint_rollback(savepoint)
        return False
    transaction.savepoint_commit(savepoint)
    return True


def next_ids(model, count):
    """`count` new primary key values for the model, in order, before its rows are written
    (so rows written with them can be referred to by id in the same statement batch).
    PostgreSQL draws them from the table's sequence. SQLite takes them after the table's
    AUTOINCREMENT counter, which is safe because its writers take the write lock at BEGIN
    (transaction_mode IMMEDIATE) and the inserts then move the counter past them."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        cursor.execute(
            f"SELECT max({connection.ops.quote_name(model._meta.pk.column)}) "  # noqa: S608
            f"FROM {connection.ops.quote_name(table)}"
        )
        top = max(row[0] if row else 0, cursor.fetchone()[0] or 0)
    return list(range(top + 1, top + 1 + count))


# Up to this many rows an upsert is one INSERT ... VALUES statement; past it, a COPY into a
# temporary table and one INSERT ... SELECT (four statements, but no query text the size of
# the rows). A batch's rollup rows are usually a few dozen.
_VALUES_ROWS = 500


def upsert_adding(model, key_names, sum_names, rows):
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET s = s + excluded.s for each sum column:
    concurrent writers add to a row instead of overwriting each other. Rows must be unique
    by key and sorted, so concurrent batches lock rows in one order and never deadlock."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = [*key_names, *sum_names]
    fields = _fields(model, names)
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    keys = ", ".join(quote(model._meta.get_field(n).column) for n in key_names)
    sums = [quote(model._meta.get_field(n).column) for n in sum_names]
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > _VALUES_ROWS:
            staging = f"_upsert_{model._meta.db_table}"
            _staged(cursor, model, fields, rows, staging)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
                f"ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {update}"
            )
            cursor.execute(f"TRUNCATE {staging}")
            return
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        chunk = max(1, 20000 // len(fields))
        for start in range(0, len(rows), chunk):
            batch = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(batch))
                + f" ON CONFLICT ({keys}) DO UPDATE SET {update}",
                [v for row in batch for v in _sqlite_row(fields, row)],
            )


def upsert_latest(model, key_names, field_names, latest_name, rows):
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET latest = excluded.latest WHERE the stored
    one is older: a row's `latest` (a date, say) only ever moves forward, whichever of two
    writers commits first; other fields are written only with a new row. Rows are tuples in
    (*key_names, *field_names, latest_name) order, unique by key and sorted, so concurrent
    writers lock rows in one order. For the few rows a batch has, where staging a COPY
    costs more than the statement."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = _fields(model, [*key_names, *field_names, latest_name])
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    keys = ", ".join(quote(f.column) for f in fields[: len(key_names)])
    latest = quote(fields[-1].column)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Below SQLite's 32,766 parameters a statement and PostgreSQL's 65,535.
    chunk = max(1, 20000 // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            batch = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(batch))
                + f" ON CONFLICT ({keys}) DO UPDATE SET {latest} = excluded.{latest}"
                f" WHERE {table}.{latest} < excluded.{latest}",
                [v for row in batch for v in _sqlite_row(fields, row)],
            )


def update_rows(model, field_names, rows, keys=None):
    """Sets field_names on rows of (*keys, *values); keys default to the primary key, and may
    add columns that let the database find the row faster (a partitioned table's account
    and created_at). Django's bulk_update writes a CASE per row, which gets slow at
    thousands of rows; this is one UPDATE ... FROM a COPY-filled temporary table on
    PostgreSQL, and executemany on SQLite."""
    if not rows:
        return
    quote = connection.ops.quote_name
    key_fields = _fields(model, keys) if keys else [model._meta.pk]
    n = len(key_fields)
    fields = [*key_fields, *_fields(model, field_names)]
    table = quote(model._meta.db_table)
    columns = [quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = f"_update_{model._meta.db_table}"
            _staged(cursor, model, fields, rows, staging)
            assignments = ", ".join(f"{c} = s.{c}" for c in columns[n:])
            match = " AND ".join(f"t.{c} = s.{c}" for c in columns[:n])
            params = []
            names = [f.name for f in key_fields]
            if "created_at" in names:
                # The rows' time span as constants: PostgreSQL then plans the UPDATE against
                # those days' partitions only, not a join with every partition of the table.
                at = names.index("created_at")
                match += f" AND t.{columns[at]} BETWEEN %s AND %s"
                params = [min(row[at] for row in rows), max(row[at] for row in rows)]
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
                f"WHERE {match}",
                params,
            )
            cursor.execute(f"TRUNCATE {staging}")
            return
        assignments = ", ".join(f"{c} = %s" for c in columns[n:])
        match = " AND ".join(f"{c} = %s" for c in columns[:n])
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {match}",  # noqa: S608
            [
                (*_sqlite_row(fields[n:], row[n:]), *_sqlite_row(fields[:n], row[:n]))
                for row in rows
            ],
        )
