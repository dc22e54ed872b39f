# Issue 10, section 4 (storage per generation): on PostgreSQL Django gives a varchar primary
# key a second index, "..._like" (varchar_pattern_ops), for LIKE 'prefix%' lookups outside
# the C locale. Nothing looks generation ids up by prefix: the registry is read by whole id
# only (ingest's duplicate check, the request_id filter, the details page). At 10M
# generations that second copy of every id cost ~0.4 GB and one more random-order index
# insert per ingested record. Dropped by lookup, since Django derives its name from a hash.

from django.db import migrations

FIND = """
    SELECT indexname FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = 'logs_generationkey'
      AND indexdef LIKE '%%varchar_pattern_ops%%'
"""


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FIND)
        for (name,) in cursor.fetchall():
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS logs_generationkey_generation_id_like "
        "ON logs_generationkey (generation_id varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("logs", "0011_partitions")]

    operations = [migrations.RunPython(drop_like_index, create_like_index, elidable=True)]
