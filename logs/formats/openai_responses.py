"""OpenAI Responses: requests, responses, and response.* event streams."""

from django.utils.translation import gettext

from .common import (
    _JSON_MEDIA_TYPE,
    OPENAI_RESPONSES,
    Conversation,
    Message,
    Part,
    ToolDef,
    _b64_size,
    _dict,
    _error_text,
    _first,
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
from .openai_chat import _openai_content


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
            conversation.note(
                gettext("Items of type %(kind)s are not shown.") % {"kind": repr(kind)}
            )


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
        conversation.note(
            gettext("The response reported an error: %(error)s") % {"error": _error_text(body)}
        )
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
            notes.append(
                gettext("The stream reported an error: %(error)s") % {"error": _error_text(event)}
            )
    notes.append(
        gettext("The stream ended before response.completed; the response may be incomplete.")
    )
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
