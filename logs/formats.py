"""Stage bodies as conversations, for the details page's Pretty mode.

`parse_request` and `parse_response` detect which API a body speaks (OpenAI Chat Completions,
Anthropic Messages, OpenAI Responses, Google Gemini generateContent), reassemble a streamed
(SSE) response into the equivalent plain one, and normalize both into a `Conversation`.

Bodies are untrusted and may be anything: malformed, cut at the ingest limit, megabytes long,
nested thousands of levels deep, full of lone surrogates. The parsers never raise; a body they
cannot read gives None, and the page falls back to the JSON view. Nothing here produces HTML:
texts stay plain strings for the template to autoescape. Inline media (base64 images, audio,
files) is never kept, only its media type and size.
"""

import json
import logging
import re
from dataclasses import dataclass, field

from .highlight import HighlightBudget

logger = logging.getLogger(__name__)

OPENAI_CHAT = "openai_chat"
ANTHROPIC_MESSAGES = "anthropic_messages"
OPENAI_RESPONSES = "openai_responses"
GEMINI = "gemini"
ERROR = "error"

FORMAT_LABELS = {
    OPENAI_CHAT: "OpenAI Chat Completions",
    ANTHROPIC_MESSAGES: "Anthropic Messages",
    OPENAI_RESPONSES: "OpenAI Responses",
    GEMINI: "Google Gemini",
    ERROR: "Error",
}

ROLE_LABELS = {
    "system": "System",
    "developer": "Developer",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool",
}

_JSON_MEDIA_TYPE = "application/json"


# ----------------------------------------------------------------------------- data


@dataclass
class Part:
    """One piece of a message.

    kind: "text" | "tool_call" | "tool_result" | "image" | "thinking" | "file" | "refusal" |
        "audio".
    text: the plain text. For "text", "refusal" and "thinking" the content; for "tool_result"
        the result (pretty-printed JSON when it was JSON, see media_type); for "audio" the
        transcript if any; for media given by reference (source "url" or "file_id") the URL or
        file id, to be shown as text only, never loaded; for "file" the file name if known.
    tool_name: for "tool_call", the called tool; for "tool_result", the tool of the matching
        call (or the name the result itself carries), None when unknown.
    tool_call_id: the call id linking a "tool_call" to its "tool_result" (None if the API has
        no ids, as Gemini before 2.5).
    arguments: for "tool_call", the arguments as JSON text, pretty-printed when it parses.
    media_type: for media, its MIME type ("image/png"); for a "tool_result" whose text is JSON,
        "application/json".
    size: for inline media, the decoded size in bytes (approximate for base64); else None.
    source: for media, "base64" (inline data, dropped), "url" or "file_id".
    is_error: a "tool_result" the caller flagged as an error.
    redacted: a "thinking" part whose content the provider encrypted (no text).
    """

    kind: str
    text: str = ""
    tool_name: str | None = None
    tool_call_id: str | None = None
    arguments: str | None = None
    media_type: str | None = None
    size: int | None = None
    source: str | None = None
    is_error: bool = False
    redacted: bool = False

    @property
    def is_json(self):
        return self.media_type == _JSON_MEDIA_TYPE

    @property
    def size_label(self):
        return _size_label(self.size)

    @property
    def placeholder(self):
        """What the page shows instead of media: "[image: image/png, 12.3 KB]"."""
        if self.source == "url":
            return f"[{self.kind}: remote URL]"
        if self.source == "file_id":
            return f"[{self.kind}: file id]"
        details = [self.media_type or "unknown type"]
        if self.kind == "file" and self.text:
            details.insert(0, self.text)
        if self.size is not None:
            details.append(self.size_label)
        return f"[{self.kind}: {', '.join(details)}]"


@dataclass
class Message:
    """One turn. role is "system" | "developer" | "user" | "assistant" | "tool"; tool results
    are always in "tool" messages, whatever role the API put them under. name is the
    participant name some APIs allow on a message."""

    role: str
    parts: list[Part] = field(default_factory=list)
    name: str | None = None

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role.title())


@dataclass
class ToolDef:
    """A tool offered to the model. parameters_json is its JSON schema, pretty-printed, or ""
    for built-in tools (web search, code execution) that have none."""

    name: str
    description: str = ""
    parameters_json: str = ""


@dataclass
class Conversation:
    """A request or a response, normalized.

    format: OPENAI_CHAT | ANTHROPIC_MESSAGES | OPENAI_RESPONSES | GEMINI, or ERROR for an error
        body (no messages, the error in notes).
    messages: in the order they were sent (a response has one assistant message).
    tools: the tool definitions of a request.
    notes: things the reader should know: unsupported items skipped, an incomplete stream.
    model, finish_reason, usage: as the body states them (usage is the provider's own object).
    streamed: the body was an SSE stream, reassembled.
    highlight_budget: characters of syntax highlighting left for everything rendered from this
        conversation (see logs.highlight), so one page's highlighting work stays bounded.
    """

    format: str
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolDef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model: str | None = None
    finish_reason: str | None = None
    usage: dict | None = None
    streamed: bool = False
    highlight_budget: HighlightBudget = field(
        default_factory=HighlightBudget, repr=False, compare=False
    )

    @property
    def format_label(self):
        return FORMAT_LABELS.get(self.format, self.format)

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


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
                conversation.note("The body was cut at the size limit; this view is incomplete.")
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


# ----------------------------------------------------------------------------- detection


def _request_format(body):
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


# ----------------------------------------------------------------------------- small helpers


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _str(value):
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _str_or_none(value):
    return None if value is None or value == "" else _str(value)


def _pretty_json(value):
    """JSON text, pretty-printed; a string that is not JSON comes back as it was."""
    if value is None:
        return ""
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith(("{", "[")):
            return value
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return _str(value)


def _json_text(value):
    """(text, is_json) for a tool result: JSON objects and arrays pretty-printed."""
    if isinstance(value, dict | list):
        return _pretty_json(value), True
    text = _str(value)
    if text.lstrip().startswith(("{", "[")):
        pretty = _pretty_json(text)
        if pretty is not text:
            return pretty, True
    return text, False


def _b64_size(data):
    """Decoded bytes of base64 text, without decoding it."""
    if not isinstance(data, str):
        return None
    end = len(data)
    while end and data[end - 1] in " \r\n":
        end -= 1
    padding = 2 if data.endswith("==", 0, end) else 1 if data.endswith("=", 0, end) else 0
    return max(0, end * 3 // 4 - padding)


def _media_from_url(kind, url, media_type=None):
    """A media Part for a URL: a data: URL is measured and dropped, anything else is kept as
    text (for display only)."""
    url = _str(url)
    if url[:5].lower() == "data:":
        header, _, payload = url[5:].partition(",")
        declared = header.split(";", 1)[0].strip()
        is_base64 = header.lower().endswith(";base64")
        return Part(
            kind=kind,
            media_type=declared or media_type,
            size=_b64_size(payload) if is_base64 else len(payload),
            source="base64",
        )
    return Part(kind=kind, text=url, media_type=media_type, source="url")


def _media_kind(media_type):
    media_type = _str(media_type).lower()
    if media_type.startswith("image/"):
        return "image"
    if media_type.startswith("audio/"):
        return "audio"
    return "file"


def _size_label(size):
    if size is None:
        return "unknown size"
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _text_part(text):
    text = _str(text)
    return [Part(kind="text", text=text)] if text else []


def _role(conversation, role, default="user"):
    role = _str(role).lower() or default
    if role in ROLE_LABELS:
        return role
    if role == "model":
        return "assistant"
    if role in ("function", "ipython"):
        return "tool"
    conversation.note(f"Messages with the unknown role {role[:40]!r} are shown as {default}.")
    return default


def _append_parts(conversation, role, parts, name=None):
    """Adds parts as a message; runs of tool results become their own "tool" messages, so
    every API's results look the same (Anthropic and Gemini send them as user content)."""
    run_role, run = None, []
    for part in parts:
        part_role = "tool" if part.kind == "tool_result" else role
        if part_role != run_role and run:
            conversation.messages.append(Message(role=run_role, parts=run, name=name))
            run = []
        run_role = part_role
        run.append(part)
    if run:
        conversation.messages.append(Message(role=run_role, parts=run, name=name))
    elif not parts:
        conversation.messages.append(Message(role=role, parts=[], name=name))


def _finish(conversation):
    """Matches tool results to their calls and makes every string safe to encode."""
    calls = {}
    for message in conversation.messages:
        for part in message.parts:
            if part.kind == "tool_call" and part.tool_call_id:
                calls.setdefault(part.tool_call_id, part.tool_name)
    for message in conversation.messages:
        message.name = _clean_or_none(message.name)
        for part in message.parts:
            if part.kind == "tool_result" and part.tool_call_id in calls:
                part.tool_name = calls[part.tool_call_id] or part.tool_name
            part.text = _clean(part.text)
            part.tool_name = _clean_or_none(part.tool_name)
            part.tool_call_id = _clean_or_none(part.tool_call_id)
            part.arguments = _clean_or_none(part.arguments)
            part.media_type = _clean_or_none(part.media_type)
    for tool in conversation.tools:
        tool.name = _clean(tool.name)
        tool.description = _clean(tool.description)
        tool.parameters_json = _clean(tool.parameters_json)
    conversation.notes = [_clean(n) for n in conversation.notes]
    conversation.model = _clean_or_none(conversation.model)
    conversation.finish_reason = _clean_or_none(conversation.finish_reason)


def _clean(text):
    """Lone surrogates (from bytes decoded with surrogateescape, or a JSON "\\udcff" escape)
    cannot be encoded as UTF-8 and would break the response; they become U+FFFD."""
    text = _str(text)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _clean_or_none(text):
    return None if text is None else _clean(text)


# ----------------------------------------------------------------------------- OpenAI Chat


def _openai_chat_request(body):
    conversation = Conversation(format=OPENAI_CHAT, model=_str_or_none(body.get("model")))
    for message in _list(body.get("messages")):
        message = _dict(message)
        raw_role = _str(message.get("role"))
        parts = _openai_message_parts(conversation, message)
        if raw_role in ("tool", "function"):
            text = "\n\n".join(p.text for p in parts if p.kind == "text")
            text, is_json = _json_text(text)
            result = Part(
                kind="tool_result",
                text=text,
                tool_call_id=_str_or_none(message.get("tool_call_id")),
                tool_name=_str_or_none(message.get("name")),
                media_type=_JSON_MEDIA_TYPE if is_json else None,
            )
            parts = [result] + [p for p in parts if p.kind != "text"]
            conversation.messages.append(Message(role="tool", parts=parts))
            continue
        role = _role(conversation, raw_role)
        name = _str_or_none(message.get("name"))
        conversation.messages.append(Message(role=role, parts=parts, name=name))
    tools = [_dict(t) for t in _list(body.get("tools"))]
    for tool in tools:
        function = _dict(tool.get("function"))
        if function:
            conversation.tools.append(_tool_def(function, "parameters"))
        else:
            conversation.tools.append(ToolDef(name=_str(tool.get("type")) or "tool"))
    for function in _list(body.get("functions")):
        conversation.tools.append(_tool_def(_dict(function), "parameters"))
    return conversation


def _tool_def(tool, schema_key):
    schema = tool.get(schema_key)
    return ToolDef(
        name=_str(tool.get("name")),
        description=_str(tool.get("description")),
        parameters_json=_pretty_json(schema) if schema is not None else "",
    )


def _openai_message_parts(conversation, message):
    parts = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        parts.append(Part(kind="thinking", text=reasoning))
    parts.extend(_openai_content(conversation, message.get("content")))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(Part(kind="refusal", text=refusal))
    audio = _dict(message.get("audio"))
    if audio.get("data") or audio.get("transcript"):
        parts.append(
            Part(
                kind="audio",
                text=_str(audio.get("transcript")),
                size=_b64_size(audio.get("data")) if audio.get("data") else None,
                source="base64" if audio.get("data") else None,
            )
        )
    for call in _list(message.get("tool_calls")):
        call = _dict(call)
        function = _dict(call.get("function") or call.get("custom"))
        arguments = function.get("arguments", function.get("input", ""))
        parts.append(
            Part(
                kind="tool_call",
                tool_name=_str(function.get("name")),
                tool_call_id=_str_or_none(call.get("id")),
                arguments=_pretty_json(arguments),
            )
        )
    function_call = _dict(message.get("function_call"))
    if function_call:
        parts.append(
            Part(
                kind="tool_call",
                tool_name=_str(function_call.get("name")),
                arguments=_pretty_json(function_call.get("arguments")),
            )
        )
    return parts


def _openai_content(conversation, content):
    if content is None:
        return []
    if not isinstance(content, list):
        return _text_part(content)
    parts = []
    for item in content:
        if isinstance(item, str):
            parts.extend(_text_part(item))
            continue
        item = _dict(item)
        kind = item.get("type")
        if kind in ("text", "input_text", "output_text") or (kind is None and "text" in item):
            parts.extend(_text_part(item.get("text")))
        elif kind == "image_url":
            image = item.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            parts.append(_media_from_url("image", url))
        elif kind == "input_audio":
            audio = _dict(item.get("input_audio"))
            audio_format = _str(audio.get("format"))
            parts.append(
                Part(
                    kind="audio",
                    media_type=f"audio/{audio_format}" if audio_format else None,
                    size=_b64_size(audio.get("data")),
                    source="base64",
                )
            )
        elif kind == "file":
            parts.append(_openai_file(_dict(item.get("file"))))
        elif kind == "refusal":
            parts.append(Part(kind="refusal", text=_str(item.get("refusal"))))
        elif kind == "thinking":  # Mistral's reasoning models: {"thinking": [text chunks]}
            thinking = item.get("thinking")
            if isinstance(thinking, list):
                thinking = "".join(_str(_dict(chunk).get("text")) for chunk in thinking)
            parts.append(Part(kind="thinking", text=_str(thinking)))
        else:
            conversation.note(f"Content parts of type {kind!r} are not shown.")
    return parts


def _openai_file(file):
    name = _str(file.get("filename"))
    data = file.get("file_data")
    if isinstance(data, str) and data:
        if data[:5].lower() == "data:":
            part = _media_from_url("file", data)
        else:
            part = Part(kind="file", size=_b64_size(data), source="base64")
        part.text = name
        return part
    if file.get("file_url"):
        return Part(kind="file", text=_str(file["file_url"]), source="url")
    return Part(kind="file", text=_str(file.get("file_id")) or name, source="file_id")


def _openai_chat_response(body):
    conversation = Conversation(
        format=OPENAI_CHAT,
        model=_str_or_none(body.get("model")),
        usage=body.get("usage") if isinstance(body.get("usage"), dict) else None,
    )
    choices = _list(body.get("choices"))
    if not choices:
        conversation.note("The response has no choices.")
        return conversation
    if len(choices) > 1:
        conversation.note(f"The response has {len(choices)} choices; the first is shown.")
    choice = _dict(choices[0])
    message = _dict(choice.get("message"))
    parts = _openai_message_parts(conversation, message)
    if not message and "text" in choice:  # the legacy Completions API
        parts = _text_part(choice.get("text"))
    conversation.finish_reason = _str_or_none(choice.get("finish_reason"))
    conversation.messages.append(Message(role="assistant", parts=parts))
    return conversation


def _reassemble_openai_chat(events, notes):
    """Chunks of chat.completion.chunk as one chat.completion."""
    content, reasoning, refusal = [], [], []
    calls = {}  # index -> {"id", "name", "arguments": [...]}
    last_index = None
    finish_reason = model = response_id = usage = None
    other_choices = False
    for _, event in events:
        event = _dict(event)
        if event.get("error"):
            notes.append(f"The stream reported an error: {_error_text(event)}")
            continue
        model = event.get("model") or model
        response_id = event.get("id") or response_id
        if isinstance(event.get("usage"), dict):
            usage = event["usage"]
        for choice in _list(event.get("choices")):
            choice = _dict(choice)
            if choice.get("index", 0) != 0:
                other_choices = True
                continue
            delta = _dict(choice.get("delta"))
            if isinstance(delta.get("content"), str):
                content.append(delta["content"])
            for key in ("reasoning_content", "reasoning"):
                if isinstance(delta.get(key), str):
                    reasoning.append(delta[key])
                    break
            if isinstance(delta.get("refusal"), str):
                refusal.append(delta["refusal"])
            for call in _list(delta.get("tool_calls")):
                call = _dict(call)
                index = _index(call.get("index"))
                if index is None:
                    # Some OpenAI-compatible providers omit the index: a new id starts a call.
                    new = call.get("id") and all(c["id"] != call["id"] for c in calls.values())
                    index = len(calls) if new or last_index is None else last_index
                last_index = index
                slot = calls.setdefault(index, {"id": None, "name": "", "arguments": []})
                slot["id"] = call.get("id") or slot["id"]
                function = _dict(call.get("function"))
                if function.get("name"):
                    slot["name"] = function["name"]
                if isinstance(function.get("arguments"), str):
                    slot["arguments"].append(function["arguments"])
            if choice.get("finish_reason"):
                finish_reason = choice["finish_reason"]
    if other_choices:
        notes.append("The stream has several choices; the first is shown.")
    message = {"role": "assistant", "content": "".join(content) or None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if refusal:
        message["refusal"] = "".join(refusal)
    if calls:
        message["tool_calls"] = [
            {
                "id": slot["id"],
                "type": "function",
                "function": {"name": slot["name"], "arguments": "".join(slot["arguments"])},
            }
            for _, slot in sorted(calls.items(), key=lambda item: _sort_key(item[0]))
        ]
    return {
        "id": response_id,
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage,
    }


def _index(value):
    """An event's index as a dict key: JSON can put a list there, which is unhashable."""
    return value if isinstance(value, int | str) else None


def _first(pair):
    return _sort_key(pair[0])


def _sort_key(index):
    return (0, index, "") if isinstance(index, int) else (1, 0, _str(index))


# ----------------------------------------------------------------------------- Anthropic


def _anthropic_request(body):
    conversation = Conversation(format=ANTHROPIC_MESSAGES, model=_str_or_none(body.get("model")))
    system = body.get("system")
    if isinstance(system, list):
        parts = []
        for block in system:
            parts.extend(_anthropic_block(conversation, block))
        if parts:
            conversation.messages.append(Message(role="system", parts=parts))
    elif system:
        conversation.messages.append(Message(role="system", parts=_text_part(system)))
    for message in _list(body.get("messages")):
        message = _dict(message)
        role = _role(conversation, message.get("role"))
        content = message.get("content")
        parts = []
        if isinstance(content, list):
            for block in content:
                parts.extend(_anthropic_block(conversation, block))
        else:
            parts = _text_part(content)
        _append_parts(conversation, role, parts)
    for tool in _list(body.get("tools")):
        tool = _dict(tool)
        if "input_schema" in tool:
            conversation.tools.append(_tool_def(tool, "input_schema"))
        else:  # server tools: {"type": "web_search_20250305", "name": "web_search", ...}
            conversation.tools.append(
                ToolDef(name=_str(tool.get("name") or tool.get("type")) or "tool")
            )
    return conversation


def _anthropic_block(conversation, block):
    if isinstance(block, str):
        return _text_part(block)
    block = _dict(block)
    kind = _str(block.get("type"))
    if kind == "text":
        return _text_part(block.get("text"))
    if kind in ("image", "document"):
        return [_anthropic_source(kind, block)]
    if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
        return [
            Part(
                kind="tool_call",
                tool_name=_str(block.get("name")),
                tool_call_id=_str_or_none(block.get("id")),
                arguments=_pretty_json(block.get("input", {})),
            )
        ]
    if kind == "tool_result" or kind.endswith("_tool_result"):
        return _anthropic_tool_result(conversation, block)
    if kind == "thinking":
        return [Part(kind="thinking", text=_str(block.get("thinking")))]
    if kind == "redacted_thinking":
        return [Part(kind="thinking", redacted=True)]
    conversation.note(f"Content blocks of type {kind!r} are not shown.")
    return []


def _anthropic_source(kind, block):
    source = _dict(block.get("source"))
    source_type = source.get("type")
    part_kind = "image" if kind == "image" else "file"
    title = _str(block.get("title"))
    if source_type == "base64":
        media_type = _str_or_none(source.get("media_type"))
        part = Part(
            kind=part_kind,
            media_type=media_type,
            size=_b64_size(source.get("data")),
            source="base64",
        )
    elif source_type == "url":
        part = Part(kind=part_kind, text=_str(source.get("url")), source="url")
        title = ""
    elif source_type == "file":
        part = Part(kind=part_kind, text=_str(source.get("file_id")), source="file_id")
        title = ""
    elif source_type == "text":  # a plain-text document: its size, not its text
        data = _str(source.get("data"))
        part = Part(kind="file", media_type="text/plain", size=len(data.encode(errors="replace")))
    else:
        part = Part(kind=part_kind)
    if title and part.kind == "file":
        part.text = title
    return part


def _anthropic_tool_result(conversation, block):
    content = block.get("content")
    extra = []
    if isinstance(content, list):
        texts = []
        for item in content:
            item = _dict(item)
            if item.get("type") == "text":
                texts.append(_str(item.get("text")))
            elif item.get("type") in ("image", "document"):
                extra.append(_anthropic_source(item.get("type"), item))
            else:  # web search results and the like; their encrypted blobs are noise
                item = {k: v for k, v in item.items() if not _str(k).startswith("encrypted")}
                texts.append(_pretty_json(item))
        text, is_json = _json_text("\n\n".join(texts))
    else:
        text, is_json = _json_text(content if content is not None else "")
    kind = _str(block.get("type"))
    result = Part(
        kind="tool_result",
        text=text,
        tool_call_id=_str_or_none(block.get("tool_use_id")),
        media_type=_JSON_MEDIA_TYPE if is_json else None,
        is_error=bool(block.get("is_error")) or _str(_dict(content).get("type")).endswith("_error"),
    )
    if kind != "tool_result":  # web_search_tool_result -> web_search
        result.tool_name = kind.removesuffix("_tool_result")
    return [result] + extra


def _anthropic_response(body):
    conversation = Conversation(
        format=ANTHROPIC_MESSAGES,
        model=_str_or_none(body.get("model")),
        finish_reason=_str_or_none(body.get("stop_reason")),
        usage=body.get("usage") if isinstance(body.get("usage"), dict) else None,
    )
    parts = []
    content = body.get("content")
    if isinstance(content, list):
        for block in content:
            parts.extend(_anthropic_block(conversation, block))
    else:
        parts = _text_part(content)
    _append_parts(conversation, "assistant", parts)
    return conversation


def _reassemble_anthropic(events, notes):
    """message_start / content_block_* / message_delta events as one Message object."""
    message = {}
    usage = {}
    blocks = {}  # index -> block dict
    pieces = {}  # index -> list of text, thinking or partial_json pieces
    stopped = False
    for _, event in events:
        event = _dict(event)
        kind = event.get("type")
        index = _index(event.get("index"))
        if kind == "message_start":
            message = dict(_dict(event.get("message")))
            usage.update(_dict(message.get("usage")))
        elif kind == "content_block_start":
            blocks[index] = dict(_dict(event.get("content_block")))
            pieces[index] = []
        elif kind == "content_block_delta":
            delta = _dict(event.get("delta"))
            if index not in blocks:
                blocks[index] = {"type": "text", "text": ""}
                pieces[index] = []
            piece = delta.get("text", delta.get("thinking", delta.get("partial_json")))
            if isinstance(piece, str):
                pieces[index].append(piece)
        elif kind == "message_delta":
            delta = _dict(event.get("delta"))
            for key in ("stop_reason", "stop_sequence"):
                if key in delta:
                    message[key] = delta[key]
            usage.update(_dict(event.get("usage")))
        elif kind == "message_stop":
            stopped = True
        elif kind == "error":
            notes.append(f"The stream reported an error: {_error_text(event)}")
    content = []
    for index in sorted(blocks, key=_sort_key):
        block = blocks[index]
        joined = "".join(pieces.get(index, []))
        kind = block.get("type")
        if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            if joined.strip():
                try:
                    block["input"] = json.loads(joined)
                except (ValueError, RecursionError):
                    block["input"] = joined
                    notes.append(f"The input of tool call {block.get('name')!r} is incomplete.")
        elif kind == "thinking":
            block["thinking"] = _str(block.get("thinking")) + joined
        elif kind == "text":
            block["text"] = _str(block.get("text")) + joined
        content.append(block)
    if not stopped:
        notes.append("The stream ended before message_stop; the response may be incomplete.")
    message.setdefault("type", "message")
    message.setdefault("role", "assistant")
    message["content"] = content
    if usage:
        message["usage"] = usage
    return message


# ----------------------------------------------------------------------------- Responses


def _responses_request(body):
    conversation = Conversation(format=OPENAI_RESPONSES, model=_str_or_none(body.get("model")))
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        conversation.messages.append(Message(role="system", parts=_text_part(instructions)))
    items = body.get("input")
    if isinstance(items, str):
        conversation.messages.append(Message(role="user", parts=_text_part(items)))
    else:
        _responses_items(conversation, _list(items))
    for tool in _list(body.get("tools")):
        tool = _dict(tool)
        if tool.get("type") == "function" or "parameters" in tool:
            conversation.tools.append(_tool_def(tool, "parameters"))
        elif tool.get("type") == "custom":
            conversation.tools.append(_tool_def(tool, "format"))
        else:
            name = tool.get("name") or tool.get("server_label") or tool.get("type")
            conversation.tools.append(ToolDef(name=_str(name) or "tool"))
    return conversation


def _responses_items(conversation, items, role_for_calls="assistant"):
    """Input or output items, in order; calls join the assistant message before them."""

    def add(role, parts):
        last = conversation.messages[-1] if conversation.messages else None
        if role == "assistant" and last is not None and last.role == "assistant":
            last.parts.extend(parts)
        else:
            conversation.messages.append(Message(role=role, parts=parts))

    for item in items:
        item = _dict(item)
        kind = _str(item.get("type")) or ("message" if "role" in item else "")
        if kind == "message":
            role = _role(conversation, item.get("role"))
            parts = _openai_content(conversation, _responses_content(item.get("content")))
            add(role, parts)
        elif kind in ("function_call", "custom_tool_call"):
            arguments = item.get("arguments", item.get("input", ""))
            call = Part(
                kind="tool_call",
                tool_name=_str(item.get("name")),
                tool_call_id=_str_or_none(item.get("call_id") or item.get("id")),
                arguments=_pretty_json(arguments),
            )
            add(role_for_calls, [call])
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            extra = []
            if isinstance(output, list):  # text and image parts
                parts = _openai_content(conversation, _responses_content(output))
                extra = [p for p in parts if p.kind != "text"]
                output = "\n\n".join(p.text for p in parts if p.kind == "text")
            text, is_json = _json_text(output if output is not None else "")
            result = Part(
                kind="tool_result",
                text=text,
                tool_call_id=_str_or_none(item.get("call_id")),
                media_type=_JSON_MEDIA_TYPE if is_json else None,
            )
            conversation.messages.append(Message(role="tool", parts=[result, *extra]))
        elif kind == "reasoning":
            texts = [_str(_dict(s).get("text")) for s in _list(item.get("summary"))]
            texts += [_str(_dict(c).get("text")) for c in _list(item.get("content"))]
            text = "\n\n".join(t for t in texts if t)
            add(role_for_calls, [Part(kind="thinking", text=text, redacted=not text)])
        elif kind == "image_generation_call":
            result = item.get("result")
            part = Part(kind="image", size=_b64_size(result), source="base64")
            add(role_for_calls, [part] if isinstance(result, str) else [])
        elif kind.endswith("_call"):  # web_search_call, file_search_call, mcp_call, ...
            details = {
                key: value
                for key, value in item.items()
                if key not in ("id", "type", "status", "encrypted_content", "result")
            }
            call = Part(
                kind="tool_call",
                tool_name=_str(item.get("name")) or kind.removesuffix("_call"),
                tool_call_id=_str_or_none(item.get("call_id") or item.get("id")),
                arguments=_pretty_json(details),
            )
            add(role_for_calls, [call])
        else:
            conversation.note(f"Items of type {kind!r} are not shown.")


def _responses_content(content):
    """Responses content parts in Chat Completions' shapes, so one function reads both."""
    if not isinstance(content, list):
        return content
    converted = []
    for item in content:
        item = _dict(item)
        kind = item.get("type")
        if kind == "input_image":
            url = item.get("image_url")
            if url:
                converted.append({"type": "image_url", "image_url": {"url": url}})
            else:
                converted.append({"type": "file", "file": {"file_id": item.get("file_id")}})
        elif kind == "input_file":
            file = {"filename": item.get("filename"), "file_id": item.get("file_id")}
            if item.get("file_data"):
                file["file_data"] = item["file_data"]
            elif item.get("file_url"):
                file["file_url"] = item["file_url"]
            converted.append({"type": "file", "file": file})
        else:
            converted.append(item)
    return converted


def _responses_response(body):
    conversation = Conversation(
        format=OPENAI_RESPONSES,
        model=_str_or_none(body.get("model")),
        usage=body.get("usage") if isinstance(body.get("usage"), dict) else None,
    )
    incomplete = _dict(body.get("incomplete_details")).get("reason")
    conversation.finish_reason = _str_or_none(incomplete or body.get("status"))
    if body.get("error"):
        conversation.note(f"The response reported an error: {_error_text(body)}")
    _responses_items(conversation, _list(body.get("output")))
    for message in conversation.messages:
        if message.role == "user":  # output items are the model's, whatever they claim
            message.role = "assistant"
    if not conversation.messages:
        conversation.messages.append(Message(role="assistant"))
    return conversation


def _reassemble_responses(events, notes):
    """response.* events as one Response object. response.completed carries the whole
    response; without it (a cut stream) the output is rebuilt from the item and delta events."""
    response = {}
    items = {}  # output_index -> item
    texts = {}  # (output_index, content_index) -> [delta]
    arguments = {}  # output_index -> [delta]
    summaries = {}  # (output_index, summary_index) -> [delta]
    done = set()
    for _, event in events:
        event = _dict(event)
        kind = _str(event.get("type"))
        index = _index(event.get("output_index"))
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            return dict(_dict(event.get("response")))
        if kind in ("response.created", "response.in_progress"):
            response = dict(_dict(event.get("response")))
        elif kind == "response.output_item.added":
            items[index] = dict(_dict(event.get("item")))
        elif kind == "response.output_item.done":
            items[index] = dict(_dict(event.get("item")))
            done.add(index)
        elif kind == "response.output_text.delta":
            texts.setdefault((index, _index(event.get("content_index", 0))), []).append(
                _str(event.get("delta"))
            )
        elif kind == "response.function_call_arguments.delta":
            arguments.setdefault(index, []).append(_str(event.get("delta")))
        elif kind == "response.reasoning_summary_text.delta":
            summaries.setdefault((index, _index(event.get("summary_index", 0))), []).append(
                _str(event.get("delta"))
            )
        elif kind == "error":
            notes.append(f"The stream reported an error: {_error_text(event)}")
    notes.append("The stream ended before response.completed; the response may be incomplete.")
    indexes = set(items) | {i for i, _ in texts} | set(arguments) | {i for i, _ in summaries}
    for index in indexes - done:
        item = items.setdefault(index, {})
        content = sorted(((c, "".join(p)) for (i, c), p in texts.items() if i == index), key=_first)
        if content:
            item.setdefault("type", "message")
            item.setdefault("role", "assistant")
            item["content"] = [{"type": "output_text", "text": text} for _, text in content]
        if index in arguments:
            item.setdefault("type", "function_call")
            item["arguments"] = "".join(arguments[index])
        summary = sorted(
            ((s, "".join(p)) for (i, s), p in summaries.items() if i == index), key=_first
        )
        if summary:
            item.setdefault("type", "reasoning")
            item["summary"] = [{"type": "summary_text", "text": text} for _, text in summary]
    response.setdefault("object", "response")
    response["status"] = "incomplete"  # created said "in_progress"; it never completed
    response["output"] = [items[i] for i in sorted(items, key=_sort_key)]
    return response


# ----------------------------------------------------------------------------- Gemini


def _g(mapping, camel, snake):
    """Gemini's REST API accepts both camelCase and snake_case field names."""
    value = mapping.get(camel)
    return mapping.get(snake) if value is None else value


def _gemini_request(body):
    conversation = Conversation(format=GEMINI, model=_str_or_none(body.get("model")))
    system = _g(body, "systemInstruction", "system_instruction")
    if isinstance(system, str):
        conversation.messages.append(Message(role="system", parts=_text_part(system)))
    elif isinstance(system, dict):
        parts = _gemini_parts(conversation, system.get("parts"))
        if parts:
            conversation.messages.append(Message(role="system", parts=parts))
    contents = body.get("contents")
    if isinstance(contents, dict):
        contents = [contents]
    for content in _list(contents):
        content = _dict(content)
        role = _role(conversation, content.get("role"))
        _append_parts(conversation, role, _gemini_parts(conversation, content.get("parts")))
    tools = body.get("tools")
    for tool in [tools] if isinstance(tools, dict) else _list(tools):
        for key, value in _dict(tool).items():
            if key not in ("functionDeclarations", "function_declarations"):
                # googleSearch, codeExecution, urlContext, ...: built in, no schema
                conversation.tools.append(ToolDef(name=_str(key)))
                continue
            for declaration in _list(value):
                declaration = _dict(declaration)
                schema_key = "parameters"
                for key in ("parametersJsonSchema", "parameters_json_schema"):
                    if key in declaration:
                        schema_key = key
                conversation.tools.append(_tool_def(declaration, schema_key))
    return conversation


def _gemini_parts(conversation, parts):
    result = []
    for part in _list(parts):
        part = _dict(part)
        if "text" in part:
            kind = "thinking" if part.get("thought") else "text"
            text = _str(part.get("text"))
            if text:
                result.append(Part(kind=kind, text=text))
        elif _g(part, "inlineData", "inline_data") is not None:
            data = _dict(_g(part, "inlineData", "inline_data"))
            media_type = _str_or_none(_g(data, "mimeType", "mime_type"))
            result.append(
                Part(
                    kind=_media_kind(media_type),
                    media_type=media_type,
                    size=_b64_size(data.get("data")),
                    source="base64",
                )
            )
        elif _g(part, "fileData", "file_data") is not None:
            data = _dict(_g(part, "fileData", "file_data"))
            media_type = _str_or_none(_g(data, "mimeType", "mime_type"))
            uri = _str(_g(data, "fileUri", "file_uri"))
            result.append(
                Part(kind=_media_kind(media_type), text=uri, media_type=media_type, source="url")
            )
        elif _g(part, "functionCall", "function_call") is not None:
            call = _dict(_g(part, "functionCall", "function_call"))
            result.append(
                Part(
                    kind="tool_call",
                    tool_name=_str(call.get("name")),
                    tool_call_id=_str_or_none(call.get("id")),
                    arguments=_pretty_json(call.get("args", {})),
                )
            )
        elif _g(part, "functionResponse", "function_response") is not None:
            response = _dict(_g(part, "functionResponse", "function_response"))
            text, is_json = _json_text(response.get("response", ""))
            result.append(
                Part(
                    kind="tool_result",
                    text=text,
                    tool_name=_str_or_none(response.get("name")),
                    tool_call_id=_str_or_none(response.get("id")),
                    media_type=_JSON_MEDIA_TYPE if is_json else None,
                )
            )
        elif _g(part, "executableCode", "executable_code") is not None:
            code = _dict(_g(part, "executableCode", "executable_code"))
            language = _str(code.get("language")).lower().replace("language_unspecified", "")
            # As a fenced block, so the page highlights it like any code in a message.
            text = f"```{language}\n{_str(code.get('code'))}\n```"
            result.append(Part(kind="text", text=text))
        elif _g(part, "codeExecutionResult", "code_execution_result") is not None:
            outcome = _dict(_g(part, "codeExecutionResult", "code_execution_result"))
            result.append(
                Part(
                    kind="tool_result",
                    text=_str(outcome.get("output")),
                    tool_name="code_execution",
                    is_error=_str(outcome.get("outcome")) not in ("", "OUTCOME_OK"),
                )
            )
        elif part and not set(part) <= {"thoughtSignature", "thought_signature", "thought"}:
            conversation.note(f"Parts with {', '.join(sorted(map(str, part)))} are not shown.")
    return result


def _gemini_response(body):
    candidates = _list(body.get("candidates"))
    conversation = Conversation(
        format=GEMINI,
        model=_str_or_none(body.get("modelVersion") or body.get("model_version")),
        usage=body.get("usageMetadata") if isinstance(body.get("usageMetadata"), dict) else None,
    )
    feedback = _dict(body.get("promptFeedback"))
    if feedback.get("blockReason"):
        conversation.finish_reason = _str(feedback["blockReason"])
        conversation.note(f"The prompt was blocked: {feedback['blockReason']}.")
    if not candidates:
        if not feedback.get("blockReason"):
            conversation.note("The response has no candidates.")
        return conversation
    if len(candidates) > 1:
        conversation.note(f"The response has {len(candidates)} candidates; the first is shown.")
    candidate = _dict(candidates[0])
    content = _dict(candidate.get("content"))
    parts = _gemini_parts(conversation, content.get("parts"))
    conversation.finish_reason = _str_or_none(candidate.get("finishReason"))
    _append_parts(conversation, "assistant", parts)
    return conversation


def _reassemble_gemini(chunks, notes):
    """GenerateContentResponse chunks as one response: adjacent text parts joined."""
    parts = []
    texts = []  # pieces of the text part being built, flushed when a different part arrives
    text_is_thought = None
    merged = {}
    finish_reason = None

    def flush():
        if texts:
            part = {"text": "".join(texts)}
            if text_is_thought:
                part["thought"] = True
            parts.append(part)
            texts.clear()

    for chunk in chunks:
        if isinstance(chunk, tuple):  # (event name, data) from the SSE reader
            chunk = chunk[1]
        chunk = _dict(chunk)
        if chunk.get("error"):
            notes.append(f"The stream reported an error: {_error_text(chunk)}")
            continue
        for key in ("usageMetadata", "modelVersion", "responseId", "promptFeedback"):
            if key in chunk:
                merged[key] = chunk[key]
        candidates = _list(chunk.get("candidates"))
        if not candidates:
            continue
        candidate = _dict(candidates[0])
        finish_reason = candidate.get("finishReason") or finish_reason
        for part in _list(_dict(candidate.get("content")).get("parts")):
            part = _dict(part)
            if isinstance(part.get("text"), str):
                thought = bool(part.get("thought"))
                if texts and thought != text_is_thought:
                    flush()
                text_is_thought = thought
                texts.append(part["text"])
            else:
                flush()
                parts.append(part)
    flush()
    candidate = {"content": {"role": "model", "parts": parts}}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    else:
        notes.append("The stream ended without a finishReason; the response may be incomplete.")
    return {"candidates": [candidate], **merged}


# ----------------------------------------------------------------------------- errors


def _error_text(body):
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("msg") or ""
        kind = error.get("type") or error.get("status") or error.get("code") or ""
        return f"{kind}: {message}" if kind and message else _str(message or kind)
    return _str(error or body.get("message") or "unknown error")


def _error_response(body):
    conversation = Conversation(format=ERROR)
    conversation.note(f"Error: {_error_text(body)}")
    return conversation


# ----------------------------------------------------------------------------- SSE


def _sse_events(text):
    """(events, saw_done, bad) for an SSE text: events are (event name, parsed data), bad is
    the count of data payloads that were not JSON (a cut last event, say)."""
    return _sse_events_fast(text) or _sse_events_exact(text)


def _sse_events_fast(text):
    """The common shape, one JSON document per data line, parsed in a single json.loads of
    all of them as an array: about twice as fast as one call per event on a 5 MB stream.
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
        notes.append(f"{bad} stream event(s) could not be read and were skipped.")
    if kind == OPENAI_CHAT and not saw_done:
        notes.append("The stream ended without [DONE]; the response may be incomplete.")
    return kind, body, notes


_REQUEST_PARSERS = {
    OPENAI_CHAT: _openai_chat_request,
    ANTHROPIC_MESSAGES: _anthropic_request,
    OPENAI_RESPONSES: _responses_request,
    GEMINI: _gemini_request,
}
_RESPONSE_PARSERS = {
    OPENAI_CHAT: _openai_chat_response,
    ANTHROPIC_MESSAGES: _anthropic_response,
    OPENAI_RESPONSES: _responses_response,
    GEMINI: _gemini_response,
    ERROR: _error_response,
}
