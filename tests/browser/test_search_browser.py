"""The text search in a browser: typing a query swaps the list and pushes its URL, excerpts
mark the matches, the details page opened from a result marks them in Pretty mode, and
neither a q of <script>alert(1)</script> nor a stored prompt holding a script ever runs."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCRIPT = "<script>alert(1)</script>"
HOSTILE_PROMPT = (
    f"Why did {SCRIPT} not run in my widget, while "
    '<img src=x onerror="window.__pwned = 1; alert(2)"> did? Also: umbrella.'
)


def _chat(user, answer):
    return {
        "user_request": {
            "headers": {},
            "body": {"model": "gpt-4.1", "messages": [{"role": "user", "content": user}]},
        },
        "user_response": {
            "headers": {},
            "body": {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "gpt-4.1",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": answer},
                    }
                ],
            },
        },
    }


@pytest.fixture
def searchable(prices, owner):
    now = datetime.now(UTC)
    return store(
        make_record(
            generationId="HOSTILEPROMPT",
            createdAt=(now - timedelta(minutes=1)).isoformat(),
            stages=_chat(HOSTILE_PROMPT, f"Inserted {SCRIPT} never runs; onerror does."),
        ),
        make_record(
            generationId="PLAINUMBRELLA",
            createdAt=(now - timedelta(minutes=2)).isoformat(),
            stages=_chat("Do I need an umbrella in Berlin?", "Yes, it will rain."),
        ),
        make_record(
            generationId="NOMATCH",
            createdAt=(now - timedelta(minutes=3)).isoformat(),
            stages=_chat("Summarise the incident", "Done."),
        ),
    )


def _watch(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def test_a_script_as_q_and_a_script_in_a_prompt_never_run(login_page, searchable):
    page = login_page("owner")
    dialogs = _watch(page)
    page.fill("#id_q", SCRIPT)
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=*")
    page.wait_for_function("document.querySelectorAll('tbody tr[id]').length === 1")
    assert parse_qs(urlparse(page.url).query)["q"] == [SCRIPT]
    excerpt = page.locator("[data-testid=excerpt]")
    assert excerpt.count() == 1
    marks = excerpt.locator("mark")
    assert marks.first.inner_text() == SCRIPT
    assert SCRIPT in excerpt.inner_text()
    assert page.input_value("#id_q") == SCRIPT
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # The same URL as a full page (a reload, a shared link).
    page.reload()
    assert page.locator("[data-testid=excerpt] mark").first.inner_text() == SCRIPT
    assert page.input_value("#id_q") == SCRIPT

    page.locator("tbody tr[id] td.action a").first.click()
    page.wait_for_url("**/logs/HOSTILEPROMPT/**")
    conversation = page.locator("#conversation")
    assert conversation.locator("mark").count() >= 2  # the prompt's and the answer's
    assert SCRIPT in conversation.inner_text()
    assert "onerror" in conversation.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#conversation script, #conversation img").count() == 0
    assert dialogs == []


def test_searching_swaps_the_list_marks_matches_and_keeps_q_in_links(
    login_page, searchable, live_server
):
    page = login_page("owner")
    dialogs = _watch(page)
    page.fill("#id_q", "umbrella")
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=umbrella*")
    page.wait_for_function("document.querySelectorAll('tbody tr[id]').length === 2")
    assert page.locator("[data-testid=excerpt] mark").all_inner_texts() == ["umbrella", "umbrella"]
    href = page.locator("tbody tr[id] td.action a").nth(1).get_attribute("href")
    assert "q=umbrella" in href

    page.goto(live_server.url + href)
    assert page.locator("#conversation mark").first.inner_text() == "umbrella"
    # Newer/older stay among the matches.
    assert (
        page.locator("[data-testid=newer]").get_attribute("href").startswith("/logs/HOSTILEPROMPT/")
    )
    assert page.locator("[data-testid=older]").count() == 0
    # Pretty -> JSON -> Pretty through htmx keeps q, and the marks.
    page.click("[data-testid=view-json]")
    page.wait_for_url("**view=json*")
    assert page.locator("#conversation mark").count() == 0
    page.click("[data-testid=view-pretty]")
    page.wait_for_url("**view=pretty*")
    assert "q=umbrella" in page.url
    assert page.locator("#conversation mark").count() >= 1
    assert dialogs == []


def test_a_bad_query_shows_its_error(login_page, searchable):
    page = login_page("owner")
    page.fill("#id_q", '"unclosed phrase')
    page.press("#id_q", "Enter")
    page.wait_for_selector(".form-errors")
    assert "closing quote" in page.locator(".form-errors").inner_text()
    assert page.locator("tbody tr[id]").count() == 0
