from django.core.management.base import BaseCommand, CommandError

from billing.models import Account, AuditAction
from billing.team import audit


class Command(BaseCommand):
    help = (
        "Puts an account on a plan. Applies to requests ingested from now on: charges already "
        "settled stay as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_id", metavar="ACCOUNT_ID", help="the account's external id")
        parser.add_argument(
            "plan",
            metavar="PLAN",
            choices=Account.Plan.values,
            help=" or ".join(Account.Plan.values),
        )

    def handle(self, *args, account_id, plan, **options):
        account = Account.objects.filter(external_id=account_id).first()
        if account is None:
            raise CommandError(f"ACCOUNT_ID: no account {account_id!r}")
        before = account.get_plan_display()
        if account.plan == plan:
            self.stdout.write(f"Account {account.external_id} is already on {before}.")
            return
        account.plan = plan
        account.save(update_fields=["plan"])
        audit.record(
            None,
            account,
            AuditAction.PLAN_CHANGED,
            account.external_id,
            old=before,
            new=plan,
            via="command",
        )
        self.stdout.write(
            f"Account {account.external_id} is now on {account.get_plan_display()} (was {before})."
        )
