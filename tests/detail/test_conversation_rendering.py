"""Pretty mode's rendering: highlighting and the conversation partial never let markup from
a log through, and stay bounded."""

import json

import pytest
from django.template.loader import render_to_string

from logs.detail.highlight import (
    HighlightBudget,
    highlight_code,
    highlight_json,
    render_markdown_text,
)
from logs.formats import (
    OPENAI_CHAT,
    Conversation,
    Message,
    Part,
    ToolDef,
    parse_request,
    parse_response,
)
from tests.record.formats_helpers import (
    IMG_XSS,
    PAYLOADS,
    XSS,
    load,
)

# ----------------------------------------------------------------------------- highlighting


def test_highlighted_code_escapes_markup_in_the_source():
    html = highlight_code("</pre><script>alert(1)</script>", "html", 1000)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html or "&lt;</span><span" in html
    assert html.startswith('<div class="highlight"><pre>')
    assert "style=" not in html


def test_highlighted_json_uses_classes_and_escapes_strings():
    html = highlight_json('{"x": "</pre><script>alert(1)</script>"}', 1000)
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert 'class="nt"' in html
    assert "style=" not in html


def test_highlight_json_works_on_the_first_limit_characters_only():
    html = highlight_json('{"key": "' + "v" * 1000 + '"}', 20)
    assert "v" * 11 in html
    assert "v" * 12 not in html


def test_unknown_fence_language_falls_back_to_a_guess_or_plain_text():
    html = highlight_code("just some words\nand more words", "no-such-language", 1000)
    assert "just some words" in html
    shell = highlight_code("#!/bin/bash\necho hi\n", None, 1000)
    assert 'class="nb"' in shell or 'class="ch"' in shell


def test_markdown_text_splits_plain_text_and_fenced_code():
    text = "Here is <b>code</b>:\n\n```python\nprint('<script>')\n```\n\nTildes:\n~~~\nx\n~~~"
    segments = render_markdown_text(text)
    assert [s.kind for s in segments] == ["text", "code", "text", "code"]
    assert segments[0].text == "Here is <b>code</b>:"  # untouched: the template escapes it
    assert segments[1].language == "python"
    assert segments[1].text == "print('<script>')"
    assert "&lt;script&gt;" in segments[1].html
    assert "<script>" not in segments[1].html
    assert segments[3].text == "x"


def test_an_unclosed_fence_runs_to_the_end_of_the_text():
    segments = render_markdown_text("Look:\n```js\nconst a = 1;\nmore")
    assert [(s.kind, s.text) for s in segments] == [
        ("text", "Look:"),
        ("code", "const a = 1;\nmore"),
    ]


def test_a_longer_closing_fence_and_inner_backticks():
    segments = render_markdown_text("````md\n```\ninner\n```\n````\nafter")
    assert [(s.kind, s.text) for s in segments] == [
        ("code", "```\ninner\n```"),
        ("text", "after"),
    ]


def test_code_beyond_the_budget_stays_plain_text():
    budget = HighlightBudget(100)
    segments = render_markdown_text("```python\n" + "x = 1\n" * 50 + "```\n```py\ny\n```", budget)
    assert segments[0].html is None  # 300 characters, over the budget
    assert segments[1].html is not None  # small enough for what is left
    assert budget.remaining == 99


def test_markdown_on_a_large_text_is_bounded():
    text = ("Some prose.\n```python\n" + "def f():\n    return 1\n" * 500 + "```\n") * 100
    segments = render_markdown_text(text)
    # Bounded by the highlight budget, not by a clock: what is highlighted stays under it.
    highlighted = sum(len(s.text) for s in segments if s.html is not None)
    assert highlighted <= 200_000
    assert len([s for s in segments if s.kind == "code"]) == 100


# ----------------------------------------------------------------------------- template


def _hostile_conversation():
    return Conversation(
        format=OPENAI_CHAT,
        model=XSS,
        notes=[f"note {XSS}"],
        messages=[
            Message(role="system", parts=[Part(kind="text", text=f"sys {XSS}")]),
            Message(
                role="user",
                name=IMG_XSS,
                parts=[
                    Part(kind="text", text=f"{XSS} and {IMG_XSS}\n```html\n{XSS}\n```"),
                    Part(kind="image", media_type="image/png", size=12595, source="base64"),
                    Part(kind="image", text=f"https://x.test/a.png?{IMG_XSS}", source="url"),
                    Part(kind="image", media_type=IMG_XSS, size=10, source="base64"),
                ],
            ),
            Message(
                role="assistant",
                parts=[
                    Part(kind="thinking", text=f"think {XSS}"),
                    Part(
                        kind="tool_call",
                        tool_name=XSS,
                        tool_call_id="call_1",
                        arguments=json.dumps({"q": XSS}),
                    ),
                ],
            ),
            Message(
                role="tool",
                parts=[
                    Part(
                        kind="tool_result",
                        text=f"out {IMG_XSS}",
                        tool_call_id="call_1",
                        tool_name="get_weather",
                    ),  # fmt: skip
                    Part(
                        kind="tool_result",
                        text=json.dumps({"a": XSS}),
                        tool_call_id="call_2",
                        media_type="application/json",
                        is_error=True,
                    ),  # fmt: skip
                ],
            ),
        ],
        tools=[ToolDef(name=XSS, description=IMG_XSS, parameters_json=json.dumps({"d": XSS}))],
        finish_reason=XSS,
    )


def test_conversation_partial_escapes_everything_from_the_log():
    html = render_to_string("logs/_conversation.html", {"conversation": _hostile_conversation()})
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "style=" not in html
    assert "href=" not in html


def test_conversation_partial_labels_roles_tools_media_and_reasoning():
    html = render_to_string("logs/_conversation.html", {"conversation": _hostile_conversation()})
    for label in ("System", "User", "Assistant", "Tool"):
        assert f'<header class="msg-role">{label}' in html
    assert 'class="msg msg-user"' in html
    assert "[image: image/png, 12.3 KB]" in html
    assert "[image: remote URL]" in html
    assert '<span class="media-ref">https://x.test/a.png?&lt;img' in html
    assert "<summary>Tools (1)</summary>" in html
    assert "<summary>Reasoning</summary>" in html
    result_head = 'Result of <code class="tool-name">get_weather</code> <span class="call-id">'
    assert result_head + "(call_1)" in html
    assert 'Result of <code class="tool-name">unknown tool</code>' in html
    assert "tool-result-error" in html
    assert html.count('<div class="highlight">') >= 4  # html fence, arguments, result, schema


@pytest.mark.parametrize("name", sorted(p.name for p in PAYLOADS.iterdir()))
def test_every_fixture_renders(name):
    parse = parse_request if "request" in name else parse_response
    conversation = parse(load(name), "json" if name.endswith(".json") else "text")
    html = render_to_string("logs/_conversation.html", {"conversation": conversation})
    assert html.count('<section class="msg ') == len(conversation.messages)
    assert "<img" not in html
