"""The 403 and 500 pages in a browser: in the site's layout, with a way back that works, no
sideways scroll at 390 px, and no WCAG 2 A/AA violation from axe-core at 390 and 1280 px. The
404s are among tests/browser/test_accessibility_browser.py's PAGES; an htmx request that gets
one leaves the page as it was."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_accessibility_browser import (
    PHONE,
    WCAG_A_AA,
    _assert_no_sideways_scroll,
    _describe,
)
from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _assert_accessible_everywhere(page):
    for viewport in [PHONE, {"width": 1280, "height": 900}]:
        page.set_viewport_size(viewport)
        if viewport == PHONE:
            _assert_no_sideways_scroll(page)
        violations = Axe().run(page, options=WCAG_A_AA).response["violations"]
        assert not violations, (
            f"axe-core: {len(violations)} WCAG 2 A/AA violation(s) on {page.url} at "
            f"{viewport['width']}px:\n{_describe(violations)}"
        )


def _go_back(page, to_heading):
    back = page.get_by_role("link", name="Back to the previous page")
    expect(back).to_be_visible()
    back.click()
    expect(page.get_by_role("heading", name=to_heading, exact=True)).to_be_visible()


def test_a_refused_form_is_a_403_in_the_layout(login_page, live_server, owner):
    page = login_page("owner", viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/password/")
    # The form's CSRF token no longer matches (as after signing in again in another tab).
    page.locator('main input[name="csrfmiddlewaretoken"]').evaluate("e => e.value = 'x'.repeat(64)")
    page.get_by_label("Old password").fill("pw")
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password confirmation").fill("a new long passphrase")
    page.locator("main").get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    assert "Reload the page and send the form again." in page.inner_text("main")
    nav = page.locator("nav.mainnav")
    for name in ("Logs", "Billing", "Usage"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    _assert_accessible_everywhere(page)
    _go_back(page, "Change password")


@pytest.mark.urls("tests.site.error_urls")
def test_a_server_error_is_a_500_in_the_layout(login_page, live_server, owner):
    page = login_page("owner", viewport=PHONE)
    # Followed from the list, as a link would be: the way back leads there.
    with page.expect_navigation() as navigation:
        page.evaluate("location.href = '/test-errors/500/'")
    assert navigation.value.status == 500
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(page.locator("header.topbar").get_by_role("link", name="ZenLogs")).to_be_visible()
    site = page.get_by_role("navigation", name="Site")
    for name in ("Logs", "Billing", "Usage"):
        expect(site.get_by_role("link", name=name)).to_be_visible()
    _assert_accessible_everywhere(page)
    _go_back(page, "Logs")
    assert page.url.endswith("/logs/")


def test_a_404_in_a_new_tab_offers_no_previous_page(login_page, live_server, owner):
    context = login_page("owner").context
    page = context.new_page()
    page.goto(f"{live_server.url}/logs/NO-SUCH-ID/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the logs")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the previous page")).to_be_hidden()


def test_an_htmx_request_that_404s_leaves_the_results_as_they_were(login_page, owner):
    store(make_record(generationId="STAYS-PUT"))
    page = login_page("owner")
    before = page.inner_html("#results")
    failed = page.evaluate(
        """() => new Promise(resolve => {
          document.body.addEventListener("htmx:responseError",
            e => resolve(e.detail.xhr.status), {once: true});
          htmx.ajax("GET", "/logs/NO-SUCH-ID/", {target: "#results"});
        })"""
    )
    assert failed == 404
    assert page.inner_html("#results") == before
    assert page.locator("#results .error-page, #results header").count() == 0
