from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from billing.models import MONEY, Account, AuditAction, LedgerEntry, Wallet
from billing.settlement import credit
from billing.team import audit

NOTE_MAX = LedgerEntry._meta.get_field("note").max_length
PLACES = MONEY["decimal_places"]
WHOLE_DIGITS = MONEY["max_digits"] - MONEY["decimal_places"]


def parse_amount(text):
    """A positive, finite Decimal that fits the money columns, or a CommandError naming the
    argument. Rounding a too-precise amount would credit something the operator never
    typed, so it is refused instead."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise CommandError(f"AMOUNT must be a number like 10 or 0.50, got {text!r}") from None
    if not amount.is_finite():
        raise CommandError(f"AMOUNT must be a finite number, got {text!r}")
    if amount <= 0:
        raise CommandError(f"AMOUNT must be greater than 0, got {text!r}")
    if amount.as_tuple().exponent < -PLACES:
        raise CommandError(f"AMOUNT has more than {PLACES} decimal places: {text!r}")
    if amount.adjusted() >= WHOLE_DIGITS:
        raise CommandError(f"AMOUNT is too large: {text!r}")
    return amount


def money(value):
    """Exact, trailing zeros trimmed to at least two places: 1.00, 0.958994, 0.0000001."""
    text = format(value, "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


class Command(BaseCommand):
    help = (
        "Adds credit to one of an account's wallets: Reward Credits (bonuses, compensation; "
        "drawn first) or Purchased Credits (top-ups)."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_id", metavar="ACCOUNT_ID", help="the account's external id")
        parser.add_argument("amount", metavar="AMOUNT", help="USD, e.g. 10 or 0.50")
        parser.add_argument(
            "--wallet", required=True, choices=Wallet.Kind.values, help="which wallet to credit"
        )
        parser.add_argument("--note", default="", help="shown in the ledger, e.g. an invoice")

    def handle(self, *args, account_id, amount, wallet, note, **options):
        value = parse_amount(amount)
        if len(note) > NOTE_MAX:
            raise CommandError(f"--note is longer than {NOTE_MAX} characters")
        account = Account.objects.filter(external_id=account_id).first()
        if account is None:
            raise CommandError(f"ACCOUNT_ID: no account {account_id!r}")
        try:
            entry = credit(account, wallet, value, note=note)
        except ValueError as exc:
            raise CommandError(f"AMOUNT: {exc}") from None
        audit.record(
            None,
            account,
            AuditAction.CREDIT_ADDED,
            Wallet.Kind(wallet).label,
            amount=value,
            note=note,
            via="command",
        )
        self.stdout.write(
            f"Credited {money(value)} to {Wallet.Kind(wallet).label} of {account.external_id}; "
            f"balance {money(entry.balance_after)}"
        )
