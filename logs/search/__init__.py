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

from .extract import ROW_FIELDS, fold, message_text, search_row  # noqa: F401
from .marks import EXCERPT_CHARS, excerpt, excerpts, mark_html, mark_text  # noqa: F401
from .query import (  # noqa: F401
    MAX_QUERY_LENGTH,
    PROBE_CAP,
    Applied,
    QueryError,
    SearchQuery,
    apply,
    matching_text,
    newest_matches,
    parse_query,
    probe,
)
