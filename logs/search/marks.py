"""Showing a search's matches: <mark> around the terms in text and in highlighted markup, and
the excerpts the list shows under a row."""

import bisect
import html
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

from logs.models import SearchText

from .extract import fold

# Characters of text around the first match in a row's excerpt.
EXCERPT_CHARS = 160


# ----------------------------------------------------------------------------- showing


def _term_pattern(query):
    """A regex for any include term in folded text, longest first; a phrase's spaces match
    any run of whitespace (the details page shows text with its newlines)."""
    terms = sorted(query.include, key=len, reverse=True)
    parts = [r"\s+".join(re.escape(word) for word in t.split(" ")) for t in terms]
    return re.compile("|".join(parts))


def _spans(text, query):
    """(start, end) of the include terms' matches in text, in order, not overlapping."""
    return [m.span() for m in _term_pattern(query).finditer(fold(text))]


def mark_text(text, query):
    """text escaped, with every match of the query's words in <mark>. Escaped first, piece
    by piece, so the only markup is the mark tags."""
    text = str(text)
    out, last = [], 0
    for start, end in _spans(text, query):
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of the text is escaped


_TAG = re.compile(r"<[^>]*>")


def mark_html(markup, query):
    """Pygments HTML, or Markdown sanitized by nh3 (escaped text between tags whose attribute
    values hold no "<" or ">", logs.detail.markdown), with the query's matches in <mark>:
    the text nodes are read unescaped and joined, so a match split over several tokens or
    inline elements is still found, and each piece of it is marked inside its own element."""
    markup = str(markup)
    pieces = []  # (is_tag, string): tags as they are, text unescaped
    last = 0
    for tag in _TAG.finditer(markup):
        if tag.start() > last:
            pieces.append((False, html.unescape(markup[last : tag.start()])))
        pieces.append((True, tag.group()))
        last = tag.end()
    if last < len(markup):
        pieces.append((False, html.unescape(markup[last:])))
    text = "".join(s for is_tag, s in pieces if not is_tag)
    spans = _spans(text, query)
    if not spans:
        return mark_safe(markup)  # noqa: S308 - unchanged Pygments or sanitized output
    starts = [s for s, _ in spans]
    out, offset = [], 0
    for is_tag, string in pieces:
        if is_tag:
            out.append(string)
            continue
        out.append(_mark_node(string, offset, spans, starts))
        offset += len(string)
    return mark_safe("".join(out))  # noqa: S308 - the markup's own tags, its text escaped here


def _mark_node(string, offset, spans, starts):
    """One text node, escaped, with the parts that fall in any span marked."""
    out, position, end_of_node = [], 0, len(string)
    index = max(0, bisect.bisect_right(starts, offset) - 1)
    while index < len(spans) and position < end_of_node:
        start, stop = spans[index][0] - offset, spans[index][1] - offset
        if stop <= position:
            index += 1
            continue
        if start >= end_of_node:
            break
        start = max(start, position)
        out.append(escape(string[position:start]))
        out.append(f"<mark>{escape(string[start : min(stop, end_of_node)])}</mark>")
        position = min(stop, end_of_node)
        if stop <= end_of_node:
            index += 1
    out.append(escape(string[position:]))
    return "".join(out)


def excerpt(text, query, width=EXCERPT_CHARS):
    """About `width` characters of text around its first match, with the matches marked and
    everything else escaped; None when the text does not hold a match."""
    spans = _spans(text, query)
    if not spans:
        return None
    first_start, first_end = spans[0]
    start = max(0, first_start - max(0, width - (first_end - first_start)) // 2)
    end = min(len(text), max(start + width, first_end))
    start = max(0, min(start, end - width))
    marked = mark_text(text[start:end], query)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{marked}{suffix}")  # noqa: S308 - marked is escaped


def excerpts(rows, query, account_id):
    """{generation pk: excerpt HTML} for the listed rows, read from their search rows (named
    by account, time range and id, so the read stays inside the rows' partitions)."""
    if not rows:
        return {}
    times = [g.created_at for g in rows]
    texts = SearchText.objects.filter(
        account_id=account_id,
        created_at__gte=min(times),
        created_at__lte=max(times),
        generation_id__in=[g.pk for g in rows],
    ).values_list("generation_id", "text")
    found = {}
    for pk, text in texts:
        marked = excerpt(text, query)
        if marked is not None:
            found[pk] = marked
    return found
