"""Migration operations Django does not have."""

from datetime import timedelta

from django.db import migrations


class SetCompression(migrations.operations.base.Operation):
    """ALTER TABLE ... ALTER COLUMN ... SET COMPRESSION method, on PostgreSQL only: other
    databases (SQLite) have no column compression, and there it does nothing. Values already
    stored keep their compression; only values written afterwards use the new one. Reversing
    sets the columns back to the server's default_toast_compression."""

    reversible = True

    def __init__(self, model_name, columns, method):
        self.model_name = model_name
        self.columns = columns
        self.method = method

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.columns, self.method], {}

    def state_forwards(self, app_label, state):
        pass  # compression is not part of Django's model state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._set(schema_editor, to_state.apps.get_model(app_label, self.model_name), self.method)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._set(schema_editor, to_state.apps.get_model(app_label, self.model_name), "default")

    def describe(self):
        return f"Set {self.method} compression on {self.model_name}: {', '.join(self.columns)}"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_compression"

    def _set(self, schema_editor, model, method):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or not _supports(connection, method):
            return
        quote = schema_editor.quote_name
        alters = ", ".join(
            f"ALTER COLUMN {quote(model._meta.get_field(name).column)} SET COMPRESSION {method}"
            for name in self.columns
        )
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} {alters}")


def _supports(connection, method):
    """Whether this server was built with the method (lz4 is a build option). Without it the
    columns keep the default, pglz: compression is a saving, never a reason to fail."""
    if method == "default":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
            [method],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


class PartitionByTime(migrations.operations.base.Operation):
    """Turns a table into one range-partitioned by created_at, one partition per day, on
    PostgreSQL only (SQLite stays a plain table; the model state does not change).

    The rows move into a new partitioned table: created with LIKE the old one (columns,
    defaults, identity, CHECK constraints, storage, compression), one partition per day the
    rows span plus the days just ahead, then filled, and only then given its primary key and
    the old table's other indexes (each built once per partition after the copy, which is
    faster than maintaining them row by row). A partitioned table's primary key and unique
    indexes must contain the partition key, so `primary_key` names the new key's columns
    and `replaces` the unique constraints (name: columns) it stands in for; the first of
    those names is given to the new primary key. Reversing moves the rows back into a plain
    table with `original_primary_key` and the replaced constraints."""

    reversible = True
    atomic = True

    def __init__(self, table, primary_key, original_primary_key, replaces=None):
        self.table = table
        self.primary_key = list(primary_key)
        self.original_primary_key = list(original_primary_key)
        self.replaces = dict(replaces or {})

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [self.table, self.primary_key, self.original_primary_key],
            {"replaces": self.replaces},
        )

    def state_forwards(self, app_label, state):
        pass  # partitioning is not part of Django's model state

    def describe(self):
        return f"Partition {self.table} by day of created_at (PostgreSQL)"

    @property
    def migration_name_fragment(self):
        return f"partition_{self.table}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        from zenlogs import partitions

        with schema_editor.connection.cursor() as cursor:
            old = f"{self.table}_unpartitioned"
            indexes = _move_aside(cursor, self.table, old, set(self.replaces))
            _execute(
                cursor,
                f'CREATE TABLE "{self.table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
                "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION) "
                "PARTITION BY RANGE (created_at)",
            )
            # A partition for each day that has rows (not every day between the oldest and
            # the newest: one stray old record would make hundreds of empty ones), and the
            # days around today.
            cursor.execute(
                "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date "  # noqa: S608
                f'FROM "{old}"'
            )
            days = {row[0] for row in cursor.fetchall()}
            today = partitions.day_of(_now())
            days.update(
                partitions.days_between(today - timedelta(days=1), today + timedelta(days=7))
            )
            for day in sorted(days):
                partitions.create_partition(cursor, self.table, day)
            _execute(cursor, f'INSERT INTO "{self.table}" SELECT * FROM "{old}"')  # noqa: S608
            _restart_identity(cursor, self.table, old)
            name = next(iter(self.replaces), f"{self.table}_pkey")
            columns = ", ".join(f'"{c}"' for c in self.primary_key)
            _execute(
                cursor,
                f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{name}" PRIMARY KEY ({columns})',
            )
            for definition in indexes:
                _execute(cursor, definition)
            _execute(cursor, f'DROP TABLE "{old}"')
        partitions.forget()

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        from zenlogs import partitions

        with schema_editor.connection.cursor() as cursor:
            old = f"{self.table}_partitioned"
            pk_name = next(iter(self.replaces), f"{self.table}_pkey")
            indexes = _move_aside(cursor, self.table, old, {pk_name})
            _execute(
                cursor,
                f'CREATE TABLE "{self.table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
                "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)",
            )
            _execute(cursor, f'INSERT INTO "{self.table}" SELECT * FROM "{old}"')  # noqa: S608
            _restart_identity(cursor, self.table, old)
            columns = ", ".join(f'"{c}"' for c in self.original_primary_key)
            _execute(
                cursor,
                f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.table}_pkey" '
                f"PRIMARY KEY ({columns})",
            )
            for name, unique in self.replaces.items():
                columns = ", ".join(f'"{c}"' for c in unique)
                _execute(
                    cursor, f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{name}" UNIQUE ({columns})'
                )
            for definition in indexes:
                _execute(cursor, definition)
            _execute(cursor, f'DROP TABLE "{old}" CASCADE')
        partitions.forget()


def _now():
    from django.utils import timezone

    return timezone.now()


def _execute(cursor, sql):
    cursor.execute(sql)


def _move_aside(cursor, table, new_name, replaced):
    """Renames the table and drops its constraints' and indexes' (so their names are free
    for the new table, and the copy out of it maintains none). Returns the CREATE INDEX
    statements of its plain indexes, to run on the new table: a unique one that is not
    among `replaced` (or the primary key) cannot move to a differently keyed table."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), x.indisunique, x.indisprimary, "
        "(SELECT conname FROM pg_constraint WHERE conindid = i.oid AND conrelid = t.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = %s",
        [table],
    )
    statements = []
    for name, definition, unique, primary, constraint in cursor.fetchall():
        if primary or constraint in replaced or name in replaced:
            pass
        elif unique:
            raise ValueError(f"{table}: unique index {name} would not survive partitioning")
        else:
            statements.append(definition.replace(" ON ONLY ", " ON "))
    _execute(cursor, f'ALTER TABLE "{table}" RENAME TO "{new_name}"')
    cursor.execute(
        "SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = %s AND c.contype IN ('p', 'u')",
        [new_name],
    )
    for (constraint,) in cursor.fetchall():
        _execute(cursor, f'ALTER TABLE "{new_name}" DROP CONSTRAINT "{constraint}"')
    cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [new_name])
    for (index,) in cursor.fetchall():
        _execute(cursor, f'DROP INDEX "{index}"')
    return statements


def _restart_identity(cursor, table, source):
    """The new table's identity (LIKE ... INCLUDING IDENTITY gives it a sequence of its own)
    goes on from where the old one's stood, so no id is ever handed out twice."""
    cursor.execute(
        "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = %s AND a.attidentity <> ''",
        [table],
    )
    for (column,) in cursor.fetchall():
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s), pg_get_serial_sequence(%s, %s)",
            [table, column, source, column],
        )
        new, old = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {old}")  # noqa: S608
        last, called = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s, %s)", [new, last, called])
