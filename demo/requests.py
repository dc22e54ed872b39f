"""Request bodies in each provider's wire format: OpenAI Chat, Anthropic Messages, Gemini."""

import json
from decimal import Decimal

from .catalog import GATEWAY_AGENT, ORIGIN_HOSTS

# ---- requests


def user_request_stage(call, ids):
    key = call.key
    headers = {
        ":method": "POST",
        ":path": "/api/anthropic/v1/messages" if call.anthropic_api else "/api/v1/chat/completions",
        "host": "zenmux.ai",
        "content-type": "application/json",
        "accept": "text/event-stream" if call.streamed else "application/json",
    }
    if call.anthropic_api:
        headers["user-agent"] = "Anthropic/Python 0.69.0"
        headers["x-api-key"] = f"sk-ss-v1-demo{ids['token']}"
        headers["anthropic-version"] = "2023-06-01"
        body = _anthropic_request(call, call.model.slug)
    else:
        headers["user-agent"] = key.user_agent
        headers["authorization"] = f"Bearer sk-ss-v1-demo{ids['token']}"
        if key.user_agent.startswith("OpenAI/"):
            headers["x-stainless-lang"] = "python" if "Python" in key.user_agent else "js"
            headers["x-stainless-retry-count"] = "0"
        body = _openai_request(call, call.model.slug, ids, for_origin=False)
    return {"headers": headers, "body": body}


def origin_request_stage(call, ids):
    model = call.model
    host, path = ORIGIN_HOSTS[model.provider]
    headers = {
        ":method": "POST",
        ":path": path,
        ":authority": host,
        "content-type": "application/json",
        "user-agent": GATEWAY_AGENT,
    }
    if model.api == "anthropic":
        headers["x-api-key"] = f"sk-ant-api03-demo{ids['token'][:24]}"
        headers["anthropic-version"] = "2023-06-01"
        if call.input_cache_write_1_h:
            headers["anthropic-beta"] = "extended-cache-ttl-2025-04-11"
        body = _anthropic_request(call, model.native_id)
    elif model.api == "google":
        method = "streamGenerateContent?alt=sse" if call.streamed else "generateContent"
        headers[":path"] = f"{path}{model.native_id}:{method}"
        headers["x-goog-api-key"] = f"AIzaSyDemo{ids['token'][:29]}"
        headers["x-goog-api-client"] = "zenmux-gateway/1.8.2"
        body = _google_request(call)
    else:
        headers["authorization"] = f"Bearer sk-demo-{model.provider}-{ids['token'][:32]}"
        body = _openai_request(call, model.native_id, ids, for_origin=True)
    headers["x-request-id"] = call.generation_id
    return {"headers": headers, "body": body}


def _openai_messages(call, ids):
    sc = call.scenario
    messages = [{"role": "system", "content": sc.system}] if sc.system else []
    messages.append({"role": "user", "content": sc.user})
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": ids["call"],
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(arguments)},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": ids["call"], "content": sc.tool_result})
    return messages


def _openai_request(call, model_id, ids, *, for_origin):
    sc, model = call.scenario, call.model
    body = {"model": model_id, "messages": _openai_messages(call, ids)}
    if sc.tools:
        body["tools"] = list(sc.tools)
        body["tool_choice"] = "auto"
    if sc.json_mode:
        body["response_format"] = {"type": "json_object"}
    if call.audio:
        body["modalities"] = ["text", "audio"]
        body["audio"] = {"voice": "alloy", "format": "mp3"}
    if call.web_search:
        if for_origin and model.provider == "x-ai":
            body["search_parameters"] = {"mode": "on", "return_citations": True}
        else:
            body["web_search_options"] = {"search_context_size": "medium"}
    if for_origin and model.provider == "openai":
        body["max_completion_tokens"] = call.max_tokens
    else:
        body["max_tokens"] = call.max_tokens
    if model.reasoning == "always" and model.provider == "openai" and for_origin:
        body["reasoning_effort"] = "minimal" if not call.internal_reasoning else "medium"
    elif not call.thinking:
        body["temperature"] = Decimal("0.3")
    if call.thinking and not for_origin and model.reasoning == "sometimes":
        body["reasoning"] = {"enabled": True, "max_tokens": 4096}
    if call.streamed:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if not for_origin and call.index % 4 == 0:
        body["user"] = f"user_{call.index % 997:04d}"
    return body


def _anthropic_content(part):
    if part["type"] == "image_url":
        return {"type": "image", "source": {"type": "url", "url": part["image_url"]["url"]}}
    return {"type": "text", "text": part["text"]}


def _anthropic_tool(tool):
    fn = tool["function"]
    return {"name": fn["name"], "description": fn["description"], "input_schema": fn["parameters"]}


def _anthropic_request(call, model_id):
    sc = call.scenario
    body = {"model": model_id, "max_tokens": call.max_tokens}
    if sc.system:
        if call.input_cache_read or call.input_cache_write_5_min or call.input_cache_write_1_h:
            cache_control = {"type": "ephemeral"}
            if call.input_cache_write_1_h:
                cache_control["ttl"] = "1h"
            body["system"] = [{"type": "text", "text": sc.system, "cache_control": cache_control}]
        else:
            body["system"] = sc.system
    user = sc.user
    if isinstance(user, list):
        user = [_anthropic_content(p) for p in user]
    messages = [{"role": "user", "content": user}]
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        tool_use_id = "toolu_01" + call.generation_id[6:12] + "PrevTurnXk2"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": sc.preamble},
                    {"type": "tool_use", "id": tool_use_id, "name": name, "input": arguments},
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use_id, "content": sc.tool_result},
                ],
            }
        )
    body["messages"] = messages
    tools = [_anthropic_tool(t) for t in sc.tools]
    if call.web_search:
        tools.append({"type": "web_search_20250305", "name": "web_search", "max_uses": 5})
    if tools:
        body["tools"] = tools
    if call.thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": 4096}
    else:
        body["temperature"] = Decimal("0.3")
    if call.streamed:
        body["stream"] = True
    return body


def _google_parts(content):
    if isinstance(content, str):
        return [{"text": content}]
    parts = []
    for part in content:
        if part["type"] == "image_url":
            parts.append(
                {"fileData": {"mimeType": "image/png", "fileUri": part["image_url"]["url"]}}
            )
        else:
            parts.append({"text": part["text"]})
    return parts


def _google_request(call):
    sc = call.scenario
    contents = [{"role": "user", "parts": _google_parts(sc.user)}]
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        contents.append(
            {"role": "model", "parts": [{"functionCall": {"name": name, "args": arguments}}]}
        )
        contents.append(
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": name, "response": {"content": sc.tool_result}}}
                ],
            }
        )
    body = {"contents": contents}
    if sc.system:
        body["systemInstruction"] = {"parts": [{"text": sc.system}]}
    if sc.tools:
        body["tools"] = [{"functionDeclarations": [t["function"] for t in sc.tools]}]
    if call.web_search:
        body["tools"] = [{"googleSearch": {}}]
    config = {"maxOutputTokens": call.max_tokens}
    if not call.thinking:
        config["temperature"] = Decimal("0.3")
    if call.model.reasoning:
        config["thinkingConfig"] = {"thinkingBudget": -1 if call.thinking else 0}
    if sc.json_mode:
        config["responseMimeType"] = "application/json"
    body["generationConfig"] = config
    return body
