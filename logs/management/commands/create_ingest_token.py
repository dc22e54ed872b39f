from django.core.management.base import BaseCommand

from logs.models import IngestToken


class Command(BaseCommand):
    help = "Issues a gateway ingestion token (stored hashed; shown once, on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default="gateway", help="a label for the token")

    def handle(self, *args, name, **options):
        token, raw = IngestToken.issue(name=name)
        self.stdout.write(
            f"Created ingest token {token.name!r} ({token.hint}…). "
            "Send it as Authorization: Bearer <token>; it is not shown again:"
        )
        self.stdout.write(raw)
