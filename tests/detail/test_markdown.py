"""Pretty mode's Markdown: message text that is Markdown renders as Markdown, sanitized, with
search marks; plain text reads as before; the work stays bounded; and the Raw text switch
shows the text as sent."""

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from logs import search
from logs.detail import markdown
from logs.detail.highlight import MARKDOWN_LIMIT, HighlightBudget
from logs.detail.markdown import _MARKUP, render_markdown
from logs.formats import OPENAI_CHAT, Conversation, Message, Part
from tests.factories import make_record, store

ANSWER = """## Plan

Here is **bold**, *emphasis*, ~~gone~~ and `inline <code>`.

1. first
2. second

- a [link](https://example.test/docs?a=1&b=2)
- mail <mailto:ops@example.test>

| name | count |
|:-----|------:|
| umbrella | 3 |

> quoted

```python
def f():
    return "<b>"
```
"""

# The only tags and attributes sanitized Markdown may carry (logs/detail/markdown.py).
ALLOWED = {
    "p": set(), "br": set(), "hr": set(), "strong": set(), "em": set(), "s": set(),
    "del": set(), "code": set(), "pre": {"class"}, "blockquote": set(), "ul": set(),
    "ol": {"start"}, "li": set(), "a": {"href", "rel"}, "h4": set(), "h5": set(), "h6": set(),
    "table": set(), "thead": set(), "tbody": set(), "tr": set(), "th": {"class"},
    "td": {"class"}, "div": {"class", "tabindex", "data-language"}, "span": {"class"},
    "mark": set(),
}  # fmt: skip


class _Tags(HTMLParser):
    """Every start tag of some HTML, with its attributes, as a browser's tokenizer reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _tags(html):
    parser = _Tags()
    parser.feed(str(html))
    parser.close()
    return parser.tags


def _assert_inert(html):
    """Only allowed tags and attributes, links to http(s)/mailto with rel noopener nofollow."""
    for tag, attrs in _tags(html):
        assert tag in ALLOWED, f"<{tag}> in {html}"
        assert set(attrs) <= ALLOWED[tag], f"<{tag} {attrs}> in {html}"
        if tag == "a" and "href" in attrs:
            assert attrs["href"].split(":", 1)[0] in ("http", "https", "mailto"), html
        if tag == "a":
            assert attrs["rel"] == "noopener nofollow", html


def _markup(text):
    return _MARKUP.findall(text)


def _render(text, query=None, budget=None):
    query = search.parse_query(query) if query else None
    return render_markdown(text, budget or HighlightBudget(), query)


# ----------------------------------------------------------------------------- rendering


def test_markdown_renders_emphasis_lists_tables_links_and_code():
    html = _render(ANSWER).html
    assert "<h5>Plan</h5>" in html  # ## moves three levels down, under the page's own h3
    assert "<strong>bold</strong>" in html and "<em>emphasis</em>" in html
    assert "<s>gone</s>" in html
    assert "<code>inline &lt;code&gt;</code>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html
    assert (
        '<a href="https://example.test/docs?a=1&amp;b=2" rel="noopener nofollow">link</a>' in html
    )
    assert '<a href="mailto:ops@example.test" rel="noopener nofollow">' in html
    assert '<div class="md-table" tabindex="0"><table>' in html
    assert '<th class="align-left">name</th>' in html
    assert '<td class="align-right">3</td>' in html
    assert "<blockquote>" in html
    assert '<div class="code-block" tabindex="0" data-language="python">' in html
    assert '<span class="k">def</span>' in html  # highlighted by Pygments
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "style=" not in html
    _assert_inert(html)


def test_plain_text_is_not_markdown_and_keeps_its_plain_view():
    for text in [
        "Hello.\n\nTwo  spaces and 2*3*4 = 24, snake_case_name, a # not a heading.",
        "Line one\n    indented line two\n",
        "",
    ]:
        assert _render(text) == (None, None)


def test_single_line_breaks_are_kept():
    html = _render("**Note**\nline two\nline three").html
    assert "<strong>Note</strong><br>\nline two<br>\nline three" in html


def test_images_are_never_loaded_their_alt_text_and_address_shown_as_text():
    html = _render('**chart** ![p99 *latency*](https://cdn.example.test/a.png "t")').html
    assert "<img" not in html
    shown = "[image: p99 latency] https://cdn.example.test/a.png"
    assert f'<span class="md-image">{shown}</span>' in html
    _assert_inert(html)


def test_links_into_the_console_or_relative_ones_lose_their_address():
    html = _render("- [sign out](/accounts/logout/) and [up](../x)").html
    assert "href" not in html
    _assert_inert(html)


# ----------------------------------------------------------------------------- hostile

FENCE_INFO = '```" onclick="alert(1)" x="\nbody\n```\n\n~~~js onmouseover=alert(1) <b>\nx\n~~~'
HOSTILE = [
    # Raw HTML, as a block and inline.
    "<script>alert(1)</script>\n\n- item",
    '<div onclick="alert(1)">**x**</div>',
    '- a <img src=x onerror=alert(1)> b <svg onload=alert(1)> <iframe src="javascript:alert(1)">',
    "**x** <style>body{display:none}</style> <!-- comment --> <a href='javascript:alert(1)'>a</a>",
    # javascript: and data: links, plain and obfuscated.
    "- [a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](  javascript:alert(1))",
    "- [a](&#106;avascript:alert(1)) [b](&#x6A;avascript:alert(1)) [c](java&#x09;script:x)",
    "- [a](java\\script:alert(1)) [b](%6Aavascript:alert(1)) [c](vbscript:msgbox(1))",
    "- [a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "- [a](data:image/svg+xml,<svg onload=alert(1)>) [b](data:image/png;base64,iVBORw0K)",
    "- <javascript:alert(1)> <JAVASCRIPT:alert(1)> <data:text/html,<script>alert(1)</script>>",
    "- [ref]\n\n[ref]: javascript:alert(1)",
    "- [a](file:///etc/passwd) [b](//evil.test/x)",
    # Attribute injection through a link title, an image's alt text, a fence's info string.
    '- [a](https://ok.test "x\\" onmouseover=\\"alert(1)") [b](https://ok.test \'a" b=\'c\')',
    '- ![x" onerror="alert(1)](https://ok.test/a.png) ![a](javascript:alert(1))',
    FENCE_INFO,
    '- [x](https://ok.test/"onmouseover="alert(1)) [y](https://ok.test/<b>)',
    '| a" onclick="x | <b>b</b> |\n|---|---|\n| <script>x</script> | [c](javascript:x) |',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_renders_only_allowed_tags_and_safe_links(payload):
    rendered = _render(payload)
    assert rendered.html is not None, "not taken for Markdown: nothing tested"
    html = str(rendered.html)
    _assert_inert(html)
    lowered = html.lower()
    for needle in ("<script", "<img", "<svg", "<iframe", "<style", "javascript:alert"):
        # What stays is text: escaped, never a tag, never an address.
        assert needle not in lowered or needle == "javascript:alert", html
    assert not any(
        attrs.get("href", "").lower().startswith(("javascript", "data", "vbscript", "file"))
        for _tag, attrs in _tags(html)
    )


def test_hostile_markdown_shows_its_text_escaped():
    html = str(_render(HOSTILE[0]).html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_fence_info_string_cannot_add_attributes():
    html = str(_render(FENCE_INFO).html)
    tags = [attrs for tag, attrs in _tags(html) if tag == "div" and "code-block" in attrs["class"]]
    assert len(tags) == 2
    for attrs in tags:
        assert set(attrs) <= {"class", "tabindex", "data-language"}
        assert "<" not in attrs.get("data-language", "")


# ----------------------------------------------------------------------------- search marks


def test_search_terms_are_marked_in_rendered_markdown_and_never_in_attributes():
    html = str(_render(ANSWER + "\nSee [umbrella docs](https://umbrella.test/).", "umbrella").html)
    assert '<td class="align-left"><mark>umbrella</mark></td>' in html
    link = '<a href="https://umbrella.test/" rel="noopener nofollow"><mark>umbrella</mark> docs'
    assert link in html
    _assert_inert(html)


def test_a_phrase_split_by_emphasis_is_marked_piece_by_piece():
    html = str(_render("- it is **very** late", '"is very late"').html)
    assert "<mark>is </mark><strong><mark>very</mark></strong><mark> late</mark>" in html


def test_marks_stay_text_for_hostile_markdown():
    html = str(_render(HOSTILE[1] + " alert", "alert").html)
    _assert_inert(html)
    assert "<mark>alert</mark>" in html


# ----------------------------------------------------------------------------- bounds


def test_markdown_over_the_sections_budget_is_shown_as_plain_text_saying_so():
    budget = HighlightBudget()
    # Long runs of plain text cost nothing; the syntax characters (here the * and the line
    # breaks) are what the budget counts.
    line = "**a** " + "x" * 100 + "\n"
    first = line * ((MARKDOWN_LIMIT - 10) // 5)
    assert _render(first, budget=budget).html is not None
    assert _render("**b**", budget=budget).html is not None  # still fits what is left
    third = _render("**c** and *d* and `e`", budget=budget)
    assert third.html is None
    assert f"{MARKDOWN_LIMIT:,} characters of its syntax" in third.note
    assert _render("**c**", budget=HighlightBudget()).html is not None  # another section


def test_a_long_markdown_message_within_the_budget_renders():
    text = "## Report\n\n" + ("Plain prose, sentence after sentence. " * 50 + "\n\n") * 40
    assert len(text) > 75_000
    assert _render(text).html.count("<p>") == 40


def _never_called(*args, **kwargs):
    raise AssertionError("the parser ran")


def test_a_huge_markdown_message_is_not_parsed(monkeypatch):
    # 2 MB: parsed, it would take minutes (bench/README.md). The parser is never called.
    text = "**x** " + "![" * 1_000_000
    monkeypatch.setattr(markdown._MD, "parse", _never_called)
    rendered = _render(text)
    assert rendered.html is None
    assert "longer than the 100,000 characters" in rendered.note


@pytest.mark.parametrize("unit", ["![", "[\n", "- a\n", "a\n"])
def test_the_slowest_text_the_budget_lets_through_is_bounded(unit):
    # The worst cases found (bench/markdown.py, figures in bench/README.md): a fraction of a
    # second each there, not a clock here. A little more of the same is not parsed: the
    # budget is what bounds it.
    text = "**x**\n" + unit * (MARKDOWN_LIMIT // len(_markup(unit)) - 6)
    assert _render(text).html is not None
    assert _render(text + unit * 10).html is None


# ----------------------------------------------------------------------------- the partial


def _conversation(text, raw=False, query=None):
    conversation = Conversation(
        format=OPENAI_CHAT,
        messages=[Message(role="assistant", parts=[Part(kind="text", text=text)])],
    )
    conversation.raw_text = raw
    conversation.search_query = search.parse_query(query) if query else None
    return conversation


def test_the_partial_renders_markdown_text():
    html = render_to_string("logs/_conversation.html", {"conversation": _conversation(ANSWER)})
    assert '<div class="markdown"><h5>Plan</h5>' in html
    assert "<strong>bold</strong>" in html


def test_the_partial_shows_plain_text_as_before():
    text = "Hello <b>there</b>,\n  two spaces and 2*3*4."
    html = render_to_string("logs/_conversation.html", {"conversation": _conversation(text)})
    shown = "Hello &lt;b&gt;there&lt;/b&gt;,\n  two spaces and 2*3*4."
    assert f'<div class="seg-text">{shown}</div>' in html
    assert 'class="markdown"' not in html


def test_raw_text_shows_the_text_as_sent_with_marks():
    html = render_to_string(
        "logs/_conversation.html",
        {"conversation": _conversation(ANSWER, raw=True, query="umbrella")},
    )
    assert 'class="markdown"' not in html
    assert "<strong>" not in html and "code-block" not in html
    assert "Here is **bold**, *emphasis*" in html
    assert "```python\ndef f():" in html
    assert "| <mark>umbrella</mark> | 3 |" in html


# ----------------------------------------------------------------------------- the page


@pytest.fixture
def answered(owner):
    record = make_record(generationId="MARKDOWN1")
    record["stages"] = {
        "user_request": {
            "headers": {},
            "body": {"model": "m", "messages": [{"role": "user", "content": "Plan **it**"}]},
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
                        "message": {"role": "assistant", "content": ANSWER},
                    }
                ],
            },
        },
    }
    return store(record)[0]


def test_details_page_renders_markdown_and_links_to_raw_text(owner_client, answered):
    body = owner_client.get("/logs/MARKDOWN1/?q=umbrella").content.decode()
    assert '<td class="align-left"><mark>umbrella</mark></td>' in body
    assert "<p>Plan <strong>it</strong></p>" in body
    assert 'href="?q=umbrella&amp;text=raw"' in body
    assert 'aria-current="true" class="active" data-testid="text-markdown"' in body


def test_details_page_with_raw_text_shows_it_as_sent(owner_client, answered):
    response = owner_client.get("/logs/MARKDOWN1/?text=raw")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Plan **it**" in body and "Here is **bold**" in body
    assert "<strong>" not in body
    assert 'aria-current="true" class="active" data-testid="text-raw"' in body
    # The Markdown link drops the parameter rather than spelling out the default.
    assert '<a href="?" hx-get="?"' in body


def test_raw_text_switch_is_kept_by_the_htmx_partial(owner_client, answered):
    response = owner_client.get("/logs/MARKDOWN1/?text=raw", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Here is **bold**" in body and "<strong>" not in body
    assert "<html" not in body


def test_json_mode_has_no_text_switch(owner_client, answered):
    body = owner_client.get("/logs/MARKDOWN1/?view=json").content.decode()
    assert 'data-testid="text-raw"' not in body


def test_a_bad_text_value_is_a_400_naming_it(owner_client, answered):
    response = owner_client.get("/logs/MARKDOWN1/?text=html")
    assert response.status_code == 400
    assert "text" in response.content.decode()


def test_the_way_back_to_the_list_leaves_the_text_switch_behind(owner_client, answered):
    body = owner_client.get("/logs/MARKDOWN1/?text=raw&range=30d").content.decode()
    assert '<a href="/logs/?range=30d">← Logs</a>' in body
