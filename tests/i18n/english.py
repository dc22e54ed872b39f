"""Finding English UI text in a page rendered in another language: the phrases come from the
English catalogue (the msgids of the django domain), so a string that is marked but shown
untranslated, or shown outside the translation's reach, is found by its own words.

Only what a reader sees or hears is read: text, and the title, aria-label, placeholder, alt
and data-label attributes. Logged content (bodies, headers, message text, code) is not UI
text and is skipped, as are the spec's stage names (`User -> ZenMux`), kept as they are."""

import html
import re
from html.parser import HTMLParser

from logs.models import Stage
from zenlogs.translations import LOCALE_DIR, read_catalogue

ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label", "data-approximate")
# Elements whose text is logged data, never UI text.
SKIPPED_TAGS = {"script", "style", "textarea", "pre", "code"}
DATA_CLASSES = {
    "code", "seg-text", "markdown", "raw-metadata", "tool-def-description", "conv-model",
    "msg-name", "tool-name", "call-id", "media-ref", "transcript", "conv-notes", "excerpt",
    "account-name", "username",
}  # fmt: skip
# Selects whose options are data (account names), and data marked for tests.
DATA_SELECTS = {"account"}
DATA_TESTIDS = {"generation-account"}
_PLACEHOLDER = re.compile(r"%\(\w+\)s")
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_phrases(domain="django"):
    """{phrase: msgid}: the literal parts of every message whose translation differs from it,
    without markup and placeholders (a message may be shown with its values filled in)."""
    catalogue = read_catalogue(LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")
    phrases = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue  # the same in Chinese (a term kept in English)
            text = html.unescape(re.sub(r"<[^>]+>", " ", msgid))
            for piece in _PLACEHOLDER.split(text):
                piece = piece.strip(" \t\n.,:;()“”\"'+—-→←↑↓…")
                # A piece the translation keeps (USD, Token, cURL) is not left-over English.
                if _WORD.search(piece) and not any(piece in s for s in strings):
                    phrases.setdefault(piece, msgid)
    return phrases


def phrase_pattern(phrases):
    # Longest first, whole words only ("To" is not found in "Token").
    alternatives = sorted(phrases, key=len, reverse=True)
    return re.compile(
        r"(?<![A-Za-z_])(" + "|".join(map(re.escape, alternatives)) + r")(?![A-Za-z_])"
    )


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, skipped)
        self.texts = []

    def _skipping(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        skipped = (
            self._skipping()
            or tag in SKIPPED_TAGS
            or bool(classes & DATA_CLASSES)
            or (tag == "select" and attrs.get("name") in DATA_SELECTS)
            or attrs.get("data-testid") in DATA_TESTIDS
        )
        if not self._skipping():
            self.texts.extend(attrs[a] for a in ATTRIBUTES if attrs.get(a))
        if tag not in {"input", "meta", "link", "br", "img", "hr", "source", "col", "wbr"}:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        if not self._skipping():
            attrs = dict(attrs)
            self.texts.extend(attrs[a] for a in ATTRIBUTES if attrs.get(a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.texts.append(data)


def visible_texts(page):
    parser = _Visible()
    parser.feed(page)
    stages = [str(label) for label in Stage.labels]
    texts = []
    for text in parser.texts:
        for stage in stages:
            text = text.replace(stage, " ")
        texts.append(" ".join(text.split()))
    return texts


def english_left(page, pattern):
    """[(phrase, the text it was found in)] of the page's visible English UI text."""
    texts = visible_texts(page)
    return [(found.group(1), text) for text in texts for found in pattern.finditer(text)]
