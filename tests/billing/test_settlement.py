"""Settlement: Reward Credits first, then Purchased Credits; shortfalls are Unpaid; each
generation is settled exactly once; balances add up."""

import functools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Account, Charge, LedgerEntry, Wallet
from billing.settlement import balances, credit
from logs.ingest import ingest
from logs.models import Generation, GenerationKey
from tests.factories import EXAMPLE, at_once, make_record, store

pytestmark = pytest.mark.django_db
SPEC_TOKENS = EXAMPLE["nativeFeeTokens"]  # rated at 0.051006


def _spec_call(**overrides):
    return make_record(nativeFeeTokens=SPEC_TOKENS, **overrides)


def test_reward_credits_are_spent_before_purchased_credits(account_a):
    credit(account_a, "reward", "0.01")
    credit(account_a, "purchased", "1.00")
    generation = store(_spec_call())[0]
    charge = Charge.objects.get(generation=generation)
    assert charge.bill_amount == Decimal("0.051006")
    assert charge.reward_amount == Decimal("0.01")
    assert charge.purchased_amount == Decimal("0.041006")
    assert charge.status == "settled" and charge.nonpayment_amount == 0
    assert balances(account_a) == {"reward": Decimal("0"), "purchased": Decimal("0.958994")}
    generation.refresh_from_db()
    assert generation.nonpayment_amount == 0 and generation.real_amount == Decimal("0.051006")


def test_reward_alone_covers_a_small_charge(account_a):
    credit(account_a, "reward", "1")
    credit(account_a, "purchased", "1")
    store(_spec_call())
    assert balances(account_a) == {"reward": Decimal("0.948994"), "purchased": Decimal("1")}


def test_insufficient_funds_record_the_shortfall_as_unpaid(account_a):
    credit(account_a, "reward", "0.001")
    credit(account_a, "purchased", "0.02")
    generation = store(_spec_call())[0]
    charge = Charge.objects.get(generation=generation)
    assert charge.status == "unpaid"
    assert charge.nonpayment_amount == Decimal("0.030006")
    assert charge.reward_amount + charge.purchased_amount == Decimal("0.021")
    assert balances(account_a) == {"reward": 0, "purchased": 0}
    generation.refresh_from_db()
    assert generation.nonpayment_amount == Decimal("0.030006")
    assert generation.real_amount == Decimal("0.021")  # billAmount - nonpaymentAmount


def test_empty_wallets_leave_the_whole_bill_unpaid_and_never_go_negative(account_a):
    generation = store(_spec_call())[0]
    assert generation.charge.status == "unpaid"
    assert generation.charge.nonpayment_amount == Decimal("0.051006")
    assert Wallet.objects.filter(balance__lt=0).count() == 0


def test_subscription_accounts_get_no_charge(account_a):
    account_a.plan = Account.Plan.SUBSCRIPTION
    account_a.save()
    credit(account_a, "purchased", "5")
    generation = store(_spec_call())[0]
    assert not Charge.objects.exists()
    assert generation.nonpayment_amount == 0 and generation.real_amount == generation.bill_amount
    assert balances(account_a)["purchased"] == Decimal("5")


def test_unknown_cost_gets_no_charge(account_a):
    credit(account_a, "purchased", "5")
    store(make_record(modelSlug="acme/unpriced", providerSlug="acme"))
    assert not Charge.objects.exists()


def test_a_record_the_gateway_settled_keeps_its_figures_and_draws_nothing(account_a):
    credit(account_a, "purchased", "5")
    record = _spec_call(nonpaymentAmount="0", realAmount="0.051006")
    generation = store(record)[0]
    charge = Charge.objects.get(generation=generation)
    assert charge.source == "gateway" and charge.status == "settled"
    assert balances(account_a)["purchased"] == Decimal("5")


def test_a_resent_batch_is_not_settled_twice(account_a):
    credit(account_a, "purchased", "1")
    records = [_spec_call(generationId=f"ONCE{i}") for i in range(3)]
    ingest(records)
    ingest(records)
    assert Charge.objects.count() == 3
    assert LedgerEntry.objects.filter(entry_type="charge").count() == 3
    assert balances(account_a)["purchased"] == Decimal("1") - 3 * Decimal("0.051006")


@pytest.mark.django_db(transaction=True)
def test_concurrent_settlement_draws_each_generation_exactly_once(prices, owner):
    account = Account.objects.get(external_id="2533AC0Q5MIe14613672")
    credit(account, "reward", "0.2")
    credit(account, "purchased", "0.5")
    # 8 clients, each posting an overlapping batch: 40 distinct generations in all.
    batches = [
        [_spec_call(generationId=f"RACE{(c * 5 + i) % 40:03d}") for i in range(10)]
        for c in range(8)
    ]
    at_once(*[functools.partial(ingest, batch) for batch in batches])
    assert Generation.objects.count() == 40
    assert Charge.objects.count() == 40
    drawn = sum(-e.amount for e in LedgerEntry.objects.filter(entry_type="charge"))
    left = sum(balances(account).values())
    assert drawn + left == Decimal("0.7")
    assert drawn == min(Decimal("0.7"), 40 * Decimal("0.051006"))
    assert Wallet.objects.filter(balance__lt=0).count() == 0
    unpaid = sum(c.nonpayment_amount for c in Charge.objects.all())
    assert drawn + unpaid == 40 * Decimal("0.051006")


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("credit"),
            st.sampled_from(["reward", "purchased"]),
            st.decimals(min_value="0.000001", max_value="2", places=6),
        ),
        st.tuples(
            st.just("call"),
            st.integers(min_value=0, max_value=400_000),
            st.integers(min_value=0, max_value=40_000),
        ),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_balance_identity_holds_for_any_sequence_of_credits_and_charges(account_a, ops):
    Charge.objects.all().delete()
    LedgerEntry.objects.all().delete()
    Generation.objects.all().delete()
    # The registry outlives the logs (a re-sent id stays a duplicate): start it afresh too.
    GenerationKey.objects.all().delete()
    Wallet.objects.filter(account=account_a).update(balance=0)
    start = sum(balances(account_a).values())
    credits = Decimal(0)
    for n, op in enumerate(ops):
        if op[0] == "credit":
            credit(account_a, op[1], op[2])
            credits += op[2]
        else:
            store(
                make_record(
                    generationId=f"HYP{n:03d}",
                    nativeFeeTokens={"prompt": op[1], "completion": op[2]},
                )
            )
        assert Wallet.objects.filter(balance__lt=0).count() == 0
    end = sum(balances(account_a).values())
    charged = sum((-e.amount for e in LedgerEntry.objects.filter(entry_type="charge")), Decimal(0))
    assert charged == start + credits - end
    for charge in Charge.objects.all():
        assert charge.reward_amount + charge.purchased_amount + charge.nonpayment_amount == (
            charge.bill_amount
        )


# ----------------------------------------------------------------------------- ledger times


def test_a_live_charge_is_dated_when_the_wallets_moved_even_for_an_old_record(account_a):
    credit(account_a, "purchased", "1")
    before = timezone.now()
    generation = store(_spec_call(createdAt="2025-08-22T02:49:18+00:00"))[0]
    line = LedgerEntry.objects.get(generation=generation)
    # Drawn from today's balance, so dated today, after the credit it follows.
    assert line.created_at >= before
    assert Charge.objects.get(generation=generation).created_at >= before


def test_a_replayed_history_is_settled_as_of_each_generations_time(account_a):
    start = datetime(2025, 8, 1, tzinfo=UTC)
    credit(account_a, "reward", "0.06", at=start)
    credit(account_a, "purchased", "1", at=start + timedelta(seconds=1))
    times = [start + timedelta(days=d, hours=d) for d in (3, 1, 2)]  # out of order in the batch
    records = [_spec_call(createdAt=t.isoformat()) for t in times]
    assert all(o.status == "created" for o in ingest(records, replay=True))
    lines = list(LedgerEntry.objects.for_account(account_a).order_by("created_at", "id"))
    assert [line.created_at for line in lines] == [
        start,
        start + timedelta(seconds=1),
        times[1],  # the first charge takes the reward's 0.06: 0.051006 ...
        times[2],  # ... then the rest of it, 0.008994, and purchased credits
        times[2],
        times[0],
    ]
    charged = {c.generation.created_at: c.created_at for c in Charge.objects.all()}
    assert all(generation_time == when for generation_time, when in charged.items())
    # Read in time order, each wallet's lines are a running balance.
    for kind in ("reward", "purchased"):
        balance = Decimal(0)
        for line in (line for line in lines if line.wallet.kind == kind):
            balance += line.amount
            assert line.balance_after == balance


def test_a_credit_can_be_dated(account_a):
    when = datetime(2025, 8, 1, 12, tzinfo=UTC)
    entry = credit(account_a, "reward", "2", note="Welcome bonus", at=when)
    assert LedgerEntry.objects.get(pk=entry.pk).created_at == entry.created_at == when
    assert credit(account_a, "reward", "1").created_at > when
