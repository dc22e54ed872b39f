"""The operator's commands: credit a wallet, put an account on a plan."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import Account, LedgerEntry
from billing.settlement import balances
from tests.factories import ACCOUNT_A

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_credit_adds_to_the_purchased_wallet_and_prints_one_line(account_a):
    out = _run("credit", ACCOUNT_A, "1.00", "--wallet", "purchased", "--note", "invoice 7")
    assert out == f"Credited 1.00 to Purchased Credits of {ACCOUNT_A}; balance 1.00\n"
    assert balances(account_a) == {"reward": Decimal(0), "purchased": Decimal("1.00")}
    entry = LedgerEntry.objects.get(account=account_a)
    assert entry.entry_type == "credit"
    assert entry.amount == Decimal("1.00")
    assert entry.note == "invoice 7"


def test_credit_reports_the_balance_after_earlier_credits(account_a):
    _run("credit", ACCOUNT_A, "0.5", "--wallet", "reward")
    out = _run("credit", ACCOUNT_A, "0.000001", "--wallet", "reward")
    assert out.strip() == f"Credited 0.000001 to Reward Credits of {ACCOUNT_A}; balance 0.500001"
    assert balances(account_a)["reward"] == Decimal("0.500001")
    assert balances(account_a)["purchased"] == 0


@pytest.mark.parametrize(
    "amount", ["abc", "", "0", "-1", "-0.01", "NaN", "sNaN", "Infinity", "1e99", "0.00000000001"]
)
def test_credit_rejects_an_amount_that_is_not_a_positive_number(account_a, amount):
    with pytest.raises(CommandError, match="AMOUNT"):
        _run("credit", ACCOUNT_A, amount, "--wallet", "purchased")
    assert not LedgerEntry.objects.exists()


def test_credits_that_would_take_a_balance_past_what_pages_can_show_are_refused(
    account_a, owner_client
):
    # Each credit fits the column, their sum did not: SQLite read it back as 1E+14 and /billing/
    # answered 500, PostgreSQL's column overflowed.
    _run("credit", ACCOUNT_A, "9000000000000", "--wallet", "purchased")
    with pytest.raises(CommandError, match="AMOUNT: the balance would reach"):
        _run("credit", ACCOUNT_A, "1000000000000", "--wallet", "purchased")
    assert balances(account_a)["purchased"] == Decimal("9000000000000")
    assert LedgerEntry.objects.filter(account=account_a).count() == 1
    assert owner_client.get("/billing/").status_code == 200


def test_credit_to_an_unknown_account_is_an_error(db):
    with pytest.raises(CommandError, match="no account 'NOPE'"):
        _run("credit", "NOPE", "1", "--wallet", "purchased")
    assert not LedgerEntry.objects.exists()


def test_credit_needs_a_known_wallet(account_a):
    with pytest.raises(CommandError, match="invalid choice: 'gift'"):
        _run("credit", ACCOUNT_A, "1", "--wallet", "gift")
    with pytest.raises(CommandError, match="--wallet"):
        _run("credit", ACCOUNT_A, "1")
    assert not LedgerEntry.objects.exists()


def test_credit_refuses_a_note_longer_than_the_ledger_keeps(account_a):
    with pytest.raises(CommandError, match="--note"):
        _run("credit", ACCOUNT_A, "1", "--wallet", "reward", "--note", "x" * 301)


def test_set_plan_switches_the_account_and_says_from_what(account_a):
    out = _run("set_plan", ACCOUNT_A, "subscription")
    assert out == f"Account {ACCOUNT_A} is now on Subscription (was Pay as you go).\n"
    assert Account.objects.get(pk=account_a.pk).plan == "subscription"
    out = _run("set_plan", ACCOUNT_A, "subscription")
    assert out == f"Account {ACCOUNT_A} is already on Subscription.\n"
    _run("set_plan", ACCOUNT_A, "pay_as_you_go")
    assert Account.objects.get(pk=account_a.pk).plan == "pay_as_you_go"


def test_set_plan_rejects_an_unknown_plan_or_account(account_a):
    with pytest.raises(CommandError, match="invalid choice"):
        _run("set_plan", ACCOUNT_A, "free")
    with pytest.raises(CommandError, match="no account"):
        _run("set_plan", "NOPE", "subscription")
    assert Account.objects.get(pk=account_a.pk).plan == "pay_as_you_go"
