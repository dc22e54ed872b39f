"""Small screens and accessibility: at a phone's size (390 x 844 CSS pixels) no page scrolls
sideways, and axe-core finds no WCAG 2 A or AA violation on the console's pages.

axe-core comes bundled with axe-playwright-python (axe.min.js), so the audit never fetches
anything. Playwright's page.evaluate runs through the DevTools protocol, which the site's
Content-Security-Policy (script-src 'self') does not govern, so axe is injected without
bypass_csp and audits the pages exactly as they are served."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe

from billing.models import Account, Membership
from billing.settlement import credit
from tests.factories import example_record, make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = Path(__file__).parent.parent / "payloads"
PHONE = {"width": 390, "height": 844}

# The longest id the API takes (64 characters) with nothing to break a line at, and model
# and provider names longer than any real one.
LONG_ID = ("GEN" + "0123456789ABCDEFGHIJ" * 4)[:64]
LONG_MODEL = "experimental-provider/an-extremely-long-model-name-with-a-date-2025-08-22-preview"
LONG_PROVIDER = "a-provider-whose-slug-is-also-rather-long"

# Every filter set at once: the filter bar shows a count on each dropdown, and the Details
# links carry the whole query string.
FILTERS = [
    ("range", "7d"),
    ("model", LONG_MODEL),
    ("model", "anthropic/claude-sonnet-4"),
    ("model", "openai/gpt-4.1"),
    ("provider", LONG_PROVIDER),
    ("provider", "anthropic"),
    ("provider", "openai"),
    ("finish_reason", "stop"),
    ("finish_reason", "length"),
    ("page_size", "25"),
]

PAGES = {
    "list": "/logs/?" + urlencode(FILTERS),
    # A min above its max: the More filters panel opens, the error listed and the field marked.
    "list-more-filters": "/logs/?"
    + urlencode([*FILTERS, ("cost_min", "0.01"), ("cost_max", "0.001"), ("latency_max", "900")]),
    "details-pretty": f"/logs/{LONG_ID}/?view=pretty&" + urlencode(FILTERS),
    "details-json": f"/logs/{LONG_ID}/?view=json&" + urlencode(FILTERS),
    "billing": "/billing/",
    "usage": "/billing/usage/",
    "password-change": "/accounts/password/",
    # 404s in the site's layout: a generation that is not there, and an address that is not.
    "not-found-generation": f"/logs/{LONG_ID[:-1]}X/",
    "not-found": "/no/such/page/" + "a-rather-long-path-segment/" * 4,
}


def _payload(name):
    text = (PAYLOADS / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture
def busy_account(prices, owner, account_a):
    """The owner in two accounts (so the header shows the switcher), a generation with every
    stage captured and the longest id and model name, rows of several models, and a ledger."""
    second = Account.objects.create(
        external_id="2533ACzzSECOND000001", name="Research and Development, Europe West"
    )
    Membership.objects.create(user=owner, account=second)
    credit(account_a, "reward", "0.01", note="Welcome credit for trying the console")
    credit(account_a, "purchased", "25.00", note="Invoice INV-2025-000123456789 paid by card")

    record = example_record()
    record.update(
        generationId=LONG_ID, modelSlug=LONG_MODEL, providerSlug=LONG_PROVIDER, model=LONG_MODEL
    )
    record["stages"] = {
        "user_request": {
            "headers": {"content-type": "application/json", "x-request-id": LONG_ID * 2},
            "body": _payload("openai_chat_request.json"),
        },
        "origin_request": {
            "headers": {"anthropic-version": "2023-06-01"},
            "body": _payload("anthropic_request.json"),
        },
        "origin_response": {"headers": {}, "body": _payload("anthropic_stream.txt")},
        "user_response": {"headers": {}, "body": _payload("openai_chat_stream.txt")},
    }
    store(
        record,
        make_record(modelSlug="anthropic/claude-sonnet-4"),
        make_record(modelSlug="openai/gpt-4.1", providerSlug="openai", finishReason="length"),
        make_record(modelSlug=LONG_MODEL, providerSlug=LONG_PROVIDER, finishReason="length"),
    )


@pytest.fixture
def open_page(browser, live_server, login_page, busy_account):
    """Opens one of PAGES (signed in as the owner) or the sign-in page (signed out)."""
    contexts = []

    def _open(name, **context_args):
        if name == "login":
            context = browser.new_context(**context_args)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{live_server.url}/accounts/login/")
        else:
            page = login_page("owner", **context_args)
            page.goto(live_server.url + PAGES[name])
        return page

    yield _open
    for context in contexts:
        context.close()


# ----------------------------------------------------------------------------- small screens

# The elements that stick out past the right edge (and whose parent does not), for a failure
# message that says what to fix.
_OVERFLOWING = """() => {
  const width = window.innerWidth, found = [];
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    if (right > width + 0.5 && el.parentElement.getBoundingClientRect().right <= width + 0.5) {
      found.push(`<${el.tagName.toLowerCase()} class="${el.className}"> to ${right}px`);
    }
  }
  return found;
}"""


def _assert_no_sideways_scroll(page):
    scroll_width, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= width, (
        f"{page.url} scrolls sideways: {scroll_width}px wide in a {width}px window; "
        f"sticking out: {page.evaluate(_OVERFLOWING)}"
    )


def _assert_in_view(page, locator):
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], (
        f"{locator} is not within the {page.viewport_size['width']}px window: {box}"
    )


@pytest.mark.parametrize("name", ["login", *PAGES])
def test_no_page_scrolls_sideways_on_a_phone(open_page, name):
    page = open_page(name, viewport=PHONE)
    _assert_no_sideways_scroll(page)
    if name != "login":
        # The header wraps: every control in it stays on screen.
        header = page.locator("header.topbar")
        for control in [
            header.get_by_label("Account"),
            header.get_by_text("owner", exact=True),
            header.get_by_role("link", name="Change password"),
            header.get_by_role("button", name="Sign out"),
        ]:
            _assert_in_view(page, control)


def test_log_table_scrolls_in_its_box_with_details_in_view(open_page):
    page = open_page("list", viewport=PHONE)
    box = page.locator(".table-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits: nothing to test"
    links = page.locator("table.logs tbody").get_by_role("link", name="Details")
    assert links.count() == 3
    for scroll in ["e => e.scrollLeft = 0", "e => e.scrollLeft = e.scrollWidth"]:
        box.evaluate(scroll)
        for i in range(links.count()):
            _assert_in_view(page, links.nth(i))
    _assert_no_sideways_scroll(page)

    # An open filter dropdown lists long model names within the screen too.
    page.locator("details[data-filter=model] summary").click()
    option = page.get_by_label(LONG_MODEL)
    assert option.is_visible()
    _assert_in_view(page, page.locator("details[data-filter=model] .multi-options"))
    _assert_no_sideways_scroll(page)

    # A popover opens as a sheet on screen instead of being cut off by the table's box.
    page.locator("table.logs tbody").get_by_test_id("cost").first.focus()
    sheet = page.locator(".pop-panel:visible")
    assert sheet.count() == 1 and "Billing details" in sheet.inner_text()
    _assert_in_view(page, sheet)


# ----------------------------------------------------------------------------- axe-core

WCAG_A_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def _describe(violations):
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:120]}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", ["login", *PAGES])
def test_axe_finds_no_wcag_a_or_aa_violations(open_page, name):
    page = open_page(name, viewport=PHONE)
    assert "script-src 'self'" in page.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    for viewport in [PHONE, {"width": 1280, "height": 900}]:
        page.set_viewport_size(viewport)
        violations = Axe().run(page, options=WCAG_A_AA).response["violations"]
        assert not violations, (
            f"axe-core: {len(violations)} WCAG 2 A/AA violation(s) on {page.url} at "
            f"{viewport['width']}x{viewport['height']}:\n{_describe(violations)}"
        )
