"""OpenAI Chat Completions: requests, responses, and chat.completion.chunk streams. Its
content-part reader also serves OpenAI Responses (see openai_responses)."""

from django.utils.translation import gettext

from .common import (
    _JSON_MEDIA_TYPE,
    OPENAI_CHAT,
    Conversation,
    Message,
    Part,
    ToolDef,
    _b64_size,
    _dict,
    _error_text,
    _index,
    _json_text,
    _list,
    _media_from_url,
    _pretty_json,
    _role,
    _sort_key,
    _str,
    _str_or_none,
    _text_part,
    _tool_def,
)


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
            conversation.note(
                gettext("Content parts of type %(kind)s are not shown.") % {"kind": repr(kind)}
            )
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
        conversation.note(gettext("The response has no choices."))
        return conversation
    if len(choices) > 1:
        conversation.note(
            gettext("The response has %(count)s choices; the first is shown.")
            % {"count": len(choices)}
        )
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
            notes.append(
                gettext("The stream reported an error: %(error)s") % {"error": _error_text(event)}
            )
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
        notes.append(gettext("The stream has several choices; the first is shown."))
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
