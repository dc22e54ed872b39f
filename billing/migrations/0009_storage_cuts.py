# Storage per generation (bench/README.md): lz4 for the rating's JSON columns, as for the
# stage payloads in logs 0007. A rating's details are ~650 bytes, so a row rarely reaches the
# ~2 KB at which PostgreSQL compresses; when one does (many fee items, large extra keys), lz4
# costs far less CPU than pglz for about the same size. PostgreSQL only; nothing on SQLite.

from django.db import migrations

from zenlogs.migration_operations import SetCompression


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_money_trail_outlives_logs'),
    ]

    operations = [
        SetCompression('rating', ['details', 'extra'], 'lz4'),
    ]
