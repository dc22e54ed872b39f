import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import CASCADE
from django.utils import timezone

from billing.models import Account
from logs.models import Facet, Generation
from zenlogs import partitions

BATCH = 2000
MAX_DAYS = 36_500


class Command(BaseCommand):
    help = (
        "Removes generations older than --older-than DAYS (default: LOG_RETENTION_DAYS) with "
        "their stages, ratings and search text. On PostgreSQL whole days go by dropping their "
        "partitions; only the day the cutoff falls in is deleted row by row, in small "
        "batches so no lock is held for long. Then drops the filter choices last seen "
        "before the cutoff's day. The money trail stays: charges, ledger lines, the hourly "
        "rollups behind billing usage, and the registry of generation ids, so a record sent "
        "again is still a duplicate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, dest="days", metavar="DAYS")
        parser.add_argument("--batch-size", type=int, default=BATCH)
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="seconds to sleep between batches, to yield to ingestion",
        )

    def handle(self, *args, days, batch_size, pause, **options):
        days = days if days is not None else settings.LOG_RETENTION_DAYS
        if not days or days < 1:
            raise CommandError(
                "--older-than: give a number of days >= 1 (LOG_RETENTION_DAYS is off)"
            )
        if days > MAX_DAYS:
            # Any more and the cutoff falls before anything storable (1970), or out of
            # Python's dates altogether.
            raise CommandError(f"--older-than: give at most {MAX_DAYS} days")
        cutoff = timezone.now() - timedelta(days=days)
        batches = 0
        started = time.monotonic()
        # Every day that ends before the cutoff is a partition to drop: no DELETE, so no dead
        # tuples, and done in a moment whatever the day held. What is left before the
        # cutoff is part of one day, deleted below by rows.
        dropped, deleted = partitions.drop_before(partitions.day_of(cutoff))
        # Account by account, so each batch is a range scan of the (account, created_at)
        # index rather than a scan of the whole table for old rows.
        for account_id in Account.objects.order_by("id").values_list("id", flat=True):
            count, n = self._prune(account_id, cutoff, batch_size, pause)
            deleted += count
            batches += n
        facets = drop_unused_facets(partitions.day_of(cutoff))
        dropped_text = (
            f"Dropped {len(dropped)} daily partitions ({dropped[0]} to {dropped[-1]}); "
            if dropped
            else ""
        )
        self.stdout.write(
            f"{dropped_text}Pruned {deleted} generations older than {days} days "
            f"(before {cutoff:%Y-%m-%d %H:%M} UTC) in {batches} batches, "
            f"and {facets} filter choices no longer used, "
            f"{time.monotonic() - started:.1f}s."
        )

    def _prune(self, account_id, cutoff, batch_size, pause):
        deleted = batches = 0
        while True:
            # One short transaction per batch: a generation goes with its stages and rating
            # (Django's cascade). Its charge and ledger lines are DO_NOTHING and stay, and so
            # do the rollups: /billing/ and /billing/usage/ read the same before and after.
            with transaction.atomic():
                ids = list(
                    Generation.objects.filter(account_id=account_id, created_at__lt=cutoff)
                    .order_by("created_at", "id")
                    .values_list("id", flat=True)[:batch_size]
                )
                if not ids:
                    return deleted, batches
                _delete(account_id, cutoff, ids)
            deleted += len(ids)
            batches += 1
            if pause:
                time.sleep(pause)


def _delete(account_id, cutoff, ids):
    """A generation goes with the rows written for it. Each delete names the account and the
    time bound as well as the ids, so on PostgreSQL it reads only the partitions before the
    cutoff (Django's cascade would look the ids up in every partition of each table)."""
    where = {"account_id": account_id, "created_at__lt": cutoff}
    for model in per_generation_models():
        model.objects.filter(**where, generation_id__in=ids).delete()
    # Raw: what the cascade would remove is gone, and charges and ledger lines stay
    # (DO_NOTHING), so there is nothing left for Django to collect.
    found = Generation.objects.filter(**where, id__in=ids)
    found._raw_delete(found.db)


def per_generation_models():
    """The models whose rows are written per generation and leave with it."""
    return [
        related.related_model
        for related in Generation._meta.related_objects
        if related.on_delete is CASCADE and related.related_model is not Generation
    ]


def drop_unused_facets(day):
    """Drops the filter choices (models, providers, finish reasons) last seen before `day`,
    the cutoff's: every generation with them was created before it, so is gone after the
    prune. One statement on the facets' last_seen index, not an anti-join with the
    generations per kind and account, which reads every partition without statistics
    (bench/README.md, "Prune at 10M without anti-joins"). A facet whose last generations
    fall on the cutoff's day itself stays until the next day's prune.

    On PostgreSQL the rows go in a locking read that skips those an ingest batch is
    refreshing: that batch is moving their day forward, and waiting on it, with the batch
    waiting on a row locked here, could deadlock."""
    table = connection.ops.quote_name(Facet._meta.db_table)
    day = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {table} AS f USING ("  # noqa: S608
                f"SELECT id, account_id FROM {table} WHERE last_seen < %s "
                "FOR UPDATE SKIP LOCKED) AS old "
                "WHERE f.id = old.id AND f.account_id = old.account_id",
                [day],
            )
        else:
            cursor.execute(f"DELETE FROM {table} WHERE last_seen < %s", [day])  # noqa: S608
        return cursor.rowcount
