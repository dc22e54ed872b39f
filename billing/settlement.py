"""Settlement: every rated generation of a pay-as-you-go account gets one Charge, drawn from
Reward Credits first and then Purchased Credits; what the wallets cannot cover is recorded
as nonpaymentAmount and the charge is Unpaid. Balances never go negative.

Settlement runs inside the ingestion transaction, for the generations that transaction
created. A generation is inserted once (ON CONFLICT DO NOTHING) and its Charge's primary key
is the generation, so a retried or concurrent batch can never settle it twice, and a failed
batch rolls back its rows, ratings, charges and balance changes together.

Wallet rows are locked (SELECT ... FOR UPDATE, in account then wallet order) for the rest of
the transaction, so concurrent batches for one account queue on its wallets instead of
overdrawing them, and never deadlock.

A charge and its ledger lines are dated when the wallets moved: at ingestion, which for live
traffic is seconds after the generation's createdAt. Not at createdAt itself: a record that
arrives late (a gateway catching up, import_generations of last month's logs) is drawn from
today's balance, and its line's "balance after" follows the lines settled before it; dated
at its createdAt it would sit among lines of last month whose balances it never saw, and the
ledger would no longer read as a running balance. A replayed history (the demo) is settled
as it would have been live, in createdAt order: `replay` dates each charge at its
generation's createdAt, and the credits that fund it are dated before (credit's `at`).
"""

from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from zenlogs.bulk import insert_rows, update_rows

from .models import Account, Charge, LedgerEntry, Wallet

ZERO = Decimal(0)
DRAW_ORDER = (Wallet.Kind.REWARD, Wallet.Kind.PURCHASED)


def _locked_wallets(account_ids):
    Wallet.objects.bulk_create(
        [Wallet(account_id=a, kind=k) for a in account_ids for k in DRAW_ORDER],
        ignore_conflicts=True,
    )
    wallets = Wallet.objects.select_for_update().filter(account_id__in=account_ids)
    return {(w.account_id, w.kind): w for w in wallets.order_by("account_id", "-kind")}


CHARGE_FIELDS = (
    "generation",
    "account",
    "bill_amount",
    "reward_amount",
    "purchased_amount",
    "nonpayment_amount",
    "status",
    "source",
    "created_at",
)
ENTRY_FIELDS = (
    "account",
    "wallet",
    "entry_type",
    "amount",
    "balance_after",
    "generation",
    "note",
    "created_at",
)


def settle(generations, *, replay=False):
    """Settles freshly created generations (must run in their transaction). Updates each
    generation's nonpayment_amount and real_amount in memory and in the database. Charges
    and ledger lines are dated now, or with replay at each generation's created_at."""
    payg = [
        g
        for g in generations
        if g.bill_amount is not None and g.account.plan == Account.Plan.PAY_AS_YOU_GO
    ]
    if not payg:
        return
    now = timezone.now()
    charges, entries, unpaid, ours = [], [], [], []
    for g in payg:
        if getattr(g, "gateway_settled", False):
            # The gateway reported its own settlement (nonpaymentAmount): its figures win,
            # and our wallets are not drawn a second time.
            status = Charge.Status.UNPAID if g.nonpayment_amount else Charge.Status.SETTLED
            charges.append(
                (
                    g.pk,
                    g.account_id,
                    g.bill_amount,
                    ZERO,
                    ZERO,
                    g.nonpayment_amount,
                    status,
                    Charge.Source.GATEWAY,
                    g.created_at if replay else now,
                )
            )
        else:
            ours.append(g)
    if ours:
        wallets = _locked_wallets(sorted({g.account_id for g in ours}))
        # Plain strings rather than enum members in this per-generation loop: hashing and
        # comparing enum members runs Python code.
        kinds = [kind.value for kind in DRAW_ORDER]
        charge_entry = LedgerEntry.Type.CHARGE.value
        unpaid_status, settled_status = Charge.Status.UNPAID.value, Charge.Status.SETTLED.value
        source = Charge.Source.WALLETS.value
        for g in sorted(ours, key=lambda g: (g.created_at, g.generation_id)):
            account_id, bill = g.account_id, g.bill_amount
            at = g.created_at if replay else now
            remaining = bill if bill > ZERO else ZERO
            drawn = []
            for kind in kinds:
                wallet = wallets[(account_id, kind)]
                take = min(wallet.balance, remaining)
                if take > 0:
                    wallet.balance -= take
                    remaining -= take
                    entries.append(
                        (
                            account_id,
                            wallet.pk,
                            charge_entry,
                            -take,
                            wallet.balance,
                            g.pk,
                            f"{g.generation_id} · {g.model_slug}",
                            at,
                        )
                    )
                drawn.append(take)
            g.nonpayment_amount = remaining
            g.real_amount = bill - remaining
            if remaining:
                unpaid.append(g)
            charges.append(
                (
                    g.pk,
                    account_id,
                    bill,
                    drawn[0],  # reward
                    drawn[1],  # purchased
                    remaining,
                    unpaid_status if remaining else settled_status,
                    source,
                    at,
                )
            )
        for wallet in wallets.values():
            wallet.updated_at = now
        Wallet.objects.bulk_update(list(wallets.values()), ["balance", "updated_at"])
    insert_rows(Charge, CHARGE_FIELDS, charges)
    insert_rows(LedgerEntry, ENTRY_FIELDS, entries)
    if unpaid:
        update_rows(
            apps.get_model("logs", "Generation"),
            ("nonpayment_amount", "real_amount"),
            [
                (g.pk, g.account_id, g.created_at, g.nonpayment_amount, g.real_amount)
                for g in unpaid
            ],
            # The account and created_at lead PostgreSQL to the one partition that holds it.
            keys=("id", "account", "created_at"),
        )


# A wallet's balance stays below what both databases read back exactly: SQLite keeps a
# decimal as a float, and from 10**13 on Django's reading of it can round out of the column
# and fail every page that shows it (the bound on an amount a gateway may send, too).
MAX_BALANCE = Decimal(10) ** 13


def credit(account, kind, amount, note="", *, at=None):
    """Adds amount (> 0) to one of the account's wallets. Returns the LedgerEntry, dated now
    or `at` (a replayed history's credit, see the module's docstring). Raises ValueError,
    and credits nothing, for an amount that is not positive or that would take the balance
    to MAX_BALANCE."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise ValueError("amount must be a positive number")
    with transaction.atomic():
        wallet = _locked_wallets([account.pk])[(account.pk, kind)]
        if wallet.balance + amount >= MAX_BALANCE:
            raise ValueError(
                f"the balance would reach {MAX_BALANCE:,}, more than a wallet holds; "
                f"the balance now is {wallet.balance.normalize():f}"
            )
        wallet.balance += amount
        wallet.save(update_fields=["balance", "updated_at"])
        entry = LedgerEntry.objects.create(
            account=account,
            wallet=wallet,
            entry_type=LedgerEntry.Type.CREDIT,
            amount=amount,
            balance_after=wallet.balance,
            note=note,
        )
        if at is not None:
            # created_at is auto_now_add, which overrides any value given to create().
            LedgerEntry.objects.filter(pk=entry.pk).update(created_at=at)
            entry.created_at = at
        return entry


def balances(account):
    """{kind: balance} for both wallets (zero for a wallet never credited)."""
    found = dict(Wallet.objects.filter(account=account).values_list("kind", "balance"))
    return {kind: found.get(kind, ZERO) for kind in DRAW_ORDER}
