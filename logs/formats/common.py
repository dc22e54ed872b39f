"""What the format modules share: the format names, the normalized data every body
becomes (Part, Message, ToolDef, Conversation), and the small defensive helpers the
parsers and stream reassemblers all use."""

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

OPENAI_CHAT = "openai_chat"
ANTHROPIC_MESSAGES = "anthropic_messages"
OPENAI_RESPONSES = "openai_responses"
GEMINI = "gemini"
OTEL_GENAI = "otel_genai"
ERROR = "error"

FORMAT_LABELS = {
    OPENAI_CHAT: "OpenAI Chat Completions",
    ANTHROPIC_MESSAGES: "Anthropic Messages",
    OPENAI_RESPONSES: "OpenAI Responses",
    GEMINI: "Google Gemini",
    OTEL_GENAI: "OpenTelemetry GenAI",
    ERROR: _("Error"),
}

ROLE_LABELS = {
    "system": _("System"),
    "developer": _("Developer"),
    "user": _("User"),
    "assistant": _("Assistant"),
    "tool": _("Tool"),
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
    """

    format: str
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolDef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model: str | None = None
    finish_reason: str | None = None
    usage: dict | None = None
    streamed: bool = False

    @property
    def format_label(self):
        return FORMAT_LABELS.get(self.format, self.format)

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


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


def _tool_def(tool, schema_key):
    schema = tool.get(schema_key)
    return ToolDef(
        name=_str(tool.get("name")),
        description=_str(tool.get("description")),
        parameters_json=_pretty_json(schema) if schema is not None else "",
    )


def _role(conversation, role, default="user"):
    role = _str(role).lower() or default
    if role in ROLE_LABELS:
        return role
    if role == "model":
        return "assistant"
    if role in ("function", "ipython"):
        return "tool"
    conversation.note(
        gettext("Messages with the unknown role %(role)s are shown as %(default)s.")
        % {"role": repr(role[:40]), "default": default}
    )
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
            part.text = clean_text(part.text)
            part.tool_name = _clean_or_none(part.tool_name)
            part.tool_call_id = _clean_or_none(part.tool_call_id)
            part.arguments = _clean_or_none(part.arguments)
            part.media_type = _clean_or_none(part.media_type)
    for tool in conversation.tools:
        tool.name = clean_text(tool.name)
        tool.description = clean_text(tool.description)
        tool.parameters_json = clean_text(tool.parameters_json)
    conversation.notes = [clean_text(n) for n in conversation.notes]
    conversation.model = _clean_or_none(conversation.model)
    conversation.finish_reason = _clean_or_none(conversation.finish_reason)


def clean_text(text):
    """Text that encodes as UTF-8: lone surrogates (from bytes decoded with surrogateescape, or
    a JSON "\\udcff" escape) cannot be, and would break the response; they become U+FFFD.
    None becomes "" and anything else its str(). The details page's highlighting cleans
    what it is given with it too (logs.detail.highlight)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _clean_or_none(text):
    return None if text is None else clean_text(text)


# ----------------------------------------------------------------------------- stream events


def _index(value):
    """An event's index as a dict key: JSON can put a list there, which is unhashable."""
    return value if isinstance(value, int | str) else None


def _first(pair):
    return _sort_key(pair[0])


def _sort_key(index):
    return (0, index, "") if isinstance(index, int) else (1, 0, _str(index))


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
    conversation.note(gettext("Error: %(error)s") % {"error": _error_text(body)})
    return conversation
