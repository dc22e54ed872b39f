"""The list page's finished edges, as only a browser shows them: the filter buttons' counts and
the Time select's "Custom" after htmx swaps, the short URLs htmx pushes, paging back to the top
with a pager above the table, and the keyboard (Escape, the skip link), the dimmed results
while a reload runs, and a Request ID box that holds a whole id."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import KEY_A, make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def rows(prices, owner):
    return store(
        make_record(generationId="EDGE-CLAUDE", modelSlug="anthropic/claude-sonnet-4"),
        make_record(
            generationId="EDGE-GPT",
            modelSlug="openai/gpt-4.1",
            providerSlug="openai",
            finishReason="length",
        ),
    )


@pytest.fixture
def twelve(prices, owner):
    return store(*[make_record(generationId=f"EDGE-PAGE{i:02d}") for i in range(12)])


def _query(page):
    """The page's query string as (name, value) pairs, blanks kept."""
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


def _time_label(page):
    return page.locator('select[name="range"]').evaluate("s => s.selectedOptions[0].textContent")


# ----------------------------------------------------------------------------- 2.2 and 2.5


def test_a_ticked_filter_keeps_its_count_and_pushes_a_short_url(login_page, rows):
    page = login_page("owner")
    model = page.locator('details[data-filter="model"]')
    badge = model.locator("summary .count")
    expect(badge).to_be_hidden()
    model.locator("summary").click()
    page.locator('input[name="model"][value="openai/gpt-4.1"]').check()
    # One filter, one parameter: no empty fields, no default range or page size.
    expect(page).to_have_url(re.compile(r"/logs/\?model=openai%2Fgpt-4\.1$"))
    expect(page.locator("tbody tr[id]")).to_have_count(1)
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1")

    page.locator('input[name="model"][value="anthropic/claude-sonnet-4"]').check()
    expect(page.locator("tbody tr[id]")).to_have_count(2)
    expect(badge).to_have_text("2")
    assert [name for name, _ in _query(page)] == ["model", "model"]

    # Another dropdown's count is its own.
    provider = page.locator('details[data-filter="provider"]')
    provider.locator("summary").click()
    page.locator('input[name="provider"][value="openai"]').check()
    expect(page.locator("tbody tr[id]")).to_have_count(1)
    expect(provider.locator("summary .count")).to_have_text("1")
    expect(badge).to_have_text("2")

    # The same as a full load of the pushed URL draws.
    page.reload()
    expect(badge).to_have_text("2")
    expect(provider.locator("summary .count")).to_have_text("1")

    page.locator('details[data-filter="model"] summary').click()
    page.locator('input[name="model"][value="openai/gpt-4.1"]').uncheck()
    page.locator('input[name="model"][value="anthropic/claude-sonnet-4"]').uncheck()
    expect(page).to_have_url(re.compile(r"/logs/\?provider=openai$"))
    expect(badge).to_be_hidden()


def test_a_search_pushes_only_its_own_parameter(login_page, rows):
    page = login_page("owner")
    page.get_by_test_id("search").fill("hello")
    page.get_by_test_id("search").press("Enter")
    expect(page).to_have_url(re.compile(r"/logs/\?q=hello$"))
    page.locator('select[name="page_size"]').select_option("100")
    expect(page).to_have_url(re.compile(r"/logs/\?q=hello&page_size=100$"))
    page.locator('select[name="range"]').select_option("30d")
    expect(page).to_have_url(re.compile(r"/logs/\?q=hello&range=30d&page_size=100$"))
    page.locator('select[name="range"]').select_option("7d")  # the default, left out
    expect(page).to_have_url(re.compile(r"/logs/\?q=hello&page_size=100$"))


def test_time_says_custom_when_from_and_to_set_the_window(login_page, rows, live_server):
    page = login_page("owner")
    assert _time_label(page) == "Last 7 days"

    # A histogram bar is a link to its own window: a full load, with From and To.
    page.locator(".histogram-chart a").first.click()
    page.wait_for_url(re.compile(r"from=.*&to="))
    assert _time_label(page) == "Custom"
    names = [name for name, _ in _query(page)]
    assert names == ["from", "to"], page.url  # no empty or default parameters either

    # A range picked clears the dates and says so, through htmx.
    page.evaluate("window.__notReloaded = true")
    page.locator('select[name="range"]').select_option("30d")
    expect(page).to_have_url(re.compile(r"/logs/\?range=30d$"))
    assert page.locator('input[name="from"]').input_value() == ""
    assert page.locator('input[name="to"]').input_value() == ""
    assert _time_label(page) == "Last 30 days"

    # A date typed: Custom, without a reload.
    page.locator('input[name="from"]').fill("2020-01-01T00:00:00")
    expect(page).to_have_url(re.compile(r"/logs/\?from=2020-01-01T00%3A00(%3A00)?$"))
    assert _time_label(page) == "Custom"
    expect(page.locator("tbody tr[id]")).to_have_count(2)

    # Both cleared: back to the default window.
    page.locator('input[name="from"]').fill("")
    expect(page).to_have_url(re.compile(r"/logs/$"))
    assert _time_label(page) == "Last 7 days"
    assert page.evaluate("window.__notReloaded") is True

    # A full load of a window of dates.
    page.goto(f"{live_server.url}/logs/?from=2020-01-01T00:00&to=2030-01-01T00:00&range=24h")
    assert _time_label(page) == "Custom"


# ----------------------------------------------------------------------------- 2.6


def test_paging_from_below_the_table_brings_the_reader_to_the_top(login_page, twelve):
    page = login_page("owner", viewport={"width": 1280, "height": 500})
    page.goto(page.url.split("/logs/")[0] + "/logs/?page_size=5&range=7d&q=")
    # The no-JS form's empty fields are redirected away, the default range too.
    assert urlsplit(page.url).query == "page_size=5"
    top, bottom = page.locator("nav.pager-top"), page.locator("nav.pager:not(.pager-top)")
    assert top.get_by_role("link", name="Older →").get_attribute("href") == (
        bottom.get_by_role("link", name="Older →").get_attribute("href")
    )
    first_ids = page.locator("tbody tr[id]").evaluate_all("rows => rows.map(r => r.id)")

    bottom.get_by_role("link", name="Older →").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    bottom.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"/logs/\?page_size=5&cursor=[^&]+$"))
    expect(page.locator("tbody tr[id]").first).not_to_have_id(first_ids[0])
    assert abs(page.locator("#results").evaluate("e => e.getBoundingClientRect().top")) < 2
    assert page.evaluate("document.activeElement.id") == "results"

    # The pager above the table pages the same way, from where the reader is.
    top.get_by_role("link", name="Older →").click()
    expect(page.locator("tbody tr[id]")).to_have_count(2)
    expect(top.get_by_role("link", name="Newest")).to_be_visible()
    assert top.get_by_role("link", name="Older →").count() == 0
    top.get_by_role("link", name="← Newer").click()
    expect(page.locator("tbody tr[id]")).to_have_count(5)


# ----------------------------------------------------------------------------- 2.11


def test_escape_closes_a_filter_dropdown_and_returns_to_its_button(login_page, rows):
    page = login_page("owner")
    for name in ("model", "more"):
        details = page.locator(f'details[data-filter="{name}"]')
        summary = details.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(details).to_have_attribute("open", "")
        page.keyboard.press("Tab")  # into the dropdown
        assert details.evaluate("d => d.contains(document.activeElement)")
        assert page.evaluate("document.activeElement.tagName") == "INPUT"
        page.keyboard.press("Escape")
        expect(details).not_to_have_attribute("open", re.compile(".*"))
        assert summary.evaluate("s => s === document.activeElement")

    # One opened with the mouse closes too.
    page.locator('details[data-filter="provider"] summary').click()
    page.keyboard.press("Escape")
    expect(page.locator('details[data-filter="provider"]')).not_to_have_attribute(
        "open", re.compile(".*")
    )


def test_the_skip_link_leads_to_the_results(login_page, rows):
    page = login_page("owner")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    assert skip.evaluate("a => a === document.activeElement")
    assert skip.is_visible() and skip.bounding_box()["width"] > 20
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('results').contains(document.activeElement)")


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_old_results_dim_while_the_list_reloads(login_page, rows, motion):
    page = login_page("owner", reduced_motion=motion)
    results = page.locator("#results")
    assert results.evaluate("e => getComputedStyle(e).opacity") == "1"
    page.route("**/logs/?*", lambda route: (page.wait_for_timeout(800), route.continue_()))
    page.locator('select[name="range"]').select_option("30d")
    expect(results).to_have_class(re.compile(r"\bhtmx-request\b"))
    page.wait_for_timeout(400)  # past the fade's delay and length
    assert results.evaluate("e => getComputedStyle(e).opacity") == "0.5"
    duration = results.evaluate("e => getComputedStyle(e).transitionDuration")
    assert (duration == "0s") == (motion == "reduce")
    page.wait_for_url("**range=30d*")
    expect(results).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    assert results.evaluate("e => getComputedStyle(e).opacity") == "1"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_request_id_box_holds_a_whole_id(login_page, rows, viewport):
    page = login_page("owner", viewport=viewport)
    box = page.locator('input[name="request_id"]')
    box.fill(KEY_A)  # 20 characters, as request ids are
    assert len(KEY_A) == 20
    fits = box.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert fits, box.evaluate("e => [e.scrollWidth, e.clientWidth]")
    right = box.evaluate("e => e.getBoundingClientRect().right")
    assert right <= viewport["width"]
