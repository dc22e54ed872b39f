from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zenlogs import partitions

MAX_DAYS_AHEAD = 366


class Command(BaseCommand):
    help = (
        "Creates the daily partitions (PostgreSQL) of generations, stages, ratings and search "
        "text from today through --days-ahead days. Ingestion also creates a partition the "
        "moment a record needs one; run this daily (see README) so that moment never comes "
        "in the middle of traffic. Does nothing on SQLite, which is not partitioned."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days-ahead", type=int, default=7, metavar="DAYS")

    def handle(self, *args, days_ahead, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead: give a number of days >= 0")
        if days_ahead > MAX_DAYS_AHEAD:
            # Four tables a day: a year ahead is already 1,464 partitions, and a number past
            # Python's dates was a traceback.
            raise CommandError(f"--days-ahead: give at most {MAX_DAYS_AHEAD} days")
        if not partitions.enabled():
            self.stdout.write("SQLite: tables are not partitioned; nothing to do.")
            return
        today = partitions.day_of(timezone.now())
        days = list(partitions.days_between(today, today + timedelta(days=days_ahead)))
        before = _in_range(days)
        partitions.ensure(days)
        after = _in_range(days)
        self.stdout.write(
            f"Partitions for {days[0]} to {days[-1]}: {len(after - before)} created, "
            f"{len(before)} already there."
        )


def _in_range(days):
    wanted = set(days)
    return {
        name
        for table in partitions.TABLES
        for name, day in partitions.partitions(table)
        if day in wanted
    }
