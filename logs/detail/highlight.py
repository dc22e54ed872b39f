"""Syntax highlighting for the details page, with Pygments, in bounded time.

Logged content is untrusted and full of HTML and script. The only markup that leaves this
module is what Pygments' HtmlFormatter produces: it escapes every character of the source
(&, <, >, " and ') and adds only its own <div>/<pre>/<span class> tags. Plain text is never
turned into HTML here; the template autoescapes it. The formatter uses CSS classes, not
style attributes, because the site's CSP has no 'unsafe-inline' for styles
(static/zenlogs/pygments.css holds the rules).

Pygments is a regex engine in pure Python, slow on large inputs (bench/README.md), so the work is
capped: each call highlights at most `limit` characters, and a HighlightBudget caps the total
across everything rendered from one conversation (and the Markdown rendered from it).
"""

import json
import re
from functools import lru_cache
from typing import NamedTuple

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer, TextLexer, get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound

from logs.formats import clean_text

DEFAULT_LIMIT = 200_000
# markdown-it-py's time goes into the characters its rules react to (line breaks and the
# punctuation of its syntax), not into runs of plain text, which one regex skips: real Markdown
# has a few in a hundred, adversarial text (a run of "![") nothing else. So Markdown is bounded
# by those characters, per section (bench/README.md, "Markdown in Pretty mode").
MARKDOWN_LIMIT = 4_000
# guess_lexer runs every lexer's analyse_text over the sample, so the sample is kept short.
GUESS_SAMPLE = 20_000
# Below this analyse_text score a guess is mostly noise (JavaScript guessed as GDScript at 0.2):
# plain text reads better than wrong colours.
GUESS_MIN_SCORE = 0.3


# One shared formatter: building one costs more than highlighting a short block, and format()
# only fills a cache of span openers that is the same whichever thread fills it.
_FORMATTER = HtmlFormatter(cssclass="highlight", noclasses=False)


def _pygments(code, lexer):
    try:
        html = highlight(code, lexer, _FORMATTER)
    except Exception:
        # Lexers turn what they cannot read into Error tokens; should one still fail on some
        # input, the page shows the text uncoloured rather than failing.
        html = highlight(code, TextLexer(), _FORMATTER)
    # Safe: Pygments escapes the whole source text and emits only its own tags with classes.
    return mark_safe(html)  # noqa: S308


class HighlightBudget:
    """Characters of highlighting left for one page (or one conversation on it), and apart
    from those, characters of Markdown syntax left to render (logs.detail.markdown). Each
    block or text is done whole or not at all: one that does not fit is shown as plain
    text."""

    def __init__(self, limit=DEFAULT_LIMIT, markdown_limit=MARKDOWN_LIMIT):
        self.remaining = limit
        self.markdown_remaining = markdown_limit

    def take(self, size):
        if size > self.remaining:
            return False
        self.remaining -= size
        return True

    def take_markdown(self, markup):
        if markup > self.markdown_remaining:
            return False
        self.markdown_remaining -= markup
        return True


def highlight_json(text, limit=DEFAULT_LIMIT):
    """JSON text as Pygments HTML; only the first `limit` characters (the caller says so)."""
    return _pygments(clean_text(text[:limit]), JsonLexer())


def highlight_code(code, language=None, limit=DEFAULT_LIMIT):
    """Code as Pygments HTML, with the fence's language when Pygments knows it, else a guess
    from the first GUESS_SAMPLE characters; only the first `limit` characters."""
    code = clean_text(code[:limit])
    return _pygments(code, _lexer_for(code, language))


def highlight_json_within(text, budget):
    """highlight_json if the whole text fits the budget, else None (show it as plain text)."""
    if not text or not budget.take(len(text)):
        return None
    return highlight_json(text, len(text))


class Segment(NamedTuple):
    """A piece of message text. kind "text": plain text, for the template to autoescape.
    kind "code": a fenced block; text is its source, language the fence's info word (or None)
    and html the Pygments HTML, or None when the budget ran out (show text in a <pre>)."""

    kind: str
    text: str
    language: str | None = None
    html: SafeString | None = None


# CommonMark fences: up to three spaces, then ``` (info without backticks) or ~~~.
_FENCE_OPEN = re.compile(r"^ {0,3}(?:(`{3,})([^`\n]*)|(~{3,})([^\n]*))$", re.MULTILINE)


@lru_cache(maxsize=64)
def _fence_close(fence):
    return re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)


def render_markdown_text(text, budget=None):
    """Splits a message text into plain-text segments and fenced code blocks, highlighting the
    code. An unclosed fence runs to the end of the text, as in CommonMark."""
    budget = budget if budget is not None else HighlightBudget()
    text = clean_text(text)
    segments = []
    position = 0
    while True:
        opening = _FENCE_OPEN.search(text, position)
        if opening is None:
            break
        _add_text(segments, text[position : opening.start()])
        fence = opening.group(1) or opening.group(3)
        info = (opening.group(2) if opening.group(1) else opening.group(4)).strip()
        code_start = min(opening.end() + 1, len(text))
        closing = _fence_close(fence).search(text, code_start)
        if closing is None:
            code, position = text[code_start:], len(text)
        else:
            code, position = text[code_start : closing.start()], closing.end() + 1
        code = code.removesuffix("\n")
        language = fence_language(info)
        segments.append(Segment("code", code, language, highlight_fence(code, language, budget)))
    _add_text(segments, text[position:])
    return segments


def highlight_fence(code, language, budget):
    """A fenced block's code as Pygments HTML, with its language's lexer or a guess, or None
    when it does not fit the budget (show it as plain text)."""
    lexer = _named_lexer(language)
    # Guessing reads the sample once per lexer: it is charged as much as highlighting it.
    cost = len(code) + (min(len(code), GUESS_SAMPLE) if lexer is None else 0)
    if not code or not budget.take(cost):
        return None
    return _pygments(code, lexer or _guess_lexer(code))


def _add_text(segments, text):
    # The blank lines around a fence are its markdown spacing, not content.
    text = text.strip("\n")
    if text.strip():
        segments.append(Segment("text", text))


def fence_language(info):
    # "python", "{.python}", "py title=x.py" -> the first word, without decoration.
    word = info.split(maxsplit=1)[0] if info else ""
    word = word.strip("{}.").lower()
    return word[:40] or None


def _lexer_for(code, language):
    return _named_lexer(language) or _guess_lexer(code)


def _named_lexer(language):
    lexer_class = _lexer_class(language) if language else None
    return lexer_class() if lexer_class else None


@lru_cache(maxsize=256)
def _lexer_class(language):
    try:
        return type(get_lexer_by_name(language))
    except ClassNotFound:
        return None


def _guess_lexer(code):
    sample = code[:GUESS_SAMPLE]
    stripped = sample.lstrip()
    if stripped[:1] in ("{", "[") and len(code) <= GUESS_SAMPLE:
        try:
            json.loads(code)
            return JsonLexer()
        except (ValueError, RecursionError):
            pass
    try:
        lexer = guess_lexer(sample)
    except ClassNotFound:
        return TextLexer()
    if type(lexer).analyse_text(sample) < GUESS_MIN_SCORE:
        return TextLexer()
    return lexer
