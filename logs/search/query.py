"""Reading a search: parsing `q` into terms, and asking the text index for the matches in a
window (probe, newest_matches, apply). See logs/search/__init__.py for how it stays fast."""

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import BigIntegerField, BooleanField, F, Func, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from logs.models import SearchText
from zenlogs.keyset import EPOCH

from .extract import collapse_spaces, fold

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
MIN_TERM_LENGTH = 2
# The index can only look up terms of at least three characters (one trigram).
INDEXED_TERM_LENGTH = 3
# Matches the index is asked for before the list decides how to read: under this, by id.
PROBE_CAP = 2000
# The newest slice of the window that newest_matches() asks the index about first.
SAMPLE_SLICES = 16


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
        raise QueryError(
            _("Search for at most %(limit)s characters (this is %(length)s).")
            % {"limit": MAX_QUERY_LENGTH, "length": len(text)}
        )
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
                raise QueryError(_('A quoted phrase has no closing quote (").'))
            term, position = text[position + 1 : close], close + 1
            if not term.strip():
                raise QueryError(_('A quoted phrase is empty: put words between the quotes ("").'))
        else:
            stop = position
            while stop < end and not text[stop].isspace() and text[stop] != '"':
                stop += 1
            term, position = text[position:stop], stop
        term = fold(collapse_spaces(term))
        if len(term) < MIN_TERM_LENGTH:
            raise QueryError(
                _("Each search term needs at least %(length)s characters: “%(term)s” is too short.")
                % {"length": MIN_TERM_LENGTH, "term": term}
            )
        target = exclude if negate else include
        if term not in target:
            target.append(term)
    if len(include) + len(exclude) > MAX_TERMS:
        raise QueryError(_("Use at most %(count)s search terms.") % {"count": MAX_TERMS})
    if not include:
        raise QueryError(_("Add a word to search for: exclusions (-word) alone match nearly all."))
    return SearchQuery(tuple(include), tuple(exclude))


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
    # loader took a large share of a walked search's time turning them into datetimes.
    with _text_index_only(using):
        found = list(rows.values_list("generation_id", _EpochMicros("created_at"))[: cap + 1])
    return [(pk, EPOCH + dt.timedelta(microseconds=micros)) for pk, micros in found]


class _EpochMicros(Func):
    """A timestamp as whole microseconds since 1970 (PostgreSQL: EXTRACT gives a numeric)."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"


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
        Chinese phrase in one row of 80; the index finds them
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
    # matches, a small partition's only way in) would be compiled first, for far longer
    # than the query then runs.
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
