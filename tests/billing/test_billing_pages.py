"""/billing/: plan, wallet balances and the ledger; the cost popover and the details page's
Billing block showing how each request was paid."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Account, LedgerEntry, Membership
from billing.settlement import credit
from tests.factories import ACCOUNT_B, EXAMPLE, KEY_B, example_record, make_record, store
from zenlogs.sealed import seal, unseal

pytestmark = pytest.mark.django_db


def _text(html):
    """The page's text with tags dropped and whitespace collapsed, for reading it as a user
    would."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _entry_ids(body):
    return [unseal(s) for s in re.findall(r'<tr id="entry-([\w-]+)"', body)]


def _popover(body, generation):
    """The inner HTML of a row's cost popover panel (the div with id cost-<generation id>)."""
    start = body.index(">", body.index(f'id="cost-{generation.generation_id}"')) + 1
    depth, position = 1, start
    for tag in re.finditer(r"<(/?)div\b", body[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            position = start + tag.start()
            break
    return body[start:position]


def _billing_block(body):
    block = body[body.index('id="billing"') :]
    return block[: block.index("</section>")]


@pytest.fixture
def acceptance(owner, account_a):
    """The issue's scenario: 0.01 in Reward Credits, 1.00 in Purchased Credits, then the
    spec example's tokens arrive without amounts or ratingResponses and are rated 0.051006."""
    credit(account_a, "reward", "0.01")
    credit(account_a, "purchased", "1.00")
    record = make_record(
        generationId="ACCEPT-1",
        modelSlug="anthropic/claude-sonnet-4",
        nativeFeeTokens={
            "input_cache_write_5_min": 0,
            "completion": 95,
            "input_cache_read": 0,
            "input_cache_write_1_h": 0,
            "prompt": 16527,
        },
    )
    assert "ratingResponses" not in record and "billAmount" not in record
    generation = store(record)[0]
    assert generation.bill_amount == Decimal("0.051006")
    return generation


# ----------------------------------------------------------------------------- acceptance


def test_acceptance_billing_page_shows_the_draw_from_each_wallet_and_the_balance_left(
    owner_client, acceptance
):
    response = owner_client.get("/billing/")
    assert response.status_code == 200
    body = response.content.decode()
    text = _text(body)
    assert "Reward Credits 0.000000" in text
    assert "Purchased Credits 0.958994" in text
    assert "Total 0.958994" in text
    # Newest first: the purchased draw (made after the reward one), then the reward draw,
    # then the two credits.
    assert "Charge Purchased Credits -0.041006 0.958994 ACCEPT-1 Settled" in text
    assert "Charge Reward Credits -0.010000 0.000000 ACCEPT-1 Settled" in text
    assert text.index("-0.041006") < text.index("-0.010000") < text.index("+1.000000")
    assert body.count('href="/logs/ACCEPT-1/"') == 2


def test_acceptance_cost_popover_shows_reward_then_purchased_and_settled(owner_client, acceptance):
    body = owner_client.get("/logs/").content.decode()
    popover = _popover(body, acceptance)
    text = _text(popover)
    assert "Reward Credits 0.010000 Purchased Credits 0.041006 Status Settled" in text
    assert text.index("Reward Credits") < text.index("Purchased Credits")
    assert "Unpaid" not in text
    # The rating details stay below the split.
    assert text.index("Settled") < text.index("prompt 3 $/M tokens 0.049581")
    assert "completion 15 $/M tokens 0.001425" in text
    assert "Total 0.051006" in text


def test_acceptance_details_page_shows_the_split_and_status(owner_client, acceptance):
    body = owner_client.get("/logs/ACCEPT-1/").content.decode()
    text = _text(_billing_block(body))
    assert "billAmount 0.051006" in text
    assert "Settlement Reward Credits 0.010000 Purchased Credits 0.041006 Status Settled" in text


# ----------------------------------------------------------------------------- popover


def test_a_charge_the_wallets_cannot_cover_is_unpaid_with_the_shortfall(owner_client, account_a):
    credit(account_a, "reward", "0.01")
    generation = store(make_record(nativeFeeTokens=EXAMPLE["nativeFeeTokens"]))[0]
    text = _text(_popover(owner_client.get("/logs/").content.decode(), generation))
    split = "Reward Credits 0.010000 Purchased Credits 0.000000"
    assert f"{split} Status Unpaid Unpaid 0.041006" in text
    assert "Settled" not in text


def test_a_charge_settled_by_the_gateway_shows_no_wallet_split(owner_client, owner):
    generation = store(example_record())[0]  # it reports nonpaymentAmount: settled upstream
    assert generation.charge.source == "gateway"
    body = owner_client.get("/logs/", {"range": "all"}).content.decode()
    text = _text(_popover(body, generation))
    assert "Settled by the gateway" in text and "Status Settled" in text
    assert "Reward Credits" not in text and "Purchased Credits" not in text
    detail = _text(_billing_block(owner_client.get("/logs/2534CCEDTKJR00217635/").content.decode()))
    assert "Settled by the gateway" in detail and "Reward Credits" not in detail


def test_subscription_popover_keeps_the_included_message_only(owner_client, account_a):
    account_a.plan = Account.Plan.SUBSCRIPTION
    account_a.save()
    generation = store(make_record(nativeFeeTokens=EXAMPLE["nativeFeeTokens"]))[0]
    popover = _popover(owner_client.get("/logs/").content.decode(), generation)
    assert _text(popover).endswith("Included in your subscription usage - no separate charge.")
    assert "Reward Credits" not in popover and "Billing details" not in popover


def test_unknown_cost_popover_keeps_the_cost_unknown_note(owner_client, owner):
    generation = store(make_record(modelSlug="acme/mystery", providerSlug="acme"))[0]
    text = _text(_popover(owner_client.get("/logs/").content.decode(), generation))
    assert text.startswith("Cost unknown")
    assert "Reward Credits" not in text


# ----------------------------------------------------------------------------- /billing/


def test_billing_page_shows_the_plan_and_both_wallets_before_any_credit(owner_client):
    body = owner_client.get("/billing/").content.decode()
    text = _text(body)
    assert "Plan Pay as you go" in text
    assert "Reward Credits 0.000000" in text and "Purchased Credits 0.000000" in text
    assert "Total 0.000000" in text
    assert "No credits or charges yet" in text
    assert 'aria-current="page">Billing</a>' in body


def test_subscription_account_is_told_charges_are_not_drawn(owner_client, account_a):
    account_a.plan = Account.Plan.SUBSCRIPTION
    account_a.save()
    credit(account_a, "reward", "5")
    text = _text(owner_client.get("/billing/").content.decode())
    assert "Plan Subscription" in text
    assert "charges are not drawn from these wallets" in text
    assert "Reward Credits 5.000000" in text


@pytest.mark.parametrize("plan", [Account.Plan.SUBSCRIPTION, Account.Plan.PAY_AS_YOU_GO])
def test_an_empty_ledger_speaks_to_the_customer_not_to_an_operator(owner_client, account_a, plan):
    account_a.plan = plan
    account_a.save()
    store(make_record(nativeFeeTokens=EXAMPLE["nativeFeeTokens"]))  # charges nothing: no credit
    body = owner_client.get("/billing/").content.decode()
    text = _text(body)
    assert "Credits appear here when they are added to your account" in text
    assert "manage.py" not in body and "ACCOUNT_ID" not in body and "<code>" not in body
    if plan == Account.Plan.SUBSCRIPTION:
        # No charge is ever drawn from a subscription's wallets: none is promised.
        assert "No credits yet" in text and "charges as requests are settled" not in text


def test_ledger_lists_credits_newest_first_with_their_notes(owner_client, account_a):
    first = credit(account_a, "purchased", "10", note="top-up #1")
    second = credit(account_a, "reward", "2", note="welcome bonus")
    third = credit(account_a, "purchased", "5", note="top-up #2")
    body = owner_client.get("/billing/").content.decode()
    assert _entry_ids(body) == [third.pk, second.pk, first.pk]
    text = _text(body)
    assert "Credit Purchased Credits +5.000000 15.000000 top-up #2" in text
    assert "Credit Reward Credits +2.000000 2.000000 welcome bonus" in text
    assert "Purchased Credits 15.000000" in text and "Total 17.000000" in text


@pytest.fixture
def long_ledger(account_a):
    entries = [credit(account_a, "purchased", "1", note=f"n{i}") for i in range(11)]
    # Pairs of entries share a timestamp, so the id tiebreak is exercised.
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i, entry in enumerate(entries):
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=base + timedelta(seconds=i // 2))
    return entries


def test_keyset_paging_visits_each_entry_once_newest_first(owner_client, long_ledger):
    seen, params, pages = [], {"page_size": 3}, 0
    while True:
        response = owner_client.get("/billing/", params)
        assert response.status_code == 200
        body = response.content.decode()
        seen.extend(_entry_ids(body))
        pages += 1
        older = response.context["older_cursor"]
        if older is None:
            assert 'rel="next"' not in body
            break
        assert 'rel="next"' in body
        params["cursor"] = older
        assert pages < 10
    expected = list(LedgerEntry.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == len(set(seen)) == 11
    assert pages == 4
    assert ">Newest</a>" in body


def test_ledger_pages_use_no_offset_and_no_count(owner_client, long_ledger):
    first = owner_client.get("/billing/", {"page_size": 3})
    with CaptureQueriesContext(connection) as queries:
        owner_client.get("/billing/", {"page_size": 3, "cursor": first.context["older_cursor"]})
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql


def test_htmx_pager_request_gets_only_the_ledger(owner_client, long_ledger):
    first = owner_client.get("/billing/", {"page_size": 3})
    cursor = first.context["older_cursor"]
    response = owner_client.get(
        "/billing/", {"page_size": 3, "cursor": cursor}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Balances" not in body
    assert len(_entry_ids(body)) == 3
    assert 'hx-target="#ledger"' in body and 'hx-push-url="true"' in body
    full = first.content.decode()
    assert "<html" in full and 'id="ledger"' in full and 'aria-label="Balances"' in full


def test_history_restore_gets_the_full_page(owner_client, long_ledger):
    response = owner_client.get(
        "/billing/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"cursor": f"n1700000000000000.{seal(5)}"},  # "newer": the ledger only pages back
        {"cursor": f"o99999999999999999999.{seal(1)}"},
        {"cursor": "o1700000000000000.5"},  # an id as it is, not sealed
        {"page_size": "0"},
        {"page_size": "abc"},
    ],
)
def test_a_bad_page_link_is_a_400_with_a_visible_error(owner_client, account_a, params):
    credit(account_a, "purchased", "1")
    response = owner_client.get("/billing/", params)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body and "not valid" in body
    assert _entry_ids(body) == []
    htmx = owner_client.get("/billing/", params, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and 'role="alert"' in htmx.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ("/billing/", "/billing/usage/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_another_accounts_credits_and_charges_are_never_shown(owner_client, account_a, outsider):
    other = Account.objects.get(external_id=ACCOUNT_B)
    credit(other, "purchased", "77.123456", note="OUTSIDER-NOTE")
    store(
        make_record(
            generationId="OUTSIDER-GEN",
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            nativeFeeTokens=EXAMPLE["nativeFeeTokens"],
        )
    )
    credit(account_a, "purchased", "1", note="mine")
    body = owner_client.get("/billing/").content.decode()
    assert "OUTSIDER" not in body and "77.1" not in body
    assert len(_entry_ids(body)) == 1
    # Nor through a cursor pointing at the other account's entries.
    theirs = LedgerEntry.objects.filter(account=other).order_by("-id").first()
    micros = (theirs.created_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    paged = owner_client.get("/billing/", {"cursor": f"o{micros + 10**9}.{seal(theirs.pk + 1)}"})
    assert "OUTSIDER" not in paged.content.decode()


def test_a_member_of_two_accounts_sees_the_one_selected(owner_client, owner):
    other = Account.objects.create(external_id="2533ACzzSECOND000001", name="Second")
    Membership.objects.create(user=owner, account=other, role="owner")
    credit(other, "reward", "3", note="second-account-note")
    assert "second-account-note" not in owner_client.get("/billing/").content.decode()
    owner_client.post("/accounts/switch/", {"account": other.external_id, "next": "/billing/"})
    body = owner_client.get("/billing/").content.decode()
    assert "second-account-note" in body and "Reward Credits 3.00" in _text(body)


# ----------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client_with_ledger(admin_client, acceptance, account_a):
    return admin_client


def test_admin_wallet_page_shows_the_balance_read_only_with_its_newest_ledger_lines(
    admin_client_with_ledger, account_a
):
    from billing.admin import LEDGER_INLINE_LIMIT
    from billing.models import Wallet

    wallet = Wallet.objects.get(account=account_a, kind="purchased")
    for i in range(LEDGER_INLINE_LIMIT + 3):
        credit(account_a, "purchased", "0.01", note=f"bulk-{i:03d}")
    response = admin_client_with_ledger.get(f"/admin/billing/wallet/{wallet.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="balance"' not in body  # shown, not editable
    notes = re.findall(r"bulk-(\d{3})", body)
    assert len(notes) == LEDGER_INLINE_LIMIT
    assert notes[0] == f"{LEDGER_INLINE_LIMIT + 2:03d}"  # newest first
    assert "bulk-000" not in body and "bulk-002" not in body


def test_admin_lists_ledger_entries_and_charges_but_never_edits_them(admin_client_with_ledger):
    from billing.models import Charge

    ledger = admin_client_with_ledger.get("/admin/billing/ledgerentry/")
    assert ledger.status_code == 200 and "ACCEPT-1" in ledger.content.decode()
    charges = admin_client_with_ledger.get("/admin/billing/charge/")
    assert charges.status_code == 200 and "ACCEPT-1" in charges.content.decode()
    entry = LedgerEntry.objects.first()
    charge = Charge.objects.get()
    for url in (
        "/admin/billing/ledgerentry/add/",
        "/admin/billing/charge/add/",
        "/admin/billing/wallet/add/",
        f"/admin/billing/ledgerentry/{entry.pk}/delete/",
        f"/admin/billing/charge/{charge.pk}/delete/",
    ):
        assert admin_client_with_ledger.get(url).status_code == 403, url
    view = admin_client_with_ledger.get(f"/admin/billing/charge/{charge.pk}/change/")
    assert view.status_code == 200 and 'name="reward_amount"' not in view.content.decode()
    posted = admin_client_with_ledger.post(
        f"/admin/billing/ledgerentry/{entry.pk}/change/", {"amount": "999"}
    )
    assert posted.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount
