"""Google Gemini generateContent: requests, responses, and streamed chunks (SSE or a JSON
array)."""

from django.utils.translation import gettext

from .common import (
    _JSON_MEDIA_TYPE,
    GEMINI,
    Conversation,
    Message,
    Part,
    ToolDef,
    _append_parts,
    _b64_size,
    _dict,
    _error_text,
    _json_text,
    _list,
    _media_kind,
    _pretty_json,
    _role,
    _str,
    _str_or_none,
    _text_part,
    _tool_def,
)


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
            conversation.note(
                gettext("Parts with %(keys)s are not shown.")
                % {"keys": ", ".join(sorted(map(str, part)))}
            )
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
        conversation.note(
            gettext("The prompt was blocked: %(reason)s.") % {"reason": feedback["blockReason"]}
        )
    if not candidates:
        if not feedback.get("blockReason"):
            conversation.note(gettext("The response has no candidates."))
        return conversation
    if len(candidates) > 1:
        conversation.note(
            gettext("The response has %(count)s candidates; the first is shown.")
            % {"count": len(candidates)}
        )
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
            notes.append(
                gettext("The stream reported an error: %(error)s") % {"error": _error_text(chunk)}
            )
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
        notes.append(
            gettext("The stream ended without a finishReason; the response may be incomplete.")
        )
    return {"candidates": [candidate], **merged}
