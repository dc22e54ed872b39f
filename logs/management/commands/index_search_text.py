import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from billing.models import Account
from logs.ingest import analyze_ingested_tables
from logs.listing.exports import chunks
from logs.models import Generation, SearchText, StagePayload
from logs.search import ROW_FIELDS, search_row
from zenlogs.bulk import insert_rows

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Extracts the searchable message text (the log list's q) of generations stored "
        "before search existed, or all of them again with --rebuild, in small batches, each "
        "its own transaction. Ingestion indexes new generations itself; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", help="only this account (its external id)")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="extract every generation's text again (after the parsers changed)",
        )
        parser.add_argument("--batch-size", type=int, default=CHUNK)

    def handle(self, *args, account, rebuild, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be >= 1")
        accounts = Account.objects.order_by("id")
        if account is not None:
            accounts = accounts.filter(external_id=account)
            if not accounts.exists():
                raise CommandError(f"--account: no account {account!r}")
        started = time.monotonic()
        seen = written = 0
        progress = tqdm(
            unit=" gen", unit_scale=True, disable=options["verbosity"] == 0, file=sys.stderr
        )
        with progress:
            for account_id in accounts.values_list("id", flat=True):
                generations = Generation.objects.filter(account_id=account_id).only(
                    "id", "account_id", "created_at"
                )
                for rows in chunks(generations, size=batch_size):
                    written += _index(account_id, rows, rebuild)
                    seen += len(rows)
                    progress.update(len(rows))
        if written:
            analyze_ingested_tables()
        self.stdout.write(
            f"Indexed the text of {written} of {seen} generations "
            f"in {time.monotonic() - started:.1f}s."
        )


def _index(account_id, generations, rebuild):
    """Search rows for the batch's generations that have none (all of them on a rebuild);
    a generation without message text gets none. Returns how many were written."""
    times = [g.created_at for g in generations]
    window = {
        "account_id": account_id,
        "created_at__gte": min(times),
        "created_at__lte": max(times),
    }
    ids = [g.pk for g in generations]
    with transaction.atomic():
        existing = SearchText.objects.filter(**window, generation_id__in=ids)
        if rebuild:
            existing.delete()
            missing = set(ids)
        else:
            missing = set(ids) - set(existing.values_list("generation_id", flat=True))
        if not missing:
            return 0
        stages = {}
        payloads = StagePayload.objects.filter(**window, generation_id__in=missing).values_list(
            "generation_id", "stage", "body", "body_format", "truncated"
        )
        for pk, stage, body, body_format, truncated in payloads:
            stages.setdefault(pk, {})[stage] = (body, body_format, truncated)
        rows = []
        for generation in generations:
            if generation.pk in stages:
                row = search_row(
                    generation.pk, account_id, generation.created_at, stages[generation.pk]
                )
                if row is not None:
                    rows.append(row)
        insert_rows(SearchText, ROW_FIELDS, rows)
        return len(rows)
