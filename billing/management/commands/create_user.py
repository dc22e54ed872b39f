import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from billing.models import Account, Membership, Role


class Command(BaseCommand):
    help = "Creates a console user in an account (the account is created if missing)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--account", required=True, help="the account's external id")
        parser.add_argument("--password", help="defaults to a random one, printed last")
        parser.add_argument(
            "--role",
            choices=Role.values,
            default=None,
            help="the user's role in the account: member for a new membership; an existing "
            "one keeps its role unless this is given",
        )

    @transaction.atomic
    def handle(self, *args, username, account, password, role, **options):
        acc, acc_created = Account.objects.get_or_create(
            external_id=account, defaults={"name": account}
        )
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        membership, joined = Membership.objects.get_or_create(
            user=user, account=acc, defaults={"role": role or Role.MEMBER}
        )
        if not joined and role and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        verb = "Created" if created else "Updated"
        where = "new account" if acc_created else "account"
        self.stdout.write(
            f"{verb} user {username} in {where} {acc.external_id} as {membership.role}"
            + (". Password:" if generated else ".")
        )
        if generated:
            self.stdout.write(password)
