from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from billing.models import AuditAction
from billing.team import audit
from logs.models import ApiToken


class Command(BaseCommand):
    help = "Issues a personal read token for the API (stored hashed; shown once, last line)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="personal", help="a label for the token")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: no user {username!r}")
        token, raw = ApiToken.issue(user=user, name=name)
        # The token is the user's: one entry in each of the user's accounts.
        audit.record(None, None, AuditAction.TOKEN_CREATED, token, actor=user, kind="personal")
        self.stdout.write(
            f"Created API token {token.name!r} for {username} ({token.hint}…). "
            "It is not shown again:"
        )
        self.stdout.write(raw)
