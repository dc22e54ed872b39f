"""Text search over generations' messages: the log list's `q`.

What is searched: the message text the details page's Pretty mode shows for the request and
the response (the user stages, or the origin stages when a user stage was not captured),
read by the same parsers (logs.formats): system, user and assistant text, reasoning, tool call
names, ids and arguments, tool results, error messages, SSE streams reassembled. It is
extracted once, at ingestion, into a SearchText row (`text`, and `folded`, its lowercase).

How it matches: every term is a case-insensitive substring of that text, on both databases
alike: terms and text are lowercased here in Python, so the databases only ever compare
exact substrings of `folded`, whatever their locale. Words must all appear; a "quoted phrase"
must appear as written (runs of spaces count as one); -word and -"a phrase" must not appear.
Substrings, not words, so Chinese and Japanese (no spaces between words) are found by any two
or more characters of a sentence, and ids are found whole or in part.

How it stays fast: the index (pg_trgm GIN on PostgreSQL, FTS5 trigram on SQLite) is asked
first for the newest matching rows in the window, at most PROBE_CAP of them, in slices going
back from the window's end (newest_matches). All of the window's matches and fewer than that:
the term is rare, and the list reads just those rows, by id. More, and it is common: the list
walks the window newest first, as it does without a search, checking each row's text, and a
common term fills a page within a few hundred rows; the summary strip and the histogram count
the newest of the matches the index gave. Nothing ranks by relevance over the window. A term
of two characters has no trigram to look up; it is checked on the walk.
"""

import bisect
import contextlib
import datetime as dt
import html
import re
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import BigIntegerField, BooleanField, F, Func, OuterRef, Subquery
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .detail import SECTIONS
from .formats import ERROR, parse_request, parse_response
from .models import SearchText

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
MIN_TERM_LENGTH = 2
# The index can only look up terms of at least three characters (one trigram).
INDEXED_TERM_LENGTH = 3
# Matches the index is asked for before the list decides how to read: under this, by id.
PROBE_CAP = 2000
# The newest slice of the window that newest_matches() asks the index about first.
SAMPLE_SLICES = 16
# Characters of text kept per side (request, response): a search row stays bounded however
# long a conversation grows (an agent resends its whole history with every call).
SIDE_MAX_CHARS = 50_000
EXCERPT_CHARS = 160


class QueryError(ValueError):
    """A q that cannot be searched; the message says why, for the form."""


@dataclass(frozen=True)
class SearchQuery:
    """A parsed q: `include` terms all must appear, `exclude` terms none; both folded."""

    include: tuple
    exclude: tuple

    @property
    def indexed(self):
        """The terms the text index can look up."""
        return tuple(t for t in self.include if len(t) >= INDEXED_TERM_LENGTH)


def parse_query(text):
    """q as a SearchQuery, or None when it is blank. Raises QueryError for a query that can't
    be searched: over MAX_QUERY_LENGTH characters, an unclosed quote, a term under
    MIN_TERM_LENGTH characters, more than MAX_TERMS terms, or exclusions alone (which would
    match nearly everything, and no index can find what is absent)."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"Search for at most {MAX_QUERY_LENGTH} characters (this is {len(text)}).")
    include, exclude = [], []
    position, end = 0, len(text)
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        negate = text[position] == "-" and position + 1 < end and not text[position + 1].isspace()
        if negate:
            position += 1
        if text[position] == '"':
            close = text.find('"', position + 1)
            if close < 0:
                raise QueryError('A quoted phrase has no closing quote (").')
            term, position = text[position + 1 : close], close + 1
            if not term.strip():
                raise QueryError('A quoted phrase is empty: put words between the quotes ("").')
        else:
            stop = position
            while stop < end and not text[stop].isspace() and text[stop] != '"':
                stop += 1
            term, position = text[position:stop], stop
        term = fold(collapse_spaces(term))
        if len(term) < MIN_TERM_LENGTH:
            raise QueryError(
                f"Each search term needs at least {MIN_TERM_LENGTH} characters: "
                f"“{term}” is too short."
            )
        target = exclude if negate else include
        if term not in target:
            target.append(term)
    if len(include) + len(exclude) > MAX_TERMS:
        raise QueryError(f"Use at most {MAX_TERMS} search terms.")
    if not include:
        raise QueryError("Add a word to search for: exclusions (-word) alone match nearly all.")
    return SearchQuery(tuple(include), tuple(exclude))


# ----------------------------------------------------------------------------- text


def fold(text):
    """Lowercase, one character for one character, so a position in the folded text is the
    same position in the original (an excerpt cuts the original where the folded text
    matched). The few characters whose lowercase is longer (İ) stay as they are; a final
    sigma folds like any sigma."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.replace("ς", "σ")


def collapse_spaces(text):
    # str.split() with no separator splits on runs of Unicode whitespace, as \s+ does, in C:
    # a fifth of the regex's time on the kilobytes of text each ingested record carries.
    return " ".join(text.split())


def message_text(stages):
    """The searchable text of a generation: its request's and its response's messages, each
    read from the stage the details page shows by default (the user's own hop, else the
    origin's), by the details page's own parsers. `stages` maps a stage name to (body text,
    body format, truncated). Returns "" when nothing there reads as messages."""
    sides = []
    for key in ("request", "response"):
        options = SECTIONS[key][2]
        chosen = next((stage for stage in options if stage in stages), None)
        if chosen is None:
            continue
        body, body_format, truncated = stages[chosen]
        parse = parse_request if key == "request" else parse_response
        conversation = parse(body, body_format, truncated)
        if conversation is not None:
            side = collapse_spaces(" ".join(_conversation_texts(conversation)))
            sides.append(side[:SIDE_MAX_CHARS])
    # PostgreSQL cannot store NUL; a JSON "\u0000" inside a message decodes to one.
    return " ".join(s for s in sides if s).replace("\x00", "\ufffd")


def _conversation_texts(conversation):
    if conversation.format == ERROR:
        # An error body has no messages; its message is the note the page shows.
        yield from conversation.notes
    for message in conversation.messages:
        for part in message.parts:
            for value in (part.tool_name, part.tool_call_id, part.arguments, part.text):
                if value:
                    yield value


def search_row(generation_id, account_id, created_at, stages):
    """The SearchText row for a generation, as a tuple in ROW_FIELDS order, or None when it
    captured no message text (so no row is stored)."""
    text = message_text(stages)
    if not text:
        return None
    return (generation_id, account_id, created_at, text, fold(text))


ROW_FIELDS = ("generation", "account", "created_at", "text", "folded")


# ----------------------------------------------------------------------------- SQL


class _Matches(Func):
    """True when the folded text holds every term and none of the excluded ones: a plain
    substring test on both databases (LIKE '%term%' on PostgreSQL, where pg_trgm's index can
    serve it; instr() on SQLite)."""

    output_field = BooleanField()

    def __init__(self, column, include, exclude):
        super().__init__(F(column))
        self.include, self.exclude = tuple(include), tuple(exclude)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        conditions, values = [], []
        for terms, negate in ((self.include, False), (self.exclude, True)):
            for term in terms:
                values.extend(params)
                if connection.vendor == "postgresql":
                    conditions.append(f"{column} {'NOT ' if negate else ''}LIKE %s")
                    values.append(f"%{_like_escape(term)}%")
                else:
                    conditions.append(f"instr({column}, %s) {'=' if negate else '>'} 0")
                    values.append(term)
        if not conditions:
            return "1 = 1", []
        return "(" + " AND ".join(conditions) + ")", values


def _like_escape(term):
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _FtsMatch(Func):
    """SQLite: the row's id is among those the FTS5 trigram table finds for every term."""

    output_field = BooleanField()

    def __init__(self, column, terms):
        super().__init__(F(column))
        self.terms = tuple(terms)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        # Each term a phrase: a run of consecutive trigrams, so an exact substring.
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in self.terms)
        return (
            f"{column} IN (SELECT rowid FROM logs_searchtext_fts "  # noqa: S608 - a column
            "WHERE logs_searchtext_fts MATCH %s)",
            [*params, match],
        )


def _window(queryset, start, end):
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lt=end)
    return queryset


def probe(account_id, start, end, query, cap=PROBE_CAP, using="default", newest=False):
    """Up to cap + 1 (id, created_at) of generations in the window whose text matches, found
    through the text index (the newest of them when `newest`: all the window's matches are
    read from the index and sorted); None when no term is long enough for the index."""
    indexed = query.indexed
    if not indexed:
        return None
    rows = _window(SearchText.objects.using(using).filter(account_id=account_id), start, end)
    if connections[using].vendor == "postgresql":
        rows = rows.filter(_Matches("folded", query.include, query.exclude))
    else:
        short = [t for t in query.include if t not in indexed]
        rows = rows.filter(_FtsMatch("generation_id", indexed))
        if short or query.exclude:
            rows = rows.filter(_Matches("folded", short, query.exclude))
    if newest:
        rows = rows.order_by("-created_at", "-generation_id")
    if connections[using].vendor != "postgresql":
        with _text_index_only(using):
            return list(rows.values_list("generation_id", "created_at")[: cap + 1])
    # Times as integers: a probe returns up to thousands of rows, and Django's time-zone-aware
    # loader took a quarter of a walked search's time turning them into datetimes.
    with _text_index_only(using):
        found = list(rows.values_list("generation_id", _EpochMicros("created_at"))[: cap + 1])
    return [(pk, EPOCH + dt.timedelta(microseconds=micros)) for pk, micros in found]


class _EpochMicros(Func):
    """A timestamp as whole microseconds since 1970 (PostgreSQL: EXTRACT gives a numeric)."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Applied:
    queryset: object
    # "ids": the probe found every match, and the list reads them by id; "walk": too many to
    # list, the list walks the window checking each row's text.
    mode: str
    # For a walk, what newest() needs: the list's queryset before the text condition, the
    # search, and the probe's newest matches (with whether they are all), when it has them.
    unsearched: object = None
    query: SearchQuery = None
    account_id: int = None
    start: object = None
    end: object = None
    probed: tuple = None

    def newest(self, cap):
        """For a walk: (queryset, complete), the list's generations among the newest `cap`
        text matches in the window, and whether those are all of the window's matches; None
        when the index cannot say (no term of three characters, or no start to the window).

        The summary strip and the histogram read a sample of the newest matches. Walking
        the window row by row to find 1,000 of them read the text of 77,000 rows for a
        Chinese phrase in one row of 80 (500 ms at 1M generations); the index finds them
        (newest_matches). The other filters then keep the newest of those that are theirs,
        which are the newest matches of all the filters: any newer one would be a text
        match among those read."""
        if self.mode != "walk":
            return None
        probed = self.probed
        if probed is None or (len(probed[0]) < cap and not probed[1]):
            using = self.unsearched.db
            probed = newest_matches(self.account_id, self.start, self.end, self.query, cap, using)
            if probed is None:
                return None
        found, complete = probed
        return _by_ids(self.unsearched, found[:cap]), complete and len(found) <= cap


def newest_matches(account_id, start, end, query, cap, using="default"):
    """(found, complete): the newest `cap` (id, created_at) of generations in the window whose
    text matches, newest first, through the text index, and whether they are all of the
    window's matches; None when the index cannot say (no term of three characters, or a
    window without a start). Read in slices of the window going back from its end, each
    twice the one before and the first a sixteenth of the window: a common word stops in
    the newest slice, a rarer one reads each match once and each slice's index once."""
    if start is None or not query.indexed:
        return None
    now = end or timezone.now()
    size, upper, found = (now - start) / SAMPLE_SLICES, end, []
    with _text_index_only(using):  # once for all the slices
        if size <= dt.timedelta(0):
            # Nothing to slice: a window that starts in the future (from= a later date), or
            # one the retention horizon clipped to nothing. One read of whatever it holds.
            rows = probe(account_id, start, end, query, cap, using, newest=True)
            return rows[:cap], len(rows) <= cap
        while True:
            lower = max(start, (upper or now) - size)
            need = cap - len(found)
            rows = probe(account_id, lower, upper, query, need, using, newest=True)
            found.extend(rows[:need])
            if len(rows) > need:
                return found, False
            if lower == start:
                return found, True
            upper, size = lower, size * 2


def apply(queryset, query, account_id, start, end):
    """The generations of queryset whose text matches query, within the window [start, end):
    rare terms as an id list from the index, common ones as a per-row check."""
    using = queryset.db
    probed = newest_matches(account_id, start, end, query, PROBE_CAP, using)
    if probed is not None:
        found, complete = probed
    else:
        # No start to the window: any PROBE_CAP + 1 matches tell a rare term from a common one.
        found = probe(account_id, start, end, query, using=using)
        complete = found is not None and len(found) <= PROBE_CAP
    if complete:
        return Applied(_by_ids(queryset, found), "ids")
    return Applied(
        queryset.filter(matching_text(query)),
        "walk",
        queryset,
        query,
        account_id,
        start,
        end,
        probed,
    )


def _by_ids(queryset, found):
    """The rows of queryset among found, (id, created_at) pairs."""
    if not found:
        return queryset.none()
    times = sorted({when for _, when in found})
    # By time as well as id: the list's indexes are (account, ..., created_at, id), and a
    # partitioned table has no index on id alone, so each match is one index probe (and its
    # day's partition only). The span of the matches bounds any walk of an index to the rows
    # between them.
    return queryset.filter(
        id__in=[pk for pk, _ in found],
        created_at__in=times,
        created_at__gte=times[0],
        created_at__lte=times[-1],
    )


def matching_text(query):
    """A condition on Generation rows: its SearchText row matches. A scalar subquery rather
    than EXISTS or a join, so the database checks it row by row as it walks the list's index
    (PostgreSQL plans a join or EXISTS as a whole-window join, and would find every match
    before the first page). The join names the generation's id, time and account, so a
    search row is found in the partition of its generation. A generation without search text
    gives NULL, which matches nothing: every query has a word to find."""
    rows = SearchText.objects.filter(
        generation_id=OuterRef("id"),
        created_at=OuterRef("created_at"),
        account_id=OuterRef("account_id"),
    )
    check = rows.annotate(ok=_Matches("folded", query.include, query.exclude)).values("ok")
    return Subquery(check[:1], output_field=BooleanField())


@contextlib.contextmanager
def _text_index_only(using):
    """On PostgreSQL, the probe's statement may read only through bitmap index scans, i.e.
    through the text index (or a time index as a bitmap, ANDed with it). Without statistics
    the planner may otherwise walk a time index, or the table, with the LIKE as a filter,
    which for a rare term reads the whole window. SET LOCAL lasts to the end of the outermost
    transaction, so the settings are put back on the way out (as zenlogs.keyset does)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or getattr(connection, "_text_index_only", False):
        yield  # SQLite; or inside another probe's settings (newest_matches' slices)
        return
    # jit too: a disabled plan costs ten billion, and one that needs it anyway (a sort of the
    # matches, a small partition's only way in) would be compiled first, 300 ms for 4 ms.
    settings = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan", "jit")

    def set_all(values):
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
            [item for pair in zip(settings, values, strict=True) for item in pair],
        )

    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{s}')" for s in settings))
        previous = cursor.fetchone()
        set_all(["off"] * len(settings))
        connection._text_index_only = True
        try:
            yield
        finally:
            connection._text_index_only = False
        set_all(previous)


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
    """Pygments HTML (escaped text between its own tags) with the query's matches in <mark>:
    the text nodes are read unescaped and joined, so a match that Pygments split into
    several tokens is still found, and each piece of it is marked inside its own token."""
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
        return mark_safe(markup)  # noqa: S308 - unchanged Pygments output (logs.highlight)
    starts = [s for s, _ in spans]
    out, offset = [], 0
    for is_tag, string in pieces:
        if is_tag:
            out.append(string)
            continue
        out.append(_mark_node(string, offset, spans, starts))
        offset += len(string)
    return mark_safe("".join(out))  # noqa: S308 - Pygments' tags and text escaped here


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
