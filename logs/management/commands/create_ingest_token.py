from django.core.management.base import BaseCommand, CommandError

from billing.models import Account, AuditAction
from billing.team import audit
from logs.models import IngestToken
from logs.record.values import ID_RE


class Command(BaseCommand):
    help = (
        "Issues an ingestion token (stored hashed; shown once, on the last line): gateway-wide "
        "by default, or bound to one account with --account (required for OTLP, /v1/traces "
        "and /v1/logs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default=None, help="a label for the token")
        parser.add_argument(
            "--account",
            default=None,
            help="the account's external id: everything the token sends is stored there "
            "(the account is created if missing)",
        )

    def handle(self, *args, name, account, **options):
        if account is None:
            token, raw = IngestToken.issue(name=name or "gateway")
            where = ""
        else:
            if not ID_RE.match(account):
                raise CommandError(f"--account: {account!r} is not an account id")
            owner, _ = Account.objects.get_or_create(
                external_id=account, defaults={"name": account}
            )
            token, raw = IngestToken.issue(name=name or "otlp", account=owner)
            where = f" for account {owner.external_id}"
        audit.record(None, token.account, AuditAction.TOKEN_CREATED, token, kind="ingest")
        self.stdout.write(
            f"Created ingest token {token.name!r} ({token.hint}…){where}. "
            "Send it as Authorization: Bearer <token>; it is not shown again:"
        )
        self.stdout.write(raw)
