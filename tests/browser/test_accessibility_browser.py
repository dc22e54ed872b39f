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
SECOND_NAME = "Research and Development, Europe West"

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

# A Markdown answer wider than a phone: a table of many columns and a code line of 200
# characters, each of which must scroll inside its own box.
MARKDOWN_ANSWER = (
    "## Regions\n\nThe **numbers** by region, with `p99` in ms:\n\n"
    + "| " + " | ".join(f"region-{i} (eu-west)" for i in range(8)) + " |\n"
    + "|" + "---|" * 8 + "\n"
    + ("| " + " | ".join(f"{i * 37} ms" for i in range(8)) + " |\n") * 3
    + "\n1. first\n2. second, with a [link](https://example.test/docs)\n\n"
    + "```python\nquery = "
    + repr("SELECT " + ", ".join(f"column_{i}" for i in range(24)))
    + "\n```\n"
)  # fmt: skip

PAGES = {
    "list": "/logs/?" + urlencode(FILTERS),
    # A min above its max: the More filters panel opens, the error listed and the field marked.
    "list-more-filters": "/logs/?"
    + urlencode([*FILTERS, ("cost_min", "0.01"), ("cost_max", "0.001"), ("latency_max", "900")]),
    # Following new generations: the switch on, the live status line shown.
    "list-live": "/logs/?" + urlencode([*FILTERS, ("live", "1")]),
    "details-pretty": f"/logs/{LONG_ID}/?view=pretty&" + urlencode(FILTERS),
    "details-json": f"/logs/{LONG_ID}/?view=json&" + urlencode(FILTERS),
    "details-markdown": "/logs/MARKDOWNWIDE/?q=numbers",
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
    second = Account.objects.create(external_id="2533ACzzSECOND000001", name=SECOND_NAME)
    Membership.objects.create(user=owner, account=second, role="owner")
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
    markdown = make_record(generationId="MARKDOWNWIDE", modelSlug="openai/gpt-4o")
    markdown["stages"] = {
        "user_response": {
            "headers": {},
            "body": {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "gpt-4o",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": MARKDOWN_ANSWER},
                    }
                ],
            },
        }
    }
    store(
        record,
        markdown,
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
            header.get_by_text("Settings", exact=True),
            header.get_by_role("button", name="Sign out"),
        ]:
            _assert_in_view(page, control)


# The cells of one generation's card, by their class in logs/_row.html, and the label each
# metric shows above its value on a phone.
CARD_CELLS = ["ts", "model", "in", "out", "cost", "latency", "throughput", "finish", "action"]
CARD_LABELS = {
    "in": "Input tokens",
    "out": "Output tokens",
    "cost": "Cost (USD)",
    "latency": "Latency (ms)",
    "throughput": "Throughput (tps)",
}
_LABEL = "e => getComputedStyle(e, '::before').content"


def _assert_on_screen(page, locator):
    box = locator.bounding_box()
    size = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0, f"{locator} starts off screen: {box}"
    assert (
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]
    ), f"{locator} ends off screen ({size}): {box}"


def test_log_list_is_a_card_per_generation_on_a_phone(open_page):
    page = open_page("list", viewport=PHONE)
    cards = page.locator("table.logs > tbody > tr")
    assert cards.count() == 3
    box = page.locator(".table-scroll")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), "the list scrolls sideways"
    for i in range(cards.count()):
        card = cards.nth(i)
        _assert_in_view(page, card)
        for name in CARD_CELLS:
            cell = card.locator(f"td.{name}")
            assert cell.is_visible() and cell.inner_text().strip(), f"{name} is not shown"
            _assert_in_view(page, cell)
        for name, label in CARD_LABELS.items():
            assert card.locator(f"td.{name}").evaluate(_LABEL) == f'"{label}"'
        _assert_in_view(page, card.get_by_role("link", name="Details"))
        # Compact: the metrics share lines, three to a line, rather than one under another.
        tops = {name: card.locator(f"td.{name}").bounding_box()["y"] for name in CARD_LABELS}
        assert tops["in"] == tops["out"] == tops["cost"] < tops["latency"] == tops["throughput"]
    _assert_no_sideways_scroll(page)

    # The sort headers stay on the phone, as a bar of links above the cards.
    sort = page.locator("table.logs thead").get_by_role("link", name="Cost (USD)")
    _assert_in_view(page, sort)

    # Both popovers open from a card, by a tap or by the keyboard, whole on screen.
    first = cards.first
    first.get_by_test_id("cost").click()
    sheet = page.locator(".pop-panel:visible")
    assert sheet.count() == 1 and "Billing details" in sheet.inner_text()
    _assert_on_screen(page, sheet)
    page.keyboard.press("Escape")
    page.mouse.move(0, 0)  # the tap left the pointer hovering it
    first.get_by_test_id("input-tokens").focus()
    sheet = page.locator(".pop-panel:visible")
    assert sheet.count() == 1 and "input_cache_write_5_min" in sheet.inner_text()
    _assert_on_screen(page, sheet)
    page.keyboard.press("Escape")

    # An open filter dropdown lists long model names within the screen too.
    page.locator("details[data-filter=model] summary").click()
    option = page.get_by_label(LONG_MODEL)
    assert option.is_visible()
    _assert_in_view(page, page.locator("details[data-filter=model] .multi-options"))
    _assert_no_sideways_scroll(page)


def test_log_list_is_a_table_on_a_wide_screen(open_page):
    page = open_page("list", viewport={"width": 1280, "height": 900})
    row = page.locator("table.logs > tbody > tr").first
    assert row.evaluate("e => getComputedStyle(e).display") == "table-row"
    # One line per generation, no labels in the cells: the column headers say what they are.
    tops = {row.locator(f"td.{name}").bounding_box()["y"] for name in CARD_CELLS}
    assert len(tops) == 1
    assert row.locator("td.cost").evaluate(_LABEL) == "none"
    header = page.locator("table.logs thead th").filter(has_text="Model")
    assert header.evaluate("e => getComputedStyle(e).display") == "table-cell"


def test_the_header_fits_in_two_lines_on_a_phone(login_page, live_server, busy_account, owner):
    # The longer of the owner's two accounts is the one shown, with a long username.
    owner.username = "a.rather.long.username@example-company.com"
    owner.save()
    page = login_page(owner.username, viewport=PHONE)
    with page.expect_navigation():
        page.locator("header.topbar").get_by_label("Account").select_option(label=SECOND_NAME)
    header = page.locator("header.topbar")
    assert header.get_by_label("Account").evaluate("e => e.selectedOptions[0].text") == SECOND_NAME
    controls = [
        *(header.get_by_role("link", name=n, exact=True) for n in ["ZenLogs", "Logs", "Billing"]),
        header.get_by_role("link", name="Usage"),
        header.get_by_label("Account"),
        header.get_by_text(owner.username, exact=True),
        header.get_by_text("Settings", exact=True),
        header.get_by_role("button", name="Sign out"),
    ]
    boxes = []
    for control in controls:
        assert control.is_visible()
        _assert_in_view(page, control)
        boxes.append(control.bounding_box())
    # Lines: controls whose boxes overlap vertically share one.
    lines = []
    for box in sorted(boxes, key=lambda b: b["y"]):
        if lines and box["y"] < lines[-1]:
            lines[-1] = max(lines[-1], box["y"] + box["height"])
        else:
            lines.append(box["y"] + box["height"])
    assert len(lines) <= 2, f"the header takes {len(lines)} lines: {boxes}"
    # And its height is two lines': the tallest control (the select) twice, and the gap.
    inner, line_height, tallest, gap = header.evaluate(
        """(e, tallest) => {
          const s = getComputedStyle(e);
          return [e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom),
                  parseFloat(s.lineHeight), tallest, parseFloat(s.rowGap)];
        }""",
        max(b["height"] for b in boxes),
    )
    assert inner <= 2 * max(line_height, tallest) + gap, (
        f"the header is {inner}px tall, lines of {line_height}px (controls up to {tallest}px)"
    )
    # The settings pages and the password are in the Settings menu, which opens in view.
    header.get_by_text("Settings", exact=True).click()
    for name in ["Members", "Tokens", "Audit log", "Change password"]:
        _assert_in_view(page, header.get_by_role("link", name=name))


def test_raw_metadata_spans_both_columns_and_keeps_values_whole(open_page):
    page = open_page("details-pretty", viewport={"width": 1280, "height": 900})
    left = page.locator(".detail-left").bounding_box()
    right = page.locator(".detail-right").bounding_box()
    raw = page.get_by_test_id("raw-metadata-panel")
    box = raw.bounding_box()
    assert box["x"] == pytest.approx(left["x"], abs=1)
    assert box["x"] + box["width"] == pytest.approx(right["x"] + right["width"], abs=1)
    assert box["y"] >= max(left["y"] + left["height"], right["y"] + right["height"])
    # The long id and model name each stay on one line, at a wide screen and on a phone (where
    # a line longer than the box scrolls in it, not the page).
    for viewport in [{"width": 1280, "height": 900}, PHONE]:
        page.set_viewport_size(viewport)
        for value in [LONG_ID, LONG_MODEL]:
            token = raw.locator(".code span").filter(has_text=f'"{value}"').first
            assert token.evaluate("e => e.getClientRects().length") == 1, (
                f"{value} is broken across lines at {viewport['width']}px"
            )
    _assert_no_sideways_scroll(page)

    # Requests Counting and Multimodalities Counting are a card each.
    cards = [
        page.get_by_role("heading", name=name).locator("xpath=ancestor::section[1]")
        for name in ["Requests Counting", "Multimodalities Counting"]
    ]
    assert cards[0].get_by_text("web_search").is_visible()
    assert cards[1].get_by_text("image", exact=True).is_visible()
    assert cards[0].evaluate("(a, b) => a !== b && !a.contains(b)", cards[1].element_handle())


def test_markdown_tables_and_code_scroll_in_their_own_box(open_page):
    page = open_page("details-markdown", viewport=PHONE)
    answer = page.locator('[data-section="response"] .markdown')
    assert answer.locator("mark").first.inner_text() == "numbers"  # the search's marks
    for box in [answer.locator(".md-table"), answer.locator(".code-block")]:
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "it fits: nothing to test"
        _assert_in_view(page, box)
        box.evaluate("e => e.scrollLeft = e.scrollWidth")
        assert box.evaluate("e => e.scrollLeft") > 0
        assert box.get_attribute("tabindex") == "0"  # a keyboard can scroll it too
    _assert_no_sideways_scroll(page)


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


# ----------------------------------------------------------------------------- in Chinese

WIDE = {"width": 1440, "height": 900}


def test_in_chinese_nothing_overflows_and_axe_stays_clean(
    browser, live_server, login_page, busy_account
):
    # One signed-in context for every page (each page at both widths), the browser asking for
    # Chinese: Chinese labels are shorter but unbreakable in other places than English ones.
    signed_out = browser.new_context(locale="zh-CN", viewport=PHONE)
    pages = [(signed_out.new_page(), "/accounts/login/")]
    signed_in = login_page("owner", viewport=PHONE, locale="zh-CN")
    settings_pages = ["/settings/members/", "/settings/tokens/", "/settings/audit/"]
    pages += [(signed_in, url) for url in [*PAGES.values(), *settings_pages]]
    try:
        for page, url in pages:
            page.goto(live_server.url + url)
            assert page.evaluate("document.documentElement.lang") == "zh-hans"
            for viewport in [PHONE, WIDE]:
                page.set_viewport_size(viewport)
                _assert_no_sideways_scroll(page)
                _assert_in_view(page, page.locator("header.topbar").get_by_label("语言"))
                violations = Axe().run(page, options=WCAG_A_AA).response["violations"]
                assert not violations, (
                    f"axe-core: {len(violations)} WCAG 2 A/AA violation(s) on {page.url} in "
                    f"Chinese at {viewport['width']}px:\n{_describe(violations)}"
                )
    finally:
        signed_out.close()
