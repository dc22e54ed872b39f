"""What only a browser shows of billing: the cost popover's wallet split on hover for both
plans, and the ledger and usage pages swapping their block and pushing the URL."""

import pytest

from billing.models import Account, LedgerEntry
from billing.settlement import credit
from tests.factories import make_record, store
from zenlogs.sealed import seal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLE_TOKENS = {
    "input_cache_write_5_min": 0,
    "completion": 95,
    "input_cache_read": 0,
    "input_cache_write_1_h": 0,
    "prompt": 16527,
}


@pytest.fixture
def charged(prices, owner, account_a):
    credit(account_a, "reward", "0.01")
    credit(account_a, "purchased", "1.00")
    return store(make_record(generationId="BILL-1", nativeFeeTokens=EXAMPLE_TOKENS))[0]


def _cost_panel(page, generation_id):
    row = page.locator("tbody tr", has=page.locator(f'a[href^="/logs/{generation_id}/"]'))
    panel = row.locator(".pop-panel").nth(1)
    assert not panel.is_visible()
    row.get_by_test_id("cost").hover()
    assert panel.is_visible()
    return panel.inner_text()


def test_pay_as_you_go_cost_popover_shows_the_wallet_split_and_status(login_page, charged):
    page = login_page("owner")
    text = _cost_panel(page, "BILL-1")
    assert "Reward Credits\n0.010000" in text
    assert "Purchased Credits\n0.041006" in text
    assert "Status\nSettled" in text
    assert text.index("Reward Credits") < text.index("Purchased Credits") < text.index("prompt")
    assert "0.049581" in text and "Total\n0.051006" in text
    assert "subscription" not in text


def test_subscription_cost_popover_says_included_and_nothing_else(login_page, charged):
    Account.objects.filter(external_id=charged.account.external_id).update(plan="subscription")
    page = login_page("owner")
    text = _cost_panel(page, "BILL-1")
    assert text.strip() == "Included in your subscription usage - no separate charge."


def test_billing_page_shows_the_balance_left_after_the_charge(login_page, charged):
    page = login_page("owner")
    page.get_by_role("link", name="Billing").click()
    page.wait_for_url("**/billing/")
    balances = page.get_by_label("Balances")

    def shown(wallet):
        card = balances.locator(f"[data-wallet={wallet}]")
        return card.locator(".label").text_content(), card.locator(".value").inner_text()

    assert shown("reward") == ("Reward Credits", "0.000000")
    assert shown("purchased") == ("Purchased Credits", "0.958994")
    assert shown("total") == ("Total", "0.958994")


def test_ledger_pager_swaps_only_the_ledger_and_pushes_the_url(login_page, prices, account_a):
    for i in range(5):
        credit(account_a, "purchased", "1", note=f"top-up {i}")
    newest = LedgerEntry.objects.order_by("-created_at", "-id").first()
    page = login_page("owner")
    page.goto(page.url.replace("/logs/", "/billing/?page_size=2"))
    page.evaluate("window.__notReloaded = true")
    assert page.locator("#ledger tbody tr").count() == 2
    page.locator('a[rel="next"]').click()
    page.wait_for_url("**cursor=o*")
    page.wait_for_function(f"!document.querySelector('#entry-{seal(newest.pk)}')")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#ledger tbody tr").count() == 2
    assert page.get_by_label("Balances").is_visible()
    page.go_back()
    page.wait_for_function(f"!!document.querySelector('#entry-{seal(newest.pk)}')")
    assert "cursor=" not in page.url


def test_usage_breakdown_switch_swaps_the_block_and_pushes_the_url(login_page, charged):
    page = login_page("owner")
    page.get_by_role("link", name="Usage").click()
    page.wait_for_url("**/billing/usage/")
    assert page.locator('svg[role="img"]').is_visible()
    page.evaluate("window.__notReloaded = true")
    page.locator('a[data-by="api_key"]').click()
    page.wait_for_url("**by=api_key")
    page.wait_for_function("!!document.querySelector('a[data-by=api_key].active')")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("table.usage-parts th").first.inner_text() == "API key"
