"""SSE streams: the events read from the text, and the equivalent plain response rebuilt by
the reassembler of the format the events speak."""

import json
import re

from django.utils.translation import gettext

from .anthropic import _reassemble_anthropic
from .common import ANTHROPIC_MESSAGES, ERROR, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES
from .detect import _stream_format
from .gemini import _reassemble_gemini
from .openai_chat import _reassemble_openai_chat
from .openai_responses import _reassemble_responses


def _sse_events(text):
    """(events, saw_done, bad) for an SSE text: events are (event name, parsed data), bad is
    the count of data payloads that were not JSON (a cut last event, say)."""
    return _sse_events_fast(text) or _sse_events_exact(text)


def _sse_events_fast(text):
    """The common shape, one JSON document per data line, parsed in a single json.loads of
    all of them as an array: faster than one call per event on a long stream (bench/README.md).
    None when the stream is not that simple; the exact reader then takes over."""
    data = [line[5:] for line in text.split("\n") if line[:5] == "data:"]
    saw_done = bool(data) and data[-1].strip() == "[DONE]"
    if saw_done:
        data.pop()
    if not data:
        return None
    for bad, payloads in ((0, data), (1, data[:-1])):  # a cut stream ends in half an event
        if not payloads:
            return None
        try:
            values = json.loads("[" + ",".join(payloads) + "]")
        except (ValueError, RecursionError):
            continue
        # A payload such as `1, 2` would shift the count: then the exact reader decides.
        if len(values) != len(payloads):
            return None
        return [(None, value) for value in values], saw_done, bad
    return None


def _sse_events_exact(text):
    events = []
    bad = 0
    saw_done = False
    name = None
    data = []

    def dispatch():
        nonlocal bad, saw_done
        payload = "\n".join(data)
        if payload.strip() == "[DONE]":
            saw_done = True
            return
        try:
            events.append((name, json.loads(payload)))
        except (ValueError, RecursionError):
            if len(data) == 1:
                bad += 1
                return
            # Some loggers drop the blank lines between events: try each line on its own.
            for line in data:
                if line.strip() == "[DONE]":
                    saw_done = True
                    continue
                try:
                    events.append((name, json.loads(line)))
                except (ValueError, RecursionError):
                    bad += 1

    # Split on \n only: str.splitlines() would also split inside JSON strings at U+2028.
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if not line:
            if data:
                dispatch()
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
    if data:
        dispatch()
    return events, saw_done, bad


_SSE_START = re.compile(r"^\s*(?:data|event|id|retry)?:", re.ASCII)


_REASSEMBLERS = {
    OPENAI_CHAT: _reassemble_openai_chat,
    ANTHROPIC_MESSAGES: _reassemble_anthropic,
    OPENAI_RESPONSES: _reassemble_responses,
    GEMINI: _reassemble_gemini,
}


def _reassemble(text):
    """(format, response body, notes) for an SSE text, or None if it is not a stream we know."""
    if not _SSE_START.match(text[:200]):
        return None
    events, saw_done, bad = _sse_events(text)
    kind = _stream_format(events)
    notes = []
    if kind is None:
        errors = [data for _, data in events if isinstance(data, dict) and data.get("error")]
        if errors:
            return ERROR, errors[0], notes
        return None
    body = _REASSEMBLERS[kind](events, notes)
    if bad:
        notes.append(
            gettext("%(count)s stream event(s) could not be read and were skipped.")
            % {"count": bad}
        )
    if kind == OPENAI_CHAT and not saw_done:
        notes.append(gettext("The stream ended without [DONE]; the response may be incomplete."))
    return kind, body, notes
