"""Message text as Markdown in Pretty mode: parsed by markdown-it-py, sanitized by nh3, in
bounded time.

Logged text is untrusted. Three layers keep it inert:
- markdown-it-py runs with raw HTML off (`html: False`): a `<script>` or `<img onerror>` in a
  message is text, escaped, and its link validator drops `javascript:`, `vbscript:`, `file:`
  and `data:` links (they stay as text);
- nh3 (the Ammonia sanitizer) then keeps only the tags and attributes listed below, links to
  http, https and mailto only (never relative ones, which would point into the console),
  each with rel="noopener nofollow", and classes only from our own short list;
- the site's CSP forbids inline script and style whatever gets through.

No image is ever loaded: an image is written as its alt text and address, as the media parts
of a message are. Headings are moved three levels down (# is an <h4>), so a message never
outranks the page's own headings.

Search marks go in after sanitizing, on text nodes only (logs.search.mark_html): no attribute
value that reaches it holds a "<" or ">", so its tag-splitting is exact.

Which texts: a text is rendered as Markdown when it shows Markdown's syntax (a fence, a
heading, a list, a table, a quote, bold, inline code, a link); anything else keeps the plain
view it always had, where every space and line break is shown as sent. Markdown rendering
keeps single line breaks too (`breaks: True`), as chat UIs do.
"""

import re
from typing import NamedTuple

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from pygments.token import STANDARD_TYPES

from logs import search
from logs.formats import clean_text

from .highlight import MARKDOWN_LIMIT, fence_language, highlight_fence

# Where Markdown's syntax is seen in a text. Single * and _ are left out on purpose: alone they
# are as likely arithmetic (2*3*4) or snake_case as emphasis. The line-start signs share one
# "^": the search tries each position once for all of them.
_MARKDOWN_SIGNS = re.compile(
    r"^ {0,3}(?:"
    r"`{3}|~{3}"  # a fence
    r"|#{1,6}[ \t]+\S"  # a heading
    r"|(?:[-*+]|\d{1,9}[.)])[ \t]+\S"  # a list item
    r"|>"  # a quote
    r"|\|?[ \t]*:?-{3,}:?[ \t]*\|"  # a table's delimiter row
    r")"
    r"|\*\*\S|__\S|~~\S"  # bold, strikethrough
    # Inline code, a link: no class spans their opening character, so each match attempt
    # stops at the next one and the search stays linear on a run of them.
    r"|`[^`\n]+`"
    r"|\[[^\[\]\n]+\]\(",
    re.MULTILINE,
)
# Whether a text is Markdown is told from its start: a text whose first this many characters
# show none of it is plain text.
_SIGN_SAMPLE = 20_000
# A longer text is not parsed at all (the details page shows bodies up to 1 MB).
MARKDOWN_MAX_CHARS = 100_000
# What markdown-it-py reacts to: its inline rules' terminators (markdown_it.parser_inline),
# line breaks among them, and the pipes of tables. The budget counts these (highlight.py).
_MARKUP = re.compile(r"[\n!#$%&*+\-:<=>@\[\\\]^_`{}~|]")

_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "div", "span",
}  # fmt: skip
_ALIGN = {"align-left", "align-center", "align-right"}
# Pygments' own classes (its formatter writes nothing else), and ours.
_PYGMENTS_CLASSES = {c for c in STANDARD_TYPES.values() if c}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    # "*": nothing on every tag (Ammonia's default would keep title and lang).
    attributes={"*": set(), "a": {"href"}, "ol": {"start"}, "div": {"data-language"}},
    tag_attribute_values={"div": {"tabindex": {"0"}}},
    allowed_classes={
        "div": {"highlight", "code-block", "md-table"},
        "pre": {"plain-code"},
        "span": _PYGMENTS_CLASSES | {"md-image"},
        "th": _ALIGN,
        "td": _ALIGN,
    },
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel="noopener nofollow",
    strip_comments=True,
    # mark_html splits markup at "<" and ">": a value holding either is dropped, not kept.
    attribute_filter=lambda tag, name, value: None if "<" in value or ">" in value else value,
)


class Rendered(NamedTuple):
    """html: the sanitized Markdown, or None to show the text as plain text (not Markdown, or
    over the budget); note: why a Markdown text is shown as plain text."""

    html: SafeString | None
    note: str | None = None


def render_markdown(text, budget, query=None):
    """A message text as sanitized HTML, the search query's terms marked, when it looks like
    Markdown and fits the budget's Markdown characters (logs.detail.highlight.HighlightBudget)."""
    text = clean_text(text)
    if not _MARKDOWN_SIGNS.search(text, 0, _SIGN_SAMPLE):
        return Rendered(None)
    if len(text) > MARKDOWN_MAX_CHARS:
        return Rendered(
            None,
            _(
                "Shown as plain text: longer than the %(limit)s characters Pretty mode renders "
                "as Markdown."
            )
            % {"limit": f"{MARKDOWN_MAX_CHARS:,}"},
        )
    if not budget.take_markdown(len(_MARKUP.findall(text))):
        return Rendered(
            None,
            _(
                "Shown as plain text: Pretty mode renders Markdown up to %(limit)s characters "
                "of its syntax per section, and this text goes past them."
            )
            % {"limit": f"{MARKDOWN_LIMIT:,}"},
        )
    tokens = _MD.parse(text)
    _adjust(tokens)
    markup = _CLEANER.clean(_MD.renderer.render(tokens, _MD.options, {"budget": budget}))
    if query is not None:
        return Rendered(search.mark_html(markup, query))
    return Rendered(mark_safe(markup))  # noqa: S308 - sanitized by nh3 just above


def _adjust(tokens):
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 3)}"
        elif token.type in ("th_open", "td_open") and "style" in token.attrs:
            # The CSP allows no style attribute: a column's alignment becomes a class.
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrs["class"] = f"align-{align}"


def _fence(renderer, tokens, idx, options, env):
    token = tokens[idx]
    language = fence_language(unescapeAll(token.info).strip())
    code = token.content.removesuffix("\n")
    highlighted = highlight_fence(code, language, env["budget"])
    inner = highlighted or f'<pre class="plain-code">{escapeHtml(code)}</pre>'
    data = f' data-language="{escapeHtml(language)}"' if language else ""
    # Focusable: a long line scrolls inside the block, and a keyboard must reach it.
    return f'<div class="code-block" tabindex="0"{data}>{inner}</div>\n'


def _code_block(renderer, tokens, idx, options, env):
    code = escapeHtml(tokens[idx].content.removesuffix("\n"))
    return f'<div class="code-block" tabindex="0"><pre><code>{code}</code></pre></div>\n'


def _image(renderer, tokens, idx, options, env):
    # Never loaded: the alt text and the address, as text.
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    src = escapeHtml(str(token.attrs.get("src", "")))
    return f'<span class="md-image">[image: {escapeHtml(alt)}] {src}</span>'


def _table_open(renderer, tokens, idx, options, env):
    # A wide table scrolls inside its own box, which a keyboard can focus to scroll.
    return '<div class="md-table" tabindex="0"><table>\n'


def _table_close(renderer, tokens, idx, options, env):
    return "</table></div>\n"


_MD = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)
for _rule, _function in [
    ("fence", _fence),
    ("code_block", _code_block),
    ("image", _image),
    ("table_open", _table_open),
    ("table_close", _table_close),
]:
    _MD.add_render_rule(_rule, _function)
