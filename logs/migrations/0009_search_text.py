# The log list's text search (q): one row of message text per generation (logs.SearchText),
# and the index each database searches it with. Existing generations get their rows from
# `manage.py index_search_text` (README, "Text search"); this migration writes none, so it
# stays quick on a large table.

import django.db.models.deletion
from django.db import migrations, models

from zenlogs.migration_operations import SetCompression

# PostgreSQL: pg_trgm's GIN index serves `folded LIKE '%term%'` for terms of 3 characters and
# more (trigrams of CJK text included); pg_trgm is a trusted extension, so the database's
# owner may create it.
PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_text_trgm ON logs_searchtext USING gin (folded gin_trgm_ops)",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS search_text_trgm"]

# SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34+), indexing logs_searchtext's
# folded column without a copy of it (external content, rowid = generation_id). Triggers keep
# it in step with every insert, delete (cascades and prunes included) and update. folded is
# lowercased already, so the tokenizer is case-sensitive: both databases then match exactly
# the same substrings.
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE logs_searchtext_fts USING fts5(folded, content='logs_searchtext', "
    "content_rowid='generation_id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER logs_searchtext_fts_insert AFTER INSERT ON logs_searchtext BEGIN "
    "INSERT INTO logs_searchtext_fts(rowid, folded) VALUES (new.generation_id, new.folded); END",
    "CREATE TRIGGER logs_searchtext_fts_delete AFTER DELETE ON logs_searchtext BEGIN "
    "INSERT INTO logs_searchtext_fts(logs_searchtext_fts, rowid, folded) "
    "VALUES ('delete', old.generation_id, old.folded); END",
    "CREATE TRIGGER logs_searchtext_fts_update AFTER UPDATE ON logs_searchtext BEGIN "
    "INSERT INTO logs_searchtext_fts(logs_searchtext_fts, rowid, folded) "
    "VALUES ('delete', old.generation_id, old.folded); "
    "INSERT INTO logs_searchtext_fts(rowid, folded) VALUES (new.generation_id, new.folded); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS logs_searchtext_fts_update",
    "DROP TRIGGER IF EXISTS logs_searchtext_fts_delete",
    "DROP TRIGGER IF EXISTS logs_searchtext_fts_insert",
    "DROP TABLE IF EXISTS logs_searchtext_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("logs", "0008_sort_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                (
                    "generation",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_text",
                        serialize=False,
                        to="logs.generation",
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("text", models.TextField()),
                ("folded", models.TextField()),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="billing.account",
                    ),
                ),
            ],
        ),
        # Most rows pass ~2 KB (PostgreSQL's compression threshold) only with long
        # conversations; lz4 then costs less CPU than pglz, as for the stage bodies (0007).
        SetCompression("searchtext", ["text", "folded"], "lz4"),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
