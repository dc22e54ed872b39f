"""Text extraction at write time: the searchable text of a generation, read from its stages by
the details page's own parsers, stored once as a SearchText row."""

from django.utils import translation

from logs.formats import ERROR, parse_request, parse_response
from logs.models import SECTIONS

# Characters of text kept per side (request, response): a search row stays bounded however
# long a conversation grows (an agent resends its whole history with every call).
SIDE_MAX_CHARS = 50_000


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


# The whitespace str.split() splits on, in ASCII, but the space.
_ASCII_SPACES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def collapse_spaces(text):
    # str.split() with no separator splits on runs of Unicode whitespace, as \s+ does, in C:
    # a fifth of the regex's time on the kilobytes of text each ingested record carries.
    if text.isascii():
        # Most text has nothing to collapse but a space at either end, which two C scans
        # tell for a fraction of what splitting it into words and joining them costs.
        raw = text.encode()
        if b"  " not in raw and len(raw.translate(None, _ASCII_SPACES)) == len(raw):
            return text.strip(" ")
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
        # An error body's text is its note, stored in English whatever language the sender's
        # request asked for (Accept-Language), so the index never depends on it.
        with translation.override(None):
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
