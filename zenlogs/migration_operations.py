"""Migration operations Django does not have."""

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
