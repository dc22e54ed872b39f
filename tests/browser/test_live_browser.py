"""The live list in a browser: a record stored while the list is live appears at the top
within the poll's interval, with the summary strip and the histogram's last bar; a reader down
the list gets an "N new" button instead; nothing is asked while the tab is hidden; the switch
clears what live cannot follow; without JavaScript live=1 is the ordinary list."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL_MS = 300  # the product's is 5,000 (settings.LIVE_POLL_MS)
WITHIN = 5_000  # what the product promises, in ms: many polls here


@pytest.fixture(autouse=True)
def _fast_polls(settings):
    settings.LIVE_POLL_MS = POLL_MS


def _ago(**delta):
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@pytest.fixture
def listed(prices, owner):
    return store(
        *[
            make_record(generationId=f"LIVE-{i:02d}", createdAt=_ago(minutes=i + 1))
            for i in range(3)
        ]
    )


def _strip(page, label):
    return page.locator("section.summary > div", has_text=label).locator(".value").inner_text()


def _first_row_id(page):
    return page.locator("table.logs > tbody > tr[id^='g-']").first.get_attribute("id")


def test_a_record_stored_while_live_appears_at_the_top_with_the_strip_and_the_last_bar(
    login_page, listed, live_server
):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/?live=1&range=1h")
    assert page.locator("[data-live]").is_visible()
    last_bar = page.locator("svg.histogram-chart [data-low]").last
    before = int(last_bar.get_attribute("data-requests"))
    assert _strip(page, "Requests") == "3"

    store(make_record(generationId="LIVE-NEW", createdAt=_ago(seconds=1)))
    page.locator("#g-LIVE-NEW").wait_for(timeout=WITHIN)
    assert _first_row_id(page) == "g-LIVE-NEW"
    assert page.locator("table.logs > tbody > tr").count() == 4  # the row, and nothing of it
    assert _strip(page, "Requests") == "4"
    assert page.locator(".pager .total").inner_text() == "4 requests"
    last_bar = page.locator("svg.histogram-chart [data-low]").last
    assert int(last_bar.get_attribute("data-requests")) == before + 1
    assert "1 request" in last_bar.locator("title").text_content()
    # Its cost popover came without its body, read from the server when first opened.
    page.locator("#g-LIVE-NEW").get_by_test_id("cost").hover()
    panel = page.locator("#g-LIVE-NEW .pop-panel").nth(1)
    expect(panel).to_contain_text("Fee item")
    expect(panel).to_contain_text("completion")
    # Once: the next polls do not bring it again.
    page.wait_for_timeout(3 * POLL_MS)
    assert page.locator("#g-LIVE-NEW").count() == 1


@pytest.mark.parametrize(
    ("locale", "note"),
    [("en-US", "could not be read; open Details"), ("zh-CN", "无法读取计费明细")],
)
def test_a_live_rows_popover_that_cannot_be_read_says_so_and_asks_again(
    login_page, listed, live_server, locale, note
):
    page = login_page("owner", locale=locale)
    page.goto(f"{live_server.url}/logs/?live=1&range=1h")
    answers = []

    def failing(route):
        answers.append(route.request.url)
        route.fulfill(status=503, body="")

    page.route("**/LIVE-LATE/cost", failing)
    store(make_record(generationId="LIVE-LATE", createdAt=_ago(seconds=1)))
    page.locator("#g-LIVE-LATE").wait_for(timeout=WITHIN)
    page.locator("#g-LIVE-LATE").get_by_test_id("cost").hover()
    panel = page.locator("#g-LIVE-LATE .pop-panel").nth(1)
    expect(panel).to_contain_text(note)
    # Asked again the next time it opens, and then shown.
    page.unroute("**/LIVE-LATE/cost")
    page.mouse.move(0, 0)
    page.locator("#g-LIVE-LATE").get_by_test_id("cost").hover()
    expect(panel).to_contain_text("completion")
    assert len(answers) == 1


def test_a_reader_down_the_list_gets_a_button_that_brings_the_new_rows_in(
    login_page, prices, owner, live_server
):
    store(
        *[
            make_record(generationId=f"DOWN-{i:02d}", createdAt=_ago(minutes=i + 1))
            for i in range(40)
        ]
    )
    page = login_page("owner", viewport={"width": 1280, "height": 600})
    page.goto(f"{live_server.url}/logs/?live=1")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    store(make_record(generationId="DOWN-NEW", createdAt=_ago(seconds=1)))
    button = page.get_by_role("button", name="1 new")
    button.wait_for(timeout=WITHIN)
    # The rows stayed put: the new one is not in the table, and the reader was not moved.
    assert page.locator("#g-DOWN-NEW").count() == 0
    assert page.evaluate("window.scrollY") == scrolled
    assert _strip(page, "Requests") == "41"  # the figures follow all the same

    button.click()
    assert _first_row_id(page) == "g-DOWN-NEW"
    assert button.is_hidden()
    assert page.locator("table.logs > tbody").bounding_box()["y"] < 600


def test_an_open_popover_holds_the_rows_too(login_page, listed, live_server):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/?live=1")
    page.locator("#g-LIVE-00").get_by_test_id("cost").click()  # a tap opens it
    store(make_record(generationId="POP-NEW", createdAt=_ago(seconds=1)))
    page.get_by_role("button", name="1 new").wait_for(timeout=WITHIN)
    assert page.locator("#g-POP-NEW").count() == 0
    assert page.locator("#g-LIVE-00 .pop.open").count() == 1


def test_nothing_is_asked_while_the_tab_is_hidden(login_page, listed, live_server):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/?live=1")
    polls = []
    page.on("request", lambda r: "after=" in r.url and polls.append(r.url))
    page.evaluate(
        """() => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(200)
    polls.clear()
    store(make_record(generationId="HIDDEN-NEW", createdAt=_ago(seconds=1)))
    page.wait_for_timeout(5 * POLL_MS)
    assert polls == [] and page.locator("#g-HIDDEN-NEW").count() == 0
    page.evaluate(
        """() => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.locator("#g-HIDDEN-NEW").wait_for(timeout=WITHIN)


def test_the_switch_turns_live_on_and_clears_the_sort_and_the_to_time(
    login_page, listed, live_server
):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/?sort=-cost&to=2099-01-01T00:00")
    switch = page.get_by_role("switch", name="Live")
    assert not switch.is_checked()
    switch.check()
    page.wait_for_url(re.compile(r"live=1"))
    assert "sort=" not in page.url and "to=2099" not in page.url
    page.locator("[data-live]").wait_for()
    assert page.locator("#id_to").input_value() == ""

    # A sort chosen while live turns it off, and the page says so and how to follow again.
    page.locator("th a", has_text="Cost").click()
    page.wait_for_url(re.compile(r"sort=-cost"))
    note = page.get_by_test_id("live-paused")
    assert "sorted another way" in note.inner_text()
    assert page.locator("[data-live]").count() == 0
    note.get_by_role("link", name="Follow live").click()
    page.locator("[data-live]").wait_for()
    assert "sort=" not in page.url


def test_without_javascript_live_is_the_ordinary_list(login_page, listed, live_server):
    page = login_page("owner", javascript=False)
    page.goto(f"{live_server.url}/logs/?live=1")
    assert page.locator("[data-live]").is_hidden()
    assert page.locator(".filter-live").is_hidden()
    assert page.locator("table.logs > tbody > tr[id^='g-']").count() == 3
