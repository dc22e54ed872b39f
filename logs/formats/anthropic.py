"""Anthropic Messages: requests, responses, and message_start / content_block_* streams."""

import json

from django.utils.translation import gettext

from .common import (
    _JSON_MEDIA_TYPE,
    ANTHROPIC_MESSAGES,
    Conversation,
    Message,
    Part,
    ToolDef,
    _append_parts,
    _b64_size,
    _dict,
    _error_text,
    _index,
    _json_text,
    _list,
    _pretty_json,
    _role,
    _sort_key,
    _str,
    _str_or_none,
    _text_part,
    _tool_def,
)


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
    conversation.note(
        gettext("Content blocks of type %(kind)s are not shown.") % {"kind": repr(kind)}
    )
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
            notes.append(
                gettext("The stream reported an error: %(error)s") % {"error": _error_text(event)}
            )
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
                    notes.append(
                        gettext("The input of tool call %(name)s is incomplete.")
                        % {"name": repr(block.get("name"))}
                    )
        elif kind == "thinking":
            block["thinking"] = _str(block.get("thinking")) + joined
        elif kind == "text":
            block["text"] = _str(block.get("text")) + joined
        content.append(block)
    if not stopped:
        notes.append(
            gettext("The stream ended before message_stop; the response may be incomplete.")
        )
    message.setdefault("type", "message")
    message.setdefault("role", "assistant")
    message["content"] = content
    if usage:
        message["usage"] = usage
    return message
