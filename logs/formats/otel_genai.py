"""OpenTelemetry's GenAI messages, as the OTLP receiver (logs.otlp) stores them for a span:
the request stage holds {"system_instructions", "input_messages", "tool_definitions"}, the
response stage {"output_messages"}, each the JSON the semantic conventions define (messages
of a role and parts: text, tool_call, tool_call_response, reasoning, uri, blob, file)."""

from .common import (
    _JSON_MEDIA_TYPE,
    OTEL_GENAI,
    Conversation,
    Part,
    ToolDef,
    _append_parts,
    _b64_size,
    _dict,
    _json_text,
    _list,
    _media_kind,
    _pretty_json,
    _role,
    _str,
    _str_or_none,
)


def is_otel_request(body):
    return "input_messages" in body or "system_instructions" in body


def is_otel_response(body):
    return "output_messages" in body


def _otel_request(body):
    conversation = Conversation(format=OTEL_GENAI, model=_str_or_none(body.get("model")))
    instructions = _parts(body.get("system_instructions"))
    if instructions:
        _append_parts(conversation, "system", instructions)
    _messages(conversation, body.get("input_messages"))
    for tool in _list(body.get("tool_definitions")):
        tool = _dict(tool)
        schema = tool.get("parameters")
        conversation.tools.append(
            ToolDef(
                name=_str(tool.get("name")) or _str(tool.get("type")) or "tool",
                description=_str(tool.get("description")),
                parameters_json=_pretty_json(schema) if schema is not None else "",
            )
        )
    return conversation


def _otel_response(body):
    conversation = Conversation(format=OTEL_GENAI, model=_str_or_none(body.get("model")))
    messages = _list(body.get("output_messages"))
    _messages(conversation, messages)
    for message in messages:
        reason = _str_or_none(_dict(message).get("finish_reason"))
        if reason:
            conversation.finish_reason = reason
            break
    return conversation


def _messages(conversation, messages):
    for message in _list(messages):
        message = _dict(message)
        role = _role(conversation, message.get("role"))
        _append_parts(
            conversation, role, _parts(message.get("parts")), _str_or_none(message.get("name"))
        )


def _parts(parts):
    out = []
    for part in _list(parts):
        part = _dict(part)
        kind = _str(part.get("type"))
        if kind == "text":
            text = _str(part.get("content"))
            if text:
                out.append(Part(kind="text", text=text))
        elif kind == "reasoning":
            out.append(Part(kind="thinking", text=_str(part.get("content"))))
        elif kind == "tool_call":
            out.append(
                Part(
                    kind="tool_call",
                    tool_name=_str_or_none(part.get("name")),
                    tool_call_id=_str_or_none(part.get("id")),
                    arguments=_pretty_json(part.get("arguments")),
                )
            )
        elif kind == "tool_call_response":
            text, is_json = _json_text(part.get("response", part.get("result")))
            out.append(
                Part(
                    kind="tool_result",
                    text=text,
                    tool_call_id=_str_or_none(part.get("id")),
                    media_type=_JSON_MEDIA_TYPE if is_json else None,
                )
            )
        elif kind in ("uri", "blob", "file"):
            media_type = _str_or_none(part.get("mime_type"))
            modality = _str(part.get("modality"))
            media = modality if modality in ("image", "audio") else _media_kind(media_type)
            if kind == "blob":
                out.append(
                    Part(
                        kind=media,
                        media_type=media_type,
                        size=_b64_size(part.get("content")),
                        source="base64",
                    )
                )
            elif kind == "uri":
                out.append(
                    Part(
                        kind=media, text=_str(part.get("uri")), media_type=media_type, source="url"
                    )
                )
            else:
                out.append(
                    Part(
                        kind=media,
                        text=_str(part.get("file_id")),
                        media_type=media_type,
                        source="file_id",
                    )
                )
        elif kind:
            # A part type newer than this reader: its content as text, never dropped.
            text = _str(part.get("content")) or _pretty_json(part)
            out.append(Part(kind="text", text=text))
    return out
