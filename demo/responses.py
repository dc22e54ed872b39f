"""Response bodies and server-sent event streams in each provider's wire format."""

import json

from .metadata import FINISH, anthropic_usage, google_usage, openai_usage

# ---- responses


def _response_headers(call, content_type):
    streaming = call.streamed and call.outcome != "error"
    return {
        ":status": "200",
        "content-type": "text/event-stream; charset=utf-8" if streaming else content_type,
    }


def origin_response_stage(call, reply, ids):
    model = call.model
    headers = _response_headers(call, "application/json")
    created = int(call.created_at.timestamp())
    if model.api == "anthropic":
        headers["request-id"] = "req_011C" + ids["request"][:20]
        headers["anthropic-organization-id"] = "b7f3c1d2-5e8a-4f90-a1b2-c3d4e5f6a7b8"
        body = _anthropic_body(call, reply, model.native_id, ids)
    elif model.api == "google":
        headers["content-type"] = headers["content-type"].replace("utf-8", "UTF-8")
        headers["server"] = "scaffolding on HTTPServer2"
        headers["server-timing"] = f"gfet4t7; dur={call.generation_time}"
        body = _google_body(call, reply, ids)
    else:
        headers["x-request-id"] = "req_" + ids["request"]
        if model.provider == "openai":
            headers["openai-processing-ms"] = str(call.generation_time)
            headers["openai-version"] = "2020-10-01"
        usage = openai_usage(call)
        body = _openai_body(
            call, reply, model.native_id, ids["chatcmpl"], created, usage, for_origin=True
        )
    return {"headers": headers, "body": body}


def user_response_stage(call, reply, ids):
    headers = _response_headers(call, "application/json")
    headers["x-zenmux-generation-id"] = call.generation_id
    if call.streamed:
        headers["cache-control"] = "no-cache"
    if call.anthropic_api:
        body = _anthropic_body(call, reply, call.model.slug, ids)
    else:
        created = int(call.created_at.timestamp())
        usage = openai_usage(call)
        body = _openai_body(
            call, reply, call.model.slug, call.generation_id, created, usage, for_origin=False
        )
    return {"headers": headers, "body": body}


def error_response_stages(call, ids):
    status, provider_body, code = call.error
    text_body = isinstance(provider_body, str)
    origin_headers = {
        ":status": str(status),
        "content-type": "text/html" if text_body else "application/json",
        "x-request-id": "req_" + ids["request"],
    }
    if status in (429, 529, 503):
        origin_headers["retry-after"] = "2"
    if text_body:
        message = f"{status} Bad Gateway"
    elif "message" in provider_body.get("error", {}):
        message = provider_body["error"]["message"]
    else:
        message = str(provider_body)
    provider = call.model.provider
    gateway_message = f"Provider {provider} returned {status}: {message}"
    if call.anthropic_api:
        user_body = {"type": "error", "error": {"type": code, "message": gateway_message}}
    else:
        user_body = {
            "error": {
                "code": code,
                "message": gateway_message,
                "type": code,
                "param": None,
                "metadata": {"provider": provider},
            }
        }
    user_status = 400 if status == 400 else 429 if status == 429 else 502
    user_headers = {
        ":status": str(user_status),
        "content-type": "application/json",
        "x-zenmux-generation-id": call.generation_id,
    }
    return (
        {"headers": origin_headers, "body": provider_body},
        {"headers": user_headers, "body": user_body},
    )


def _pieces(text, count):
    """Splits text into about `count` chunks at spaces; joined, they are the text again."""
    words = text.split(" ")
    step = max(1, -(-len(words) // count))
    chunks = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return [chunk + " " for chunk in chunks[:-1]] + chunks[-1:]


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# OpenAI Chat Completions


def _openai_body(call, reply, model_id, response_id, created, usage, *, for_origin):
    finish_reason = FINISH[call.finish][0] if reply.finished else None
    tool_calls = []
    if reply.tool_call:
        name, arguments = reply.tool_call
        tool_calls = [
            {
                "id": "call_" + response_id[-24:],
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ]
    # Reasoning text, where the API exposes it: DeepSeek and xAI upstream, and the gateway's
    # OpenAI-compatible "reasoning" field downstream. OpenAI never returns it.
    reasoning_key = None
    if reply.thinking and call.model.provider != "openai":
        if not for_origin:
            reasoning_key = "reasoning"
        elif call.model.provider in ("deepseek", "x-ai"):
            reasoning_key = "reasoning_content"
    annotations = (
        [
            {
                "type": "url_citation",
                "url_citation": {"url": url, "title": title, "start_index": 0, "end_index": 0},
            }
            for url, title in reply.citations
        ]
        if call.web_search
        else []
    )
    if call.streamed:
        return _openai_sse(
            call,
            reply,
            model_id,
            response_id,
            created,
            usage,
            finish_reason,
            tool_calls,
            reasoning_key,
        )
    message = {"role": "assistant", "content": reply.text or None}
    if reasoning_key:
        message[reasoning_key] = reply.thinking
    if tool_calls:
        message["tool_calls"] = tool_calls
    if call.audio:
        message["content"] = None
        message["audio"] = {
            "id": "audio_" + response_id[-24:],
            "expires_at": created + 3600,
            "data": "//uQxAAAAAAAAAAAAAAAAAAAAAAASW5mbwAAAA8AAAAMAAAUkQAVFRUV",
            "transcript": reply.text,
        }
    if call.model.provider == "openai":
        message["refusal"] = None
        message["annotations"] = annotations
    body = {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": model_id,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": usage,
    }
    if for_origin and call.model.provider == "openai":
        body["service_tier"] = "default"
        body["system_fingerprint"] = "fp_" + response_id[-10:].lower()
    if for_origin and call.model.provider == "x-ai" and call.web_search:
        body["citations"] = [url for url, _ in reply.citations]
    return body


def _openai_sse(
    call, reply, model_id, response_id, created, usage, finish_reason, tool_calls, reasoning_key
):
    head = {
        "id": response_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model_id,
    }

    def chunk(delta, finish=None, **extra):
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + _compact({**head, "choices": [choice], **extra}) + "\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    if reasoning_key:
        events += [chunk({reasoning_key: p}) for p in _pieces(reply.thinking, 2)]
    if reply.text:
        events += [chunk({"content": p}) for p in _pieces(reply.text, 6)]
    if tool_calls:
        call_ = tool_calls[0]
        start = {
            "index": 0,
            "id": call_["id"],
            "type": "function",
            "function": {"name": call_["function"]["name"], "arguments": ""},
        }
        events.append(chunk({"tool_calls": [start]}))
        for piece in _pieces(call_["function"]["arguments"], 3):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    if not reply.finished:
        return "".join(events)  # cut off: no finish, no usage, no [DONE]
    events.append(chunk({}, finish_reason))
    events.append("data: " + _compact({**head, "choices": [], "usage": usage}) + "\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events)


# Anthropic Messages


def _anthropic_blocks(call, reply, ids):
    blocks = []
    if reply.thinking:
        blocks.append(
            {
                "type": "thinking",
                "thinking": reply.thinking,
                "signature": "EqQBCkgIBxABGAIiQL" + ids["token"],
            }
        )
    if call.web_search and reply.citations:
        search_id = "srvtoolu_01" + ids["toolu"][8:30]
        blocks.append(
            {
                "type": "server_tool_use",
                "id": search_id,
                "name": "web_search",
                "input": {"query": call.scenario.search_query},
            }
        )
        blocks.append(
            {
                "type": "web_search_tool_result",
                "tool_use_id": search_id,
                "content": [
                    {
                        "type": "web_search_result",
                        "url": url,
                        "title": title,
                        "page_age": "3 months ago",
                        "encrypted_content": "EpMBCioIBxgCIiQ0" + ids["request"][:16],
                    }
                    for url, title in reply.citations
                ],
            }
        )
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if reply.tool_call:
        name, arguments = reply.tool_call
        blocks.append({"type": "tool_use", "id": ids["toolu"], "name": name, "input": arguments})
    return blocks


def _anthropic_body(call, reply, model_id, ids):
    stop_reason = FINISH[call.finish][1] if reply.finished else None
    blocks = _anthropic_blocks(call, reply, ids)
    if call.streamed:
        return _anthropic_sse(call, blocks, model_id, ids, stop_reason)
    return {
        "id": ids["msg"],
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": anthropic_usage(call),
    }


def _sse_event(name, data):
    return f"event: {name}\ndata: {_compact(data)}\n\n"


def _anthropic_sse(call, blocks, model_id, ids, stop_reason):
    start_usage = anthropic_usage(call, output_tokens=1)
    events = [
        _sse_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": ids["msg"],
                    "type": "message",
                    "role": "assistant",
                    "model": model_id,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        )
    ]
    events.append(_sse_event("ping", {"type": "ping"}))
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            start, deltas = (
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in _pieces(block["text"], 5)],
            )
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], 2)
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "tool_use":
            start = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": p}
                for p in _pieces(json.dumps(block["input"]), 3)
            ]
        else:  # server tool blocks arrive whole
            start, deltas = block, []
        events.append(
            _sse_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        for delta in deltas:
            events.append(
                _sse_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        if stop_reason is None and index == len(blocks) - 1:
            return "".join(events)  # cancelled mid-block
        events.append(
            _sse_event("content_block_stop", {"type": "content_block_stop", "index": index})
        )
    if stop_reason is None:
        return "".join(events)
    usage = {"output_tokens": call.output_total}
    if call.web_search:
        usage["server_tool_use"] = {"web_search_requests": call.web_search}
    events.append(
        _sse_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": usage,
            },
        )
    )
    events.append(_sse_event("message_stop", {"type": "message_stop"}))
    return "".join(events)


# Gemini generateContent


def _google_parts_out(reply):
    parts = []
    if reply.text:
        parts.append({"text": reply.text})
    if reply.tool_call:
        name, arguments = reply.tool_call
        parts.append({"functionCall": {"name": name, "args": arguments}})
    return parts


def _google_body(call, reply, ids):
    finish = FINISH[call.finish][2] if reply.finished else None
    response_id = ids["request"][:22]
    candidate = {"content": {"parts": _google_parts_out(reply), "role": "model"}}
    if finish:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    if call.web_search:
        candidate["groundingMetadata"] = {
            "webSearchQueries": [call.scenario.search_query],
            "groundingChunks": [
                {"web": {"uri": url, "title": title}} for url, title in reply.citations
            ],
        }
    usage = google_usage(call)
    if not call.streamed:
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": call.model.native_id,
            "responseId": response_id,
        }
    events = []
    pieces = _pieces(reply.text, 4) if reply.text else []
    for piece in pieces:
        events.append(
            {
                "candidates": [
                    {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
                ],
                "usageMetadata": {"promptTokenCount": call.prompt_total},
                "modelVersion": call.model.native_id,
                "responseId": response_id,
            }
        )
    if reply.finished:
        last = {**candidate, "content": {"parts": [], "role": "model"}}
        if reply.tool_call or not pieces:
            last["content"]["parts"] = [p for p in _google_parts_out(reply) if "text" not in p]
        events.append(
            {
                "candidates": [last],
                "usageMetadata": usage,
                "modelVersion": call.model.native_id,
                "responseId": response_id,
            }
        )
    return "".join("data: " + _compact(e) + "\r\n\r\n" for e in events)
