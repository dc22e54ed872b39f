# Storage per generation (bench/README.md, "Storage per generation"): bytes a generation costs
# on disk that nothing needed. Measured with bench/storage.py at 1,000,000 generations.

import django.db.models.deletion
import zenlogs.jsonutil
from django.db import migrations, models

from zenlogs.migration_operations import SetCompression


class Migration(migrations.Migration):

    dependencies = [
        ('logs', '0006_bad_token_minute'),
    ]

    operations = [
        # Written at ingestion and read by nothing (no view, export, admin or query): 8 bytes
        # of every generation row. On PostgreSQL DROP COLUMN rewrites nothing; rows written
        # from now on are 8 bytes shorter.
        migrations.RemoveField(
            model_name='generation',
            name='ingested_at',
        ),
        # NULL instead of '{}' when a record has no unknown fee items or metadata keys, which
        # is nearly always: '{}' as jsonb is 5 bytes plus alignment, NULL a bit in the null
        # bitmap every row already has (13 bytes a row together). Every reader treats None as
        # {} (fee_tokens, to_raw_metadata), so the raw metadata round-trips unchanged; rows
        # already stored with '{}' read the same and are left as they are.
        migrations.AlterField(
            model_name='generation',
            name='other_fee_tokens',
            field=models.JSONField(blank=True, decoder=zenlogs.jsonutil.DecimalJSONDecoder, encoder=zenlogs.jsonutil.DecimalJSONEncoder, null=True),
        ),
        migrations.AlterField(
            model_name='generation',
            name='extra_metadata',
            field=models.JSONField(blank=True, decoder=zenlogs.jsonutil.DecimalJSONDecoder, encoder=zenlogs.jsonutil.DecimalJSONEncoder, null=True),
        ),
        # The account's own index duplicated the leading column of unique_facet and
        # unique_rollup (account, ...), which serve every lookup and cascade by account.
        migrations.AlterField(
            model_name='facet',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='facets', to='billing.account'),
        ),
        migrations.AlterField(
            model_name='hourlyrollup',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='rollups', to='billing.account'),
        ),
        # lz4 instead of pglz (PostgreSQL's default) for the columns that hold whole payloads.
        # PostgreSQL compresses a value only once its row passes ~2 KB (a fifth of the demo's
        # stage rows); then lz4 costs far less CPU than pglz (400,000 demo stage rows written
        # in 3.5 s instead of 5.2 s) for about the same size (compressed bodies 1.1% larger),
        # and still reads a prefix without decompressing the rest (the details page's substr).
        # PostgreSQL only, and only where the server has lz4; values already stored keep pglz.
        SetCompression('stagepayload', ['body', 'headers'], 'lz4'),
        SetCompression('generation', ['native_tokens', 'extra_metadata'], 'lz4'),
    ]
