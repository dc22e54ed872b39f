"""Bytes on disk per generation, for every table the ingest path writes.

    DATABASE_URL=postgres://... python bench/storage.py [--columns]

For each table: heap (main fork), TOAST (its table and index), indexes (each one too) and
the total, in MB and in bytes per stored generation. `--columns` adds each column's average
stored size (pg_column_size, compressed where PostgreSQL compressed it) over a sample of rows,
to show where a row's bytes go. Run it after VACUUM (ANALYZE) or a fresh load, so the sizes
are those of the rows themselves rather than of dead tuples. PostgreSQL only.
"""

import argparse
import sys

import _setup  # noqa: F401, I001 - sets Django up; must come first
from django.db import connection  # noqa: E402

from billing.models import Charge, LedgerEntry, Rating  # noqa: E402
from logs.models import Facet, Generation, HourlyRollup, StagePayload  # noqa: E402

TABLES = (Generation, StagePayload, Rating, Charge, LedgerEntry, HourlyRollup, Facet)
SAMPLE_ROWS = 20_000


def _sizes(cursor, table):
    """(heap, toast, indexes, {index: bytes}, total) of one table, in bytes. Heap is pg_table_size
    less the TOAST table (so it includes the small free-space and visibility maps), and the
    three add up to pg_total_relation_size (indexes: pg_indexes_size)."""
    cursor.execute(
        """
        SELECT pg_table_size(c.oid),
               CASE WHEN c.reltoastrelid = 0 THEN 0
                    ELSE pg_total_relation_size(c.reltoastrelid) END,
               pg_total_relation_size(c.oid)
        FROM pg_class c WHERE c.oid = %s::regclass
        """,
        [table],
    )
    table_size, toast, total = cursor.fetchone()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass ORDER BY 2 DESC",
        [table],
    )
    indexes = dict(cursor.fetchall())
    cursor.execute("SELECT pg_indexes_size(%s::regclass)", [table])
    index_total = cursor.fetchone()[0]
    return table_size - toast, toast, index_total, indexes, total


def _column_sizes(cursor, table):
    """[(column, average stored bytes, compression)] over a sample of the table's rows."""
    cursor.execute(
        "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    columns = cursor.fetchall()
    quote = connection.ops.quote_name
    averages = ", ".join(f"avg(pg_column_size({quote(name)}))" for name, _ in columns)
    cursor.execute(
        f"SELECT {averages} FROM (SELECT * FROM {quote(table)} LIMIT {SAMPLE_ROWS}) AS s"  # noqa: S608
    )
    row = cursor.fetchone()
    return [
        (name, avg or 0, compression) for (name, compression), avg in zip(columns, row, strict=True)
    ]


def _b(value, generations):
    return f"{value / generations:10.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--columns", action="store_true", help="average stored bytes per column, from a sample"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(f"bench/storage.py measures PostgreSQL; this database is {connection.vendor}.")
        return
    generations = Generation.objects.count()
    if not generations:
        print("No generations stored: load some first (manage.py load_demo --count N).")
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_toast_compression")
        default_compression = cursor.fetchone()[0]
        print(
            f"{connection.settings_dict['NAME']}: {generations:,} generations; "
            f"default_toast_compression={default_compression}"
        )
        print(
            f"{'table':<22}{'rows':>11}{'heap MB':>10}{'toast MB':>10}{'index MB':>10}"
            f"{'total MB':>10}   bytes per generation: heap, toast, indexes, total"
        )
        grand = [0, 0, 0, 0]
        details = []
        for model in TABLES:
            table = model._meta.db_table
            heap, toast, index_total, indexes, total = _sizes(cursor, table)
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = cursor.fetchone()[0]
            for i, value in enumerate((heap, toast, index_total, total)):
                grand[i] += value
            mb = [f"{v / 1e6:10.1f}" for v in (heap, toast, index_total, total)]
            per = [_b(v, generations) for v in (heap, toast, index_total, total)]
            print(f"{table:<22}{rows:>11,}{''.join(mb)}  {' '.join(per)}")
            details.append((table, indexes))
        mb = [f"{v / 1e6:10.1f}" for v in grand]
        per = [_b(v, generations) for v in grand]
        print(f"{'all seven':<22}{'':>11}{''.join(mb)}  {' '.join(per)}")

        print("\nindexes (bytes per generation)")
        for table, indexes in details:
            for name, size in indexes.items():
                print(f"  {table + '.' + name.split('.')[-1]:<60}{_b(size, generations)}")

        if args.columns:
            print(f"\ncolumns: average stored bytes per row (first {SAMPLE_ROWS:,} rows)")
            for model in TABLES:
                table = model._meta.db_table
                sizes = _column_sizes(cursor, table)
                shown = ", ".join(
                    f"{name} {avg:.1f}" + (f" [{c}]" if c else "") for name, avg, c in sizes
                )
                print(f"  {table}: {shown}")


if __name__ == "__main__":
    sys.exit(main())
