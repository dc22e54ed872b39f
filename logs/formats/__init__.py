"""Stage bodies as conversations, for the details page's Pretty mode.

`parse_request` and `parse_response` detect which API a body speaks (OpenAI Chat Completions,
Anthropic Messages, OpenAI Responses, Google Gemini generateContent), reassemble a streamed
(SSE) response into the equivalent plain one, and normalize both into a `Conversation`.

Bodies are untrusted and may be anything: malformed, cut at the ingest limit, megabytes long,
nested thousands of levels deep, full of lone surrogates. The parsers never raise; a body they
cannot read gives None, and the page falls back to the JSON view. Nothing here produces HTML:
texts stay plain strings for the template to autoescape. Inline media (base64 images, audio,
files) is never kept, only its media type and size.

Each API has its module (openai_chat, anthropic, openai_responses, gemini, and otel_genai for
the OpenTelemetry GenAI messages an OTLP span carries) that reads its
requests and responses and reassembles its streams; detect tells the APIs apart, sse reads SSE
streams, and common holds the data classes and helpers they share. Code outside this package
imports from `logs.formats` only.
"""

import json
import logging

from django.utils.translation import gettext

from .anthropic import _anthropic_request, _anthropic_response
from .common import (
    ANTHROPIC_MESSAGES,
    ERROR,
    FORMAT_LABELS,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    OTEL_GENAI,
    ROLE_LABELS,
    Conversation,
    Message,
    Part,
    ToolDef,
    _error_response,
    _finish,
    clean_text,
)
from .detect import _is_gemini_response, _request_format, _response_format
from .gemini import _gemini_request, _gemini_response, _reassemble_gemini
from .openai_chat import _openai_chat_request, _openai_chat_response
from .openai_responses import _responses_request, _responses_response
from .otel_genai import _otel_request, _otel_response
from .sse import _reassemble

__all__ = [
    "ANTHROPIC_MESSAGES",
    "ERROR",
    "FORMAT_LABELS",
    "GEMINI",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "OTEL_GENAI",
    "ROLE_LABELS",
    "Conversation",
    "Message",
    "Part",
    "ToolDef",
    "clean_text",
    "parse_request",
    "parse_response",
    "reassemble_sse",
]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- entry points


def parse_request(body_text, body_format, truncated=False):
    """The request body as a Conversation, or None when it is not a request we can read."""
    return _safely(_parse_request, body_text, body_format, truncated)


def parse_response(body_text, body_format, truncated=False):
    """The response body (plain or SSE-streamed) as a Conversation, or None."""
    return _safely(_parse_response, body_text, body_format, truncated)


def reassemble_sse(text):
    """An SSE stream as (format, the equivalent non-streamed response body), or None."""
    try:
        result = _reassemble(text)
    except Exception:
        logger.warning("could not reassemble an SSE stream", exc_info=True)
        return None
    return None if result is None else result[:2]


def _safely(parse, body_text, body_format, truncated):
    # The parsers are written defensively, but a log viewer must never fail on a log: a
    # RecursionError from json at depth 1000, a MemoryError, a shape nobody foresaw all end
    # as "no pretty view" rather than a 500.
    if not isinstance(body_text, str) or not body_text.strip() or body_format == "none":
        return None
    try:
        conversation = parse(body_text, body_format)
        if conversation is not None:
            if truncated:
                conversation.note(
                    gettext("The body was cut at the size limit; this view is incomplete.")
                )
            _finish(conversation)
        return conversation
    except Exception:
        logger.warning("could not parse a %s body for the pretty view", body_format, exc_info=True)
        return None


def _parse_request(body_text, body_format):
    body = _load_json(body_text)
    if not isinstance(body, dict):
        return None
    kind = _request_format(body)
    if kind is None:
        return None
    return _REQUEST_PARSERS[kind](body)


def _parse_response(body_text, body_format):
    body = _load_json(body_text)
    if body is _INVALID:
        if body_format == "json":
            return None
        result = _reassemble(body_text)
        if result is None:
            return None
        kind, body, notes = result
        conversation = _parse_response_body(kind, body)
        conversation.streamed = True
        for note in notes:
            conversation.note(note)
        return conversation
    if isinstance(body, list) and body and all(_is_gemini_response(item) for item in body):
        # Gemini's streamGenerateContent without alt=sse: a JSON array of chunks.
        conversation = _parse_response_body(GEMINI, _reassemble_gemini(body, []))
        conversation.streamed = True
        return conversation
    if not isinstance(body, dict):
        return None
    kind = _response_format(body)
    return None if kind is None else _parse_response_body(kind, body)


def _parse_response_body(kind, body):
    return _RESPONSE_PARSERS[kind](body)


_INVALID = object()


def _load_json(text):
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return _INVALID
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        return _INVALID


_REQUEST_PARSERS = {
    OPENAI_CHAT: _openai_chat_request,
    ANTHROPIC_MESSAGES: _anthropic_request,
    OPENAI_RESPONSES: _responses_request,
    GEMINI: _gemini_request,
    OTEL_GENAI: _otel_request,
}
_RESPONSE_PARSERS = {
    OPENAI_CHAT: _openai_chat_response,
    ANTHROPIC_MESSAGES: _anthropic_response,
    OPENAI_RESPONSES: _responses_response,
    GEMINI: _gemini_response,
    OTEL_GENAI: _otel_response,
    ERROR: _error_response,
}
