"""Which API a body speaks, told apart by the fields only one of them has: for a request,
a response, and the events of a stream."""

from .common import (
    ANTHROPIC_MESSAGES,
    ERROR,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    OTEL_GENAI,
    _dict,
    _list,
    _str,
)
from .otel_genai import is_otel_request, is_otel_response


def _request_format(body):
    if is_otel_request(body):
        return OTEL_GENAI
    if "contents" in body:
        return GEMINI
    if "messages" in body:
        return ANTHROPIC_MESSAGES if _looks_anthropic(body) else OPENAI_CHAT
    if "input" in body or "instructions" in body:
        items = body.get("input")
        # An embeddings request also has "input", but as strings or token ids.
        if isinstance(items, list) and items and all(not isinstance(i, dict) for i in items):
            return None
        if "encoding_format" in body or "dimensions" in body:
            return None
        return OPENAI_RESPONSES
    return None


_ANTHROPIC_BLOCKS = {
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
    "document",
    "server_tool_use",
    "search_result",
}
_OPENAI_PARTS = {"image_url", "input_audio", "file"}


def _looks_anthropic(body):
    """Both APIs take {"model", "messages"}; these are the tells that only one has."""
    if any(key in body for key in ("system", "anthropic_version", "anthropic_beta")):
        return True
    if isinstance(body.get("thinking"), dict):
        return True
    choice = body.get("tool_choice")
    if isinstance(choice, dict):  # OpenAI's is {"type": "function", ...} or "allowed_tools"
        return choice.get("type") in ("auto", "any", "tool", "none")
    for tool in _list(body.get("tools")):
        tool = _dict(tool)
        if "input_schema" in tool:
            return True
        if "function" in tool:
            return False
    for message in _list(body.get("messages")):
        message = _dict(message)
        if message.get("role") in ("system", "developer", "tool", "function"):
            return False
        if "tool_calls" in message or "function_call" in message:
            return False
        for block in _list(message.get("content")):
            block = _dict(block)
            kind = _str(block.get("type"))
            if kind in _ANTHROPIC_BLOCKS or "source" in block:
                return True
            if kind in _OPENAI_PARTS:
                return False
    return False


def _response_format(body):
    if is_otel_response(body):
        return OTEL_GENAI
    if "choices" in body:
        return OPENAI_CHAT
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        return OPENAI_RESPONSES
    if body.get("type") == "message" or ("content" in body and "stop_reason" in body):
        return ANTHROPIC_MESSAGES
    if _is_gemini_response(body):
        return GEMINI
    if body.get("error") or body.get("type") == "error":
        return ERROR
    return None


def _is_gemini_response(body):
    return isinstance(body, dict) and (
        "candidates" in body or "promptFeedback" in body or "usageMetadata" in body
    )


_ANTHROPIC_EVENTS = {
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
}


def _stream_format(events):
    for _, data in events:
        if not isinstance(data, dict):
            continue
        kind = _str(data.get("type"))
        if kind.startswith("response."):
            return OPENAI_RESPONSES
        if kind in _ANTHROPIC_EVENTS:
            return ANTHROPIC_MESSAGES
        if "choices" in data:
            return OPENAI_CHAT
        if _is_gemini_response(data):
            return GEMINI
    return None
