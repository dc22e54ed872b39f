from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from billing.models import Account, Role
from billing.team import invitations


class Command(BaseCommand):
    help = (
        "Invites a person by email to an account with a role: mails a single-use link, valid "
        f"{invitations.INVITATION_DAYS} days, and prints it on the last line (SITE_URL is its "
        "address)."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_id", metavar="ACCOUNT_ID", help="the account's external id")
        parser.add_argument("email", metavar="EMAIL")
        parser.add_argument(
            "--role", choices=Role.values, default=Role.MEMBER, help="default member"
        )

    def handle(self, *args, account_id, email, role, **options):
        account = Account.objects.filter(external_id=account_id).first()
        if account is None:
            raise CommandError(f"ACCOUNT_ID: no account {account_id!r}")
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"EMAIL: {email!r} is not an email address") from None
        invitation, link = invitations.invite(None, account, email, role)
        self.stdout.write(
            f"Invited {email} to {account.external_id} as {role}; the link works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC, and is not shown again:"
        )
        self.stdout.write(link)
