from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.models import Account, AuditAction
from billing.team import audit
from logs import search
from logs.listing.exports import export_records
from logs.listing.filters import (
    DEFAULT_SORT,
    SORTS,
    DateTimeInput,
    filter_numeric,
    numeric_fields,
    numeric_order_errors,
    sort_order,
)
from logs.models import Generation
from logs.record.codec import dumps


class Command(BaseCommand):
    help = (
        "Writes an account's generations (raw metadata plus stages) to stdout as JSONL, "
        "newest first unless --sort says otherwise; import_generations reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="the account's external id")
        parser.add_argument("--from", dest="start", help="ISO 8601; inclusive")
        parser.add_argument("--to", dest="end", help="ISO 8601; exclusive")
        # The list's numeric filters, --cost-min for cost_min and so on, read the same way.
        for param, field in numeric_fields().items():
            parser.add_argument(_option(param), help=f"{field.label}; inclusive")
        parser.add_argument(
            "--q", help='the list\'s text search: words, "a phrase", -exclusion (README)'
        )
        parser.add_argument(
            "--sort",
            choices=list(SORTS),
            default=DEFAULT_SORT,
            help=f"the list's sort parameter (default {DEFAULT_SORT})",
        )

    def handle(self, *args, account, start, end, sort, **options):
        acc = Account.objects.filter(external_id=account).first()
        if acc is None:
            raise CommandError(f"--account: no account {account!r}")
        generations = Generation.objects.for_account(acc)
        window = {"--from": None, "--to": None}
        for name, value in (("--from", start), ("--to", end)):
            if value is None:
                continue
            try:
                when = window[name] = DateTimeInput().to_python(value)
            except ValidationError as exc:
                raise CommandError(f"{name}: {' '.join(exc.messages)}") from None
            generations = generations.since(when) if name == "--from" else generations.until(when)
        generations = filter_numeric(generations, self._numeric_bounds(options))
        if options["q"] is not None:
            try:
                query = search.parse_query(options["q"])
            except search.QueryError as exc:
                raise CommandError(f"--q: {exc}") from None
            if query is not None:
                generations = search.apply(
                    generations, query, acc.pk, window["--from"], window["--to"]
                ).queryset
        filters = {
            name: value
            for name, value in (
                ("from", start),
                ("to", end),
                ("q", options["q"]),
                ("sort", sort if sort != DEFAULT_SORT else None),
                *((param, options[param]) for param in numeric_fields()),
            )
            if value is not None
        }
        audit.record(None, acc, AuditAction.EXPORT, format="jsonl", filters=filters)
        count = 0
        for record in export_records(generations, sort_order(sort)):
            self.stdout.write(dumps(record))
            count += 1
        # The summary goes to stderr: stdout is the data.
        self.stderr.write(f"Exported {count} generations of {acc.external_id}.")

    def _numeric_bounds(self, options):
        bounds = {}
        for param, field in numeric_fields().items():
            try:
                bounds[param] = field.clean(options[param])
            except ValidationError as exc:
                raise CommandError(f"{_option(param)}: {' '.join(exc.messages)}") from None
        if errors := numeric_order_errors(bounds):
            high, low = errors[0]
            raise CommandError(f"{_option(high)}: must be at least {_option(low)}")
        return bounds


def _option(param):
    return "--" + param.replace("_", "-")
