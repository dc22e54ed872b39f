"""Markdown in Pretty mode, in a browser: hostile Markdown never runs and leaves no handler
attribute on any element, and the Raw text switch swaps the conversation through htmx, keeps
the search marks, and works without JavaScript."""

import pytest

from tests.detail.test_markdown import ANSWER, HOSTILE
from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each of these would set the flag, or open a dialog, if any of it ran.
FLAGGED = [
    "- [x](javascript:window.__pwned=1) <javascript:window.__pwned=2>",
    '- <img src=x onerror="window.__pwned=3"> ![a" onerror="window.__pwned=4](x.png)',
    '```" onclick="window.__pwned=5"\ncode\n```',
    '- [t](https://ok.test "a\\" onmouseover=\\"window.__pwned=6")',
    "- [u](&#106;avascript:window.__pwned=7) [v](JaVaScRiPt:window.__pwned=9)",
    "<script>window.__pwned = 8</script>\n\n**after**",
]
HOSTILE_TEXT = "\n\n".join([*HOSTILE, *FLAGGED])

# Every element's handler attributes (onclick, onerror, ...), anywhere in the page.
_HANDLERS = """() => [...document.querySelectorAll("*")].flatMap(e =>
  [...e.attributes].filter(a => a.name.toLowerCase().startsWith("on"))
    .map(a => `<${e.tagName.toLowerCase()} ${a.name}="${a.value}">`))"""
_MARKDOWN_LINKS = """() => [...document.querySelectorAll(".markdown a")].map(a =>
  [a.getAttribute("href"), a.getAttribute("rel")])"""


def _chat(generation_id, user, answer):
    return make_record(
        generationId=generation_id,
        stages={
            "user_request": {
                "headers": {},
                "body": {"model": "m", "messages": [{"role": "user", "content": user}]},
            },
            "user_response": {
                "headers": {},
                "body": {
                    "id": "x",
                    "object": "chat.completion",
                    "model": "m",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": answer},
                        }
                    ],
                },
            },
        },
    )


@pytest.fixture
def markdown_records(prices, owner):
    return store(
        _chat("MDHOSTILE", HOSTILE_TEXT, HOSTILE_TEXT),
        _chat("MDANSWER", "Plan **it**, with an umbrella", ANSWER),
    )


def test_hostile_markdown_never_runs_and_leaves_no_handler_attribute(
    login_page, markdown_records, live_server
):
    page = login_page("owner")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for query in ("", "?q=alert", "?text=raw", "?view=json"):
        url = f"{live_server.url}/logs/MDHOSTILE/{query}"
        page.goto(url)
        page.wait_for_load_state("load")
        if query in ("", "?q=alert"):
            assert page.locator(".markdown").count() >= 2, "no Markdown rendered: nothing tested"
        # Hover every rendered element that could carry a handler.
        for element in page.locator(".markdown a, .markdown code, .markdown .code-block").all():
            element.hover()
        assert page.evaluate(_HANDLERS) == [], url
        assert page.evaluate("typeof window.__pwned") == "undefined", url
        assert page.locator("script:not([src])").count() == 0, url
        assert page.locator("img, iframe, svg, object, embed, style").count() == 0, url
        for href, rel in page.evaluate(_MARKDOWN_LINKS):
            assert href is None or href.startswith(("https://", "http://", "mailto:")), href
            assert rel == "noopener nofollow"
        # The payloads are there to read, as text.
        assert "window.__pwned" in page.locator("#conversation").inner_text(), url
    assert dialogs == []


def test_raw_text_switch_swaps_the_conversation_and_keeps_the_search_marks(
    login_page, markdown_records, live_server
):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/MDANSWER/?q=umbrella")
    page.evaluate("window.__notReloaded = true")
    response = page.locator('[data-section="response"]')
    assert response.locator(".markdown table td mark").first.inner_text() == "umbrella"
    assert response.locator(".markdown strong").first.inner_text() == "bold"
    assert page.get_by_test_id("text-markdown").get_attribute("aria-current") == "true"

    page.get_by_test_id("text-raw").click()
    page.wait_for_url("**text=raw**")
    page.wait_for_selector('[data-testid="text-raw"][aria-current="true"]')
    assert page.locator(".markdown").count() == 0
    raw = response.locator(".seg-text").inner_text()
    assert "Here is **bold**, *emphasis*" in raw
    assert "| umbrella | 3 |" in raw
    assert response.locator(".seg-text mark").first.inner_text() == "umbrella"
    assert "q=umbrella" in page.url

    page.get_by_test_id("text-markdown").click()
    page.wait_for_url(lambda url: "text=raw" not in url)
    page.wait_for_selector('[data-section="response"] .markdown strong')
    assert page.evaluate("window.__notReloaded") is True

    page.go_back()
    page.wait_for_url("**text=raw**")
    page.wait_for_selector('[data-testid="text-raw"][aria-current="true"]')
    assert page.locator(".markdown").count() == 0

    # Pretty and JSON keep the choice: back in Pretty, the text is still raw.
    page.get_by_test_id("view-json").click()
    page.wait_for_url("**view=json**")
    assert page.get_by_test_id("text-raw").count() == 0
    page.get_by_test_id("view-pretty").click()
    page.wait_for_url("**view=pretty**")
    page.wait_for_selector('[data-testid="text-raw"][aria-current="true"]')


def test_raw_text_switch_works_without_javascript(login_page, markdown_records, live_server):
    page = login_page("owner", javascript=False)
    page.goto(f"{live_server.url}/logs/MDANSWER/")
    assert page.locator('[data-section="response"] .markdown strong').count() == 1
    page.get_by_test_id("text-raw").click()
    page.wait_for_url("**text=raw**")
    assert page.locator(".markdown").count() == 0
    assert "Here is **bold**" in page.locator('[data-section="response"]').inner_text()
    page.get_by_test_id("text-markdown").click()
    page.wait_for_url(lambda url: "text=raw" not in url)
    assert page.locator('[data-section="response"] .markdown strong').count() == 1
