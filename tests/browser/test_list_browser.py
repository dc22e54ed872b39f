"""What only a browser shows on the list page: popovers, htmx swaps and the URL they push,
Back, and the same page working with JavaScript off."""

import re

import pytest

from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rows(prices, owner):
    return store(
        make_record(
            generationId="BR-CACHE",
            modelSlug="anthropic/claude-sonnet-4",
            nativeFeeTokens={
                "prompt": 16527,
                "completion": 95,
                "input_cache_read": 1200,
                "input_cache_write_5_min": 300,
                "input_cache_write_1_h": 40,
            },
        ),
        make_record(
            generationId="BR-OPENAI",
            modelSlug="openai/gpt-4.1",
            providerSlug="openai",
            finishReason="length",
        ),
    )


def _row(page, generation_id):
    return page.locator("tbody tr", has=page.locator(f'a[href^="/logs/{generation_id}/"]'))


def test_input_tokens_popover_shows_the_breakdown_on_hover(login_page, rows):
    page = login_page("owner")
    row = _row(page, "BR-CACHE")
    panel = row.locator(".pop-panel").first
    assert not panel.is_visible()
    row.get_by_test_id("input-tokens").hover()
    assert panel.is_visible()
    text = panel.inner_text()
    assert "prompt\n16,527" in text and "input_cache_read\n1,200" in text
    assert "input_cache_write_5_min\n300" in text and "input_cache_write_1_h\n40" in text
    assert row.get_by_test_id("input-tokens").inner_text() == "18,067"


def test_cost_popover_opens_on_keyboard_focus_and_shows_rating_details(login_page, rows):
    page = login_page("owner")
    row = _row(page, "BR-CACHE")
    row.get_by_test_id("cost").focus()
    panel = row.locator(".pop-panel").nth(1)
    assert panel.is_visible()
    text = panel.inner_text()
    assert "prompt" in text and "0.049581" in text and "completion" in text and "0.001425" in text
    page.keyboard.press("Escape")
    assert not panel.is_visible()


def test_cost_popover_opens_on_tap(login_page, rows):
    page = login_page("owner", has_touch=True, is_mobile=True)
    row = _row(page, "BR-OPENAI")
    row.get_by_test_id("cost").tap()
    assert row.locator(".pop-panel").nth(1).is_visible()


def test_subscription_cost_popover(login_page, rows, account_a):
    account_a.plan = "subscription"
    account_a.save()
    page = login_page("owner")
    row = _row(page, "BR-CACHE")
    row.get_by_test_id("cost").hover()
    assert row.locator(".pop-panel").nth(1).inner_text().strip() == (
        "Included in your subscription usage - no separate charge."
    )


def test_changing_a_filter_swaps_the_table_and_pushes_the_url(login_page, rows):
    page = login_page("owner")
    page.evaluate("window.__notReloaded = true")
    page.locator('details[data-filter="model"] summary').click()
    with page.expect_response(lambda r: "model=openai" in r.url):
        page.locator('input[name="model"][value="openai/gpt-4.1"]').check()
    page.wait_for_function("document.querySelectorAll('tbody tr[id]').length === 1")
    assert "model=openai%2Fgpt-4.1" in page.url
    assert page.evaluate("window.__notReloaded") is True
    assert _row(page, "BR-OPENAI").count() == 1

    page.go_back()
    page.wait_for_function("document.querySelectorAll('tbody tr[id]').length === 2")
    assert "model=" not in page.url


def test_pushed_url_loads_as_a_full_page(login_page, rows, live_server):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/?model=openai%2Fgpt-4.1")
    assert page.locator("#filters").count() == 1
    assert page.locator('input[name="model"][value="openai/gpt-4.1"]').is_checked()
    assert page.locator("tbody tr[id]").count() == 1


def test_filtering_and_paging_work_without_javascript(login_page, prices, owner):
    store(
        *[
            make_record(
                generationId=f"NOJS{i:03d}", modelSlug="openai/gpt-4.1", providerSlug="openai"
            )
            for i in range(30)
        ]
    )
    store(make_record(generationId="NOJS-OTHER"))
    page = login_page("owner", javascript=False)
    page.locator('details[data-filter="model"] summary').click()
    page.locator('input[name="model"][value="openai/gpt-4.1"]').check()
    page.locator('details[data-filter="model"] summary').click()  # close the dropdown
    page.locator('select[name="page_size"]').select_option("25")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/logs/?*model=openai*")
    # Redirected from the form's every field to the short URL.
    assert page.url.endswith("/logs/?model=openai%2Fgpt-4.1&page_size=25")
    assert page.locator("tbody tr[id]").count() == 25
    page.locator('a[rel="next"]').last.click()  # the pager below the table
    page.wait_for_url("**cursor=o*")
    assert page.locator("tbody tr[id]").count() == 5
    assert page.locator('a[href^="/logs/NOJS-OTHER/"]').count() == 0


def test_loading_indicator_shows_during_a_swap(login_page, rows):
    page = login_page("owner")
    page.route("**/logs/?*", lambda route: (page.wait_for_timeout(400), route.continue_()))
    page.locator('select[name="range"]').select_option("30d")
    assert page.locator("#loading").is_visible()
    page.wait_for_url("**range=30d*")
    page.wait_for_function("!document.querySelector('#loading.htmx-request')")


def test_times_follow_the_browsers_time_zone(login_page, prices, owner):
    generation = store(make_record(generationId="BR-TZ", createdAt="2025-08-22T02:49:18+00:00"))[0]
    page = login_page("owner", timezone_id="America/New_York")
    page.goto(page.url.split("/logs/")[0] + "/logs/?range=all")
    assert (
        "2025-08-21 22:49:18" in page.locator(f'[id="g-{generation.generation_id}"]').inner_text()
    )
    assert "America/New_York" in page.locator("th .tz").inner_text()


def test_a_numeric_bound_swaps_the_table_pushes_the_url_and_counts(login_page, rows):
    page = login_page("owner")
    more = page.locator('details[data-filter="more"]')
    assert more.locator("summary").inner_text().strip() == "More filters"
    more.locator("summary").click()
    cost_min = page.get_by_label("Cost (USD) Min")
    with page.expect_response(lambda r: "cost_min=0.02" in r.url):
        cost_min.fill("0.02")
        cost_min.press("Enter")
    page.wait_for_function("document.querySelectorAll('tbody tr[id]').length === 1")
    assert "cost_min=0.02" in page.url
    assert _row(page, "BR-CACHE").count() == 1  # 0.054..., BR-OPENAI costs 0.0024
    assert more.locator("summary").inner_text().strip() == "More filters (1)"

    # A negative bound is refused in the browser, before any request.
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/logs/?" in r.url else None)
    latency_max = page.get_by_label("Latency (ms) Max")
    latency_max.fill("-5")
    latency_max.press("Enter")
    page.wait_for_timeout(300)
    assert requests == [] and latency_max.evaluate("e => !e.validity.valid")
    assert more.locator("summary").inner_text().strip() == "More filters (2)"


def test_numeric_bounds_work_without_javascript(login_page, rows, live_server):
    page = login_page("owner", javascript=False)
    page.goto(f"{live_server.url}/logs/?cost_min=0.01&cost_max=0.001")
    more = page.locator('details[data-filter="more"]')
    assert more.evaluate("e => e.open")  # open on an error, listed below
    assert "cost_max: Must be at least cost_min." in page.locator(".form-errors").inner_text()
    page.get_by_label("Cost (USD) Max").fill("1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**cost_max=1*")
    assert page.locator("tbody tr[id]").count() == 1
    assert _row(page, "BR-CACHE").count() == 1
    assert more.locator("summary").inner_text().strip() == "More filters (2)"


def _ids(page):
    return page.eval_on_selector_all(
        "tbody tr[id] td.action a", "links => links.map(a => a.pathname.split('/')[2])"
    )


def test_a_sort_header_swaps_the_table_and_the_filters_keep_the_sort(login_page, rows):
    # expect() retries with Playwright's own selector engine: the page's CSP forbids the
    # string evaluation wait_for_function polls with.
    from playwright.sync_api import expect

    page = login_page("owner")
    page.evaluate("window.__notReloaded = true")
    cost = page.locator("thead th", has_text="Cost (USD)")
    expect(page.locator("thead th", has_text="Timestamp")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(cost).not_to_have_attribute("aria-sort", re.compile(".*"))
    cost.get_by_role("link").click()
    expect(cost).to_have_attribute("aria-sort", "descending")
    expect(page.locator("th[aria-sort]")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?sort=-cost$"))
    assert "↓" in cost.inner_text()
    assert _ids(page) == ["BR-CACHE", "BR-OPENAI"]  # 0.054... before 0.0024

    # A filter changed afterwards keeps the sort: the form sends it on.
    page.locator('details[data-filter="model"] summary').click()
    page.locator('input[name="model"][value="openai/gpt-4.1"]').check()
    expect(page.locator("tbody tr[id]")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"model=openai.*sort=-cost|sort=-cost.*model=openai"))
    expect(cost).to_have_attribute("aria-sort", "descending")
    page.locator('input[name="model"][value="openai/gpt-4.1"]').uncheck()
    expect(page.locator("tbody tr[id]")).to_have_count(2)

    # Clicked again: lowest first.
    cost.get_by_role("link").click()
    expect(cost).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"[?&]sort=cost(&|$)"))
    assert "↑" in cost.inner_text()
    assert _ids(page) == ["BR-OPENAI", "BR-CACHE"]
    assert page.evaluate("window.__notReloaded") is True
    page.go_back()
    expect(cost).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"sort=-cost"))
