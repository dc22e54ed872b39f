"""What only a browser shows on the details page: Pretty/JSON and data-source switching
through htmx, the Copy button's clipboard, and logged content that never runs as script."""

import json
from pathlib import Path

import pytest

from tests.factories import (
    ACCOUNT_A,
    ACCOUNT_B,
    EXAMPLE_TEXT,
    KEY_B,
    example_record,
    make_record,
    store,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAYLOADS = Path(__file__).parent.parent / "payloads"

HOSTILE = [
    "<script>window.__pwned = 1; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">",
    '[click me](javascript:window.__pwned=3) <a href="javascript:window.__pwned=3">link</a>',
    "</textarea><script>window.__pwned = 4</script>",
    "</script><script>window.__pwned = 5</script>",
    "```html\n</pre><script>window.__pwned = 6</script>\n```",
    '<svg onload="window.__pwned = 7"></svg><iframe src="javascript:alert(8)"></iframe>',
]


def _payload(name):
    text = (PAYLOADS / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture
def full(prices, owner):
    record = example_record()
    record["stages"] = {
        "user_request": {
            "headers": {"content-type": "application/json"},
            "body": _payload("openai_chat_request.json"),
        },
        "origin_request": {
            "headers": {"anthropic-version": "2023-06-01"},
            "body": _payload("anthropic_request.json"),
        },
        "origin_response": {"headers": {}, "body": _payload("anthropic_stream.txt")},
        "user_response": {"headers": {}, "body": _payload("openai_chat_stream.txt")},
    }
    return store(record)[0]


@pytest.fixture
def hostile(prices, owner):
    text = "\n".join(HOSTILE)
    hostile_headers = {"x-note": HOSTILE[0], "x-img": HOSTILE[1]}
    messages = [
        {"role": "system", "content": text},
        {"role": "user", "content": text},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "<script>x</script>",
                        "arguments": json.dumps({"html": HOSTILE[3]}),
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": HOSTILE[4]},
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "javascript:alert(9)"}}],
        },
    ]
    response = {
        "id": "x",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
    }
    sse = (
        "".join(
            f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': h}}]})}\n\n"
            for h in HOSTILE
        )
        + "data: [DONE]\n\n"
    )
    record = make_record(
        generationId="HOSTILE1",
        model=HOSTILE[0],
        finishReason="<b>stop</b>",
        hostileExtra=HOSTILE[2],
        stages={
            "user_request": {
                "headers": hostile_headers,
                "body": {"model": "m", "messages": messages},
            },
            "origin_request": {"headers": hostile_headers, "body": text},
            "origin_response": {"headers": {}, "body": response},
            "user_response": {"headers": {}, "body": sse},
        },
    )
    return store(record)[0]


def test_toggle_pretty_and_json_and_switch_each_data_source(login_page, full, live_server):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/{full.generation_id}/")
    page.evaluate("window.__notReloaded = true")
    request = page.locator('[data-section="request"]')
    assert request.locator(".msg-user").first.is_visible()

    page.get_by_test_id("view-json").click()
    page.wait_for_url("**view=json**")
    page.wait_for_selector('[data-section="request"] h3:text("Headers")')
    assert page.get_by_test_id("view-json").get_attribute("aria-selected") == "true"

    for section, stage, marker in [
        ("request", "origin_request", "anthropic-version"),
        ("request", "user_request", "content-type"),
        ("response", "origin_response", "event: message_start"),
        ("response", "user_response", "data: {"),
    ]:
        page.locator(f'[data-section="{section}"] [data-stage="{stage}"]').click()
        page.wait_for_url(f"**{section}_stage={stage}**")
        page.wait_for_function(
            f"document.querySelector('[data-section=\"{section}\"]').innerText"
            f".includes({json.dumps(marker)})"
        )
        active = page.locator(f'[data-section="{section}"] .stage-switch a.active')
        assert active.get_attribute("data-stage") == stage

    page.get_by_test_id("view-pretty").click()
    page.wait_for_url("**view=pretty**")
    page.wait_for_selector('[data-section="response"] .msg-assistant')
    assert "response_stage=user_response" in page.url
    assert page.evaluate("window.__notReloaded") is True

    page.go_back()
    page.wait_for_url("**view=json**")
    page.wait_for_selector('[data-section="request"] h3:text("Headers")')


def test_copy_button_puts_exactly_the_raw_metadata_on_the_clipboard(login_page, full, live_server):
    page = login_page("owner", permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/logs/{full.generation_id}/")
    button = page.get_by_test_id("copy-raw-metadata")
    button.click()
    page.wait_for_function(
        "document.querySelector('[data-testid=copy-raw-metadata]').textContent === 'Copied'"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    api = page.request.get(f"{live_server.url}/api/v1/generation?id={full.generation_id}")
    assert copied == api.text()
    assert json.loads(copied) == json.loads(EXAMPLE_TEXT)


def test_hostile_payloads_render_as_text_and_never_run(login_page, hostile, live_server):
    page = login_page("owner")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    urls = [
        f"/logs/HOSTILE1/?view={view}&request_stage={rs}&response_stage={ps}"
        for view in ("pretty", "json")
        for rs, ps in (("user_request", "user_response"), ("origin_request", "origin_response"))
    ]
    urls.append("/logs/?range=all")
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined", url
        assert page.locator("script:not([src])").count() == 0, url
        assert page.locator("img, iframe, svg[onload]").count() == 0, url
        assert page.locator('a[href^="javascript:"]').count() == 0, url
        if url.startswith("/logs/HOSTILE1"):
            # The payload is there as visible text, not swallowed.
            assert "window.__pwned" in page.locator("#conversation").inner_text(), url
    # Clicking around the swapped panels runs nothing either.
    page.goto(f"{live_server.url}/logs/HOSTILE1/")
    page.get_by_test_id("view-json").click()
    page.wait_for_url("**view=json**")
    page.get_by_test_id("copy-raw-metadata").click()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []


@pytest.fixture
def two_accounts(prices, owner, outsider):
    """The owner in account A ("Alpha", the default) and B ("Beta"), a generation in each."""
    from billing.models import Account, Membership

    Account.objects.filter(external_id=ACCOUNT_A).update(name="Alpha")
    Account.objects.filter(external_id=ACCOUNT_B).update(name="Beta")
    Membership.objects.create(
        user=owner, account=Account.objects.get(external_id=ACCOUNT_B), role="owner"
    )
    store(
        make_record(generationId="IN-A"),
        make_record(generationId="IN-B", accountId=ACCOUNT_B, apiKeyId=KEY_B),
    )


def _switch_in_header(page, name):
    with page.expect_navigation():
        page.locator("header.topbar").get_by_label("Account").select_option(label=name)


def test_switching_account_on_a_generation_goes_to_the_new_accounts_list(
    login_page, two_accounts, live_server
):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/IN-A/?range=all")
    assert page.get_by_test_id("generation-account").inner_text() == "Alpha"
    assert page.get_by_test_id("other-account-note").count() == 0

    _switch_in_header(page, "Beta")
    assert page.url == f"{live_server.url}/logs/"
    rows = page.locator("table.logs > tbody > tr")
    assert [r.get_attribute("id") for r in rows.all()] == ["g-IN-B"]

    # A's generation still opens (it is the owner's), and says whose it is; switching to
    # its own account there stays on it.
    page.goto(f"{live_server.url}/logs/IN-A/")
    assert page.get_by_test_id("generation-account").inner_text() == "Alpha"
    assert "account Alpha" in page.get_by_test_id("other-account-note").inner_text()
    _switch_in_header(page, "Alpha")
    assert page.url == f"{live_server.url}/logs/IN-A/"
    assert page.get_by_test_id("other-account-note").count() == 0
