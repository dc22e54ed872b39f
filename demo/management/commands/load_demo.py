import multiprocessing
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.utils import timezone
from tqdm import tqdm

from billing.models import Account, LedgerEntry, Membership, Role, Wallet
from billing.rating import PriceBook
from billing.settlement import credit
from demo.catalog import ACCOUNTS
from demo.records import SPEC_EXAMPLE_PATH, build_records, spec_example
from logs.ingest import (
    CREATED,
    DUPLICATE,
    REJECTED,
    analyze_ingested_tables,
    collector_paused,
    ingest,
)
from logs.models import ApiKey

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the point of a demo account
PROGRESS_FROM = 10_000  # records; smaller runs end before a progress bar would say anything
PARALLEL_FROM = 50_000  # records; below this, starting worker processes costs more than it saves


class Command(BaseCommand):
    help = (
        "Loads realistic demo generations for two accounts through the ingest path, and a "
        "console user demo / demo. Safe to run again: generation ids depend only on the seed, "
        "so a second run reports duplicates and stores nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3000, help="generations (default 3000)")
        parser.add_argument(
            "--days", type=int, default=30, help="spread over the last D days (default 30)"
        )
        parser.add_argument(
            "--without-payloads",
            action="store_true",
            help="skip the four stage payloads (for large benchmark loads)",
        )
        parser.add_argument(
            "--payload-share",
            type=float,
            default=1.0,
            help="the fraction of generations that carry the four stage payloads, e.g. 0.2 "
            "(default 1; --without-payloads is 0)",
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="records per ingest() call (default 2000)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="ingesting processes; PostgreSQL only (default: 2 from "
            f"{PARALLEL_FROM:,} records on, else 1)",
        )

    def handle(
        self,
        *args,
        count,
        days,
        without_payloads,
        payload_share,
        seed,
        batch_size,
        workers,
        **options,
    ):
        if count < 0 or seed < 0 or days < 1 or batch_size < 1 or (workers or 1) < 1:
            raise CommandError(
                "--count and --seed must be >= 0; --days, --batch-size, --workers >= 1"
            )
        if not 0 <= payload_share <= 1:
            raise CommandError("--payload-share must be between 0 and 1")
        workers = self._workers(workers, count)
        started = time.monotonic()
        now = timezone.now()
        # Funded just before the first record, so every charge has credits to draw on.
        self._set_up_accounts(count, funded_at=now - timedelta(days=days, minutes=2))

        with_payloads = not without_payloads
        example = None
        if count:
            # The spec's example takes the place of one generated record.
            example = spec_example(
                SPEC_EXAMPLE_PATH.read_text(), seed=seed, with_payloads=with_payloads
            )
        job = _Job(
            count - 1 if example else count,
            now,
            days,
            seed,
            with_payloads and payload_share > 0,
            payload_share,
        )
        ranges = [(i, min(i + batch_size, job.count)) for i in range(0, job.count, batch_size)]

        totals, rejections = Counter(), []
        progress = tqdm(
            total=count,
            unit=" gen",
            unit_scale=True,
            disable=count < PROGRESS_FROM or options["verbosity"] == 0,
            file=sys.stderr,
        )
        with progress:
            for statuses, rejected, size in self._run(job, ranges, workers, example):
                totals.update(statuses)
                rejections.extend(rejected)
                progress.update(size)
        if totals[CREATED]:
            # The console's first pages after the load should not wait for autovacuum.
            analyze_ingested_tables()

        elapsed = time.monotonic() - started
        rejected = f", {totals[REJECTED]} rejected" if totals[REJECTED] else ""
        self.stdout.write(
            f"Loaded {totals.total()} generations ({totals[CREATED]} created, "
            f"{totals[DUPLICATE]} duplicate{rejected}) for {len(ACCOUNTS)} accounts in "
            f"{elapsed:.1f}s; sign in as {DEMO_USER} / {DEMO_PASSWORD}"
        )
        if rejections:
            raise CommandError(f"demo records were rejected, first: {rejections[0]}")

    def _workers(self, requested, count):
        if connection.vendor != "postgresql":
            if requested and requested > 1:
                raise CommandError("--workers above 1 needs PostgreSQL")
            return 1
        if requested:
            return requested
        return min(2, os.cpu_count() or 1) if count >= PARALLEL_FROM else 1

    def _run(self, job, ranges, workers, example):
        """Yields (status counts, rejections, size) per ingested batch."""
        _start_worker(job)
        if example is not None:
            yield _tally(ingest([example], price_book=_worker.price_book, replay=True), 1)
        if workers == 1:
            for start_stop in ranges:
                yield _load_range(start_stop)
            return
        # Each worker opens its own connection: a forked child must not share the parent's.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_start_worker, initargs=(job,)) as pool:
            yield from pool.imap_unordered(_load_range, ranges)

    @transaction.atomic
    def _set_up_accounts(self, count, funded_at):
        # Ingest would create these on first sight, named by their ids; naming them first
        # (and again on every run) gives the console real names from the start.
        user, created = get_user_model().objects.get_or_create(username=DEMO_USER)
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        for spec in ACCOUNTS:
            account, _ = Account.objects.update_or_create(
                external_id=spec.external_id, defaults={"name": spec.name, "plan": spec.plan}
            )
            for key in spec.keys:
                ApiKey.objects.update_or_create(
                    external_id=key.external_id, defaults={"account": account, "name": key.name}
                )
            Membership.objects.get_or_create(
                user=user, account=account, defaults={"role": Role.OWNER}
            )
            if account.plan == Account.Plan.PAY_AS_YOU_GO:
                _fund(account, count, funded_at)


def _fund(account, count, at):
    """Credits a pay-as-you-go account once, at `at`, so its calls settle from Reward Credits
    first and then Purchased Credits, as the cost popover shows them. A demo call costs about
    a cent; two cents each leaves headroom."""
    if LedgerEntry.objects.filter(account=account, entry_type=LedgerEntry.Type.CREDIT).exists():
        return
    credit(account, Wallet.Kind.REWARD, Decimal(25), note="Welcome bonus", at=at)
    purchased = max(Decimal(500), (Decimal(count) * Decimal("0.02") / 100).to_integral() * 100)
    credit(account, Wallet.Kind.PURCHASED, purchased, note="Top-up", at=at + timedelta(minutes=1))


@dataclass(frozen=True)
class _Job:
    count: int  # generated records, the spec's example aside
    now: datetime
    days: int
    seed: int
    with_payloads: bool
    payload_share: float = 1.0


class _Worker:
    job = None
    price_book = None


_worker = _Worker()


def _start_worker(job):
    # One PriceBook per process for the whole run: each model's price is read once.
    _worker.job = job
    _worker.price_book = PriceBook()


def _load_range(start_stop):
    start, stop = start_stop
    job = _worker.job
    # Thousands of new dicts and none in a cycle: the collector would only rescan them.
    with collector_paused():
        records = list(
            build_records(
                job.count,
                now=job.now,
                days=job.days,
                seed=job.seed,
                with_payloads=job.with_payloads,
                payload_share=job.payload_share,
                rate=_worker.price_book.rate,
                start=start,
                stop=stop,
            )
        )
    # replay: the demo is thirty days of history loaded at once, settled as it would have
    # been live, so each ledger line carries its charge's time, not the load's.
    return _tally(ingest(records, price_book=_worker.price_book, replay=True), len(records))


def _tally(outcomes, size):
    statuses = Counter(o.status for o in outcomes)
    rejected = [o.as_dict() for o in outcomes if o.status == REJECTED][:1]
    return statuses, rejected, size
