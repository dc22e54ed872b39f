"""A GenAI span as a generation record (the shape POST /api/v1/generations takes), and the
conversation a span or a log record carries as the OpenTelemetry GenAI messages.

Today's attribute names and the legacy ones are both read: `gen_ai.usage.input_tokens` and
`gen_ai.usage.prompt_tokens`, `gen_ai.provider.name` and `gen_ai.system`, the messages as
`gen_ai.input.messages`/`gen_ai.output.messages` (JSON on a span, structured on a log
record) and as OpenLLMetry's `gen_ai.prompt.N.*`/`gen_ai.completion.N.*` attributes or the
older per-message events (`gen_ai.user.message`, `gen_ai.choice`, ...).
"""

import datetime as dt
import math
import re
from decimal import Decimal

from logs.record.values import ID_RE, MAX_CREATED_AT, MAX_INT, MAX_THROUGHPUT, SLUG_RE

from .decode import json_text

GENAI_OPERATIONS = {"chat", "text_completion", "generate_content"}
LEGACY_REQUEST_TYPES = {"chat", "completion"}
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
# The attributes whose content goes to the stages (the conversation), not into otelSpan.
CONTENT_KEYS = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages")
_LEGACY_CONTENT = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(.+)$")
# gen_ai.provider.name values, as the price table names their providers.
PROVIDERS = {
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "mistral_ai": "mistralai",
    "azure.ai.openai": "openai",
    "az.ai.openai": "openai",
}
# Seconds from the request to the first chunk, as instrumentations name it.
FIRST_TOKEN_ATTRIBUTES = (
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
    "gen_ai.response.time_to_first_token",
    "llm.response.time_to_first_token",
)
FIRST_TOKEN_EVENTS = ("gen_ai.content.first_chunk", "first_token", "gen_ai.first_token")


# createdAt must come before MAX_CREATED_AT; later times would not even make a datetime.
_LAST_START_NS = int(MAX_CREATED_AT.timestamp()) * 1_000_000_000


def generation_id(trace_id, span_id):
    """Deterministic: a re-sent span is the same generation. 54 characters of ID_RE."""
    return f"otel-{trace_id}-{span_id}"


def is_generation(attributes):
    operation = attributes.get("gen_ai.operation.name")
    if operation is not None:
        return operation in GENAI_OPERATIONS
    return (
        attributes.get("llm.request.type") in LEGACY_REQUEST_TYPES
        and attributes.get("gen_ai.system") is not None
    )


class Refused(ValueError):
    """A GenAI span that cannot be a generation; the message names the attribute."""


def _first(attributes, *names):
    for name in names:
        value = attributes.get(name)
        if value is not None and value != "":
            return value
    return None


def _count(attributes, *names):
    value = _first(attributes, *names)
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, str) and value.isdigit() and len(value) < 16:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused(f"{names[0]}: must be a non-negative integer")
    return value


def _slug_part(value):
    """A provider or model name as SLUG_RE allows it."""
    text = re.sub(r"[^A-Za-z0-9_.:/@+\-]+", "-", str(value)).strip("-")
    return text[:100]


def _api_key_id(value):
    text = re.sub(r"[^A-Za-z0-9_.:\-]+", "-", str(value)).strip("-._:")[:64]
    return text if ID_RE.match(text) else ""


def _utc(ns):
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )


def _plain(value):
    """An attribute value as the record's JSON keeps it: integers past 2**53 and
    non-finite floats as text, finite floats as exact decimals."""
    # By exact type first: this runs for every attribute and message part of every span,
    # and an isinstance chain cost more than the rest of the mapping.
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    if kind is int:
        return value if -MAX_INT <= value <= MAX_INT else str(value)
    if kind is float:
        return Decimal(repr(value)) if math.isfinite(value) else repr(value)
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return _plain(int(value))
    if isinstance(value, float):
        return _plain(float(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def span_record(span, price_book):
    """The generation record of a GenAI span. Raises Refused naming the attribute."""
    a = span.attributes
    model = _first(a, "gen_ai.response.model", "gen_ai.request.model")
    if model is None:
        raise Refused("gen_ai.request.model: is required (nor is gen_ai.response.model set)")
    provider = _first(a, "gen_ai.provider.name", "gen_ai.system") or "unknown"
    provider = _slug_part(PROVIDERS.get(str(provider).lower(), str(provider).lower()))
    if not SLUG_RE.match(provider):
        raise Refused("gen_ai.provider.name: is not a provider name")
    model = str(model)[:200]
    if not 0 < span.start_ns < _LAST_START_NS:
        raise Refused("startTimeUnixNano: must be a time from 1970 up to 2200")
    created_at = _utc(span.start_ns)
    slug = _model_slug(provider, model, a.get("gen_ai.request.model"), created_at, price_book)
    record = {
        "generationId": generation_id(span.trace_id, span.span_id),
        "accountId": "otlp",  # replaced by the token's account
        "apiKeyId": _key_id(span),
        "model": model,
        "modelSlug": slug,
        "providerSlug": provider,
        "createdAt": created_at.isoformat(timespec="milliseconds"),
    }
    duration_ms = None
    if span.end_ns >= span.start_ns:
        duration_ms = (span.end_ns - span.start_ns) // 1_000_000
        record["generationTime"] = min(duration_ms, 2**31 - 1)
    first_token = _first_token_ms(span)
    if first_token is not None:
        record["latency"] = first_token
    streamed = _first(a, "gen_ai.request.stream", "llm.is_streaming", "gen_ai.is_streaming")
    if isinstance(streamed, bool):
        record["streamed"] = streamed
    fees, usage = _fee_tokens(a)
    record["nativeFeeTokens"] = fees
    if usage:
        record["nativeTokens"] = usage
    output = (fees.get("completion") or 0) + (fees.get("internal_reasoning") or 0)
    if duration_ms:
        throughput = Decimal(output) * 1000 / Decimal(duration_ms)
        if throughput < MAX_THROUGHPUT:  # tokens per second; absurd counts leave it unknown
            record["throughput"] = f"{throughput:.2f}"
    reason = _finish_reason(span)
    if span.status_code == 2:  # STATUS_CODE_ERROR
        reason = reason or "error"
    if reason:
        record["finishReason"] = record["nativeFinishReason"] = str(reason)[:64]
    record["otelSpan"] = _span_as_received(span)
    return record


def _model_slug(provider, model, request_model, at, price_book):
    """provider/model, with the model that has a price: an OpenAI response names a dated
    snapshot (gpt-4o-mini-2024-07-18) where the price table has the model it asked for."""
    slug = f"{provider}/{_slug_part(model)}"
    if request_model and request_model != model:
        asked = f"{provider}/{_slug_part(request_model)}"
        if price_book.price(slug, at) is None and price_book.price(asked, at) is not None:
            slug = asked
    return slug[:200]


def _key_id(span):
    key = _first(span.attributes, "zenlogs.api_key.id")
    if key is not None:
        text = _api_key_id(key)
        if not text:
            raise Refused("zenlogs.api_key.id: must be an id (letters, digits, _ . : -)")
        return text
    return _api_key_id(span.resource.get("service.name") or "") or "unknown_service"


def key_name(span):
    """The API key's name to show: zenlogs.api_key.name, else the service's name when the
    service is the key."""
    if span.attributes.get("zenlogs.api_key.id") is not None:
        name = span.attributes.get("zenlogs.api_key.name")
    else:
        name = span.resource.get("service.name")
    return name if isinstance(name, str) else None


def _first_token_ms(span):
    seconds = _first(span.attributes, *FIRST_TOKEN_ATTRIBUTES)
    is_number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if is_number and math.isfinite(seconds) and 0 <= seconds < 2**31 / 1000:
        return int(seconds * 1000)
    for name, time_ns, _ in span.events:
        if name in FIRST_TOKEN_EVENTS and time_ns >= span.start_ns:
            return min((time_ns - span.start_ns) // 1_000_000, 2**31 - 1)
    return None


def _fee_tokens(a):
    """nativeFeeTokens from the usage attributes. The conventions count cached and
    cache-writing input inside input_tokens, and reasoning inside output_tokens, so prompt
    and completion are the remainders."""
    inputs = _count(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    outputs = _count(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    cache_read = _count(
        a, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"
    )
    cache_write = _count(
        a, "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens"
    )
    reasoning = _count(a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens")
    fees = {}
    if inputs is not None:
        fees["prompt"] = max(0, inputs - (cache_read or 0) - (cache_write or 0))
    if cache_read is not None:
        fees["input_cache_read"] = cache_read
    if cache_write is not None:
        fees["input_cache_write"] = cache_write
    if outputs is not None:
        fees["completion"] = max(0, outputs - (reasoning or 0))
    if reasoning is not None:
        fees["internal_reasoning"] = reasoning
    usage = {k: _plain(v) for k, v in a.items() if k.startswith(("gen_ai.usage.", "llm.usage."))}
    return fees, usage


def _finish_reason(span):
    reasons = span.attributes.get("gen_ai.response.finish_reasons")
    if isinstance(reasons, list) and reasons:
        return reasons[0]
    if isinstance(reasons, str) and reasons:
        return reasons
    legacy = span.attributes.get("gen_ai.completion.0.finish_reason")
    if legacy:
        return legacy
    for message in json_text(span.attributes.get("gen_ai.output.messages")) or []:
        if isinstance(message, dict) and message.get("finish_reason"):
            return message["finish_reason"]
    return None


def _span_as_received(span):
    """The span for JSON mode: everything it carried but the conversation, which the stages
    hold (shown in the request and response panels)."""
    attributes = {
        k: _plain(v)
        for k, v in span.attributes.items()
        if k not in CONTENT_KEYS and not _LEGACY_CONTENT.match(k)
    }
    return {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "parentSpanId": span.parent_span_id,
        "name": span.name,
        "kind": span.kind,
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "status": {"code": span.status_code, "message": span.status_message},
        "resource": _plain(span.resource),
        "scope": span.scope,
        "attributes": attributes,
        "events": [
            {"name": name, "timeUnixNano": str(time_ns), "attributes": _plain(attrs)}
            for name, time_ns, attrs in span.events
            if name not in LEGACY_EVENTS
        ],
    }


# ----------------------------------------------------------------------------- conversation


LEGACY_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.choice": "choice",
    "gen_ai.content.prompt": "prompt",
    "gen_ai.content.completion": "completion",
}


def empty_conversation():
    return {"system_instructions": [], "input_messages": [], "output_messages": []}


def span_conversation(span):
    """The conversation a span carries itself (attributes or events), or None."""
    a = span.attributes
    conversation = empty_conversation()
    for key, name in (
        ("gen_ai.system_instructions", "system_instructions"),
        ("gen_ai.input.messages", "input_messages"),
        ("gen_ai.output.messages", "output_messages"),
    ):
        value = json_text(a.get(key))
        if isinstance(value, list):
            conversation[name] = value
    if not any(conversation.values()):
        _legacy_attributes(a, conversation)
    if not any(conversation.values()):
        for name, _, attributes in span.events:
            add_event(conversation, name, attributes)
    return conversation if any(conversation.values()) else None


def log_conversation(record):
    """The conversation part a log record carries, or None when it carries none."""
    name = record.event_name
    if name == DETAILS_EVENT:
        conversation = empty_conversation()
        sources = [record.attributes]
        if isinstance(record.body, dict):
            sources.append(record.body)
        for source in sources:
            for key, field in (
                ("gen_ai.system_instructions", "system_instructions"),
                ("gen_ai.input.messages", "input_messages"),
                ("gen_ai.output.messages", "output_messages"),
            ):
                value = json_text(source.get(key))
                if isinstance(value, list) and not conversation[field]:
                    conversation[field] = value
        return conversation if any(conversation.values()) else None
    if name in LEGACY_EVENTS:
        conversation = empty_conversation()
        body = record.body if isinstance(record.body, dict) else {}
        add_event(conversation, name, {**record.attributes, **body})
        return conversation if any(conversation.values()) else None
    return None


def merge(into, part):
    """Adds a conversation part (one legacy event, or a whole details record) to another."""
    for key in ("system_instructions", "input_messages", "output_messages"):
        into[key] = list(into.get(key) or []) + list(part.get(key) or [])
    return into


def add_event(conversation, name, attributes):
    role = LEGACY_EVENTS.get(name)
    if role is None:
        return
    if role == "prompt":
        for message in json_text(attributes.get("gen_ai.prompt")) or []:
            if isinstance(message, dict):
                conversation["input_messages"].append(_legacy_message(message.get("role"), message))
        return
    if role == "completion":
        for message in json_text(attributes.get("gen_ai.completion")) or []:
            if isinstance(message, dict):
                conversation["output_messages"].append(
                    _legacy_message("assistant", message, message.get("finish_reason"))
                )
        return
    if role == "choice":
        message = attributes.get("message")
        message = message if isinstance(message, dict) else {}
        conversation["output_messages"].append(
            _legacy_message(
                message.get("role") or "assistant", message, attributes.get("finish_reason")
            )
        )
        return
    conversation["input_messages"].append(_legacy_message(role, attributes))


def _legacy_message(role, body, finish_reason=None):
    """An OpenAI-style message ({role, content, tool_calls, tool_call_id}) as GenAI parts."""
    role = str(role or "user")
    parts = []
    content = body.get("content")
    if role == "tool":
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": body.get("id") or body.get("tool_call_id"),
                    "response": content,
                }
            ],
        }
    if isinstance(content, str) and content:
        parts.append({"type": "text", "content": content})
    elif isinstance(content, list):
        for item in content:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append({"type": "text", "content": item["text"]})
            elif isinstance(item, str):
                parts.append({"type": "text", "content": item})
    for call in body.get("tool_calls") or []:
        if not isinstance(call, dict):
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": json_text(function.get("arguments")) or function.get("arguments"),
            }
        )
    message = {"role": role, "parts": parts}
    if finish_reason:
        message["finish_reason"] = finish_reason
    return message


def _legacy_attributes(a, conversation):
    """OpenLLMetry's gen_ai.prompt.N.role/content/tool_call_id, gen_ai.prompt.N.tool_calls.M.*
    and the same under gen_ai.completion.N."""
    found = {}
    for key, value in a.items():
        match = _LEGACY_CONTENT.match(key)
        if match:
            side, index, rest = match.groups()
            found.setdefault((side, int(index)), {})[rest] = value
    for (side, _), fields in sorted(found.items(), key=lambda item: (item[0][0], item[0][1])):
        calls = {}
        for rest, value in fields.items():
            call = re.match(r"^tool_calls\.(\d+)\.(\w+)$", rest)
            if call:
                calls.setdefault(int(call.group(1)), {})[call.group(2)] = value
        body = {
            "content": json_text(fields["content"])
            if isinstance(fields.get("content"), str) and fields["content"][:1] == "["
            else fields.get("content"),
            "tool_calls": [
                {
                    "id": c.get("id"),
                    "function": {"name": c.get("name"), "arguments": c.get("arguments")},
                }
                for _, c in sorted(calls.items())
            ],
            "id": fields.get("tool_call_id"),
        }
        default_role = "user" if side == "prompt" else "assistant"
        role = fields.get("role") or default_role
        message = _legacy_message(role, body, fields.get("finish_reason"))
        if side == "prompt":
            conversation["input_messages"].append(message)
        else:
            conversation["output_messages"].append(message)


def finish_reason_of(conversation):
    for message in conversation.get("output_messages") or []:
        if isinstance(message, dict) and isinstance(message.get("finish_reason"), str):
            return message["finish_reason"][:64]
    return None


def conversation_stages(conversation):
    """The record's stages for a conversation: the app's request as the User -> ZenMux hop,
    its answer as ZenMux -> User (the hops an app-side span sees)."""
    stages = {}
    request = {
        k: _plain(conversation[k])
        for k in ("system_instructions", "input_messages")
        if conversation.get(k)
    }
    if request:
        stages["user_request"] = {"headers": {}, "body": request}
    if conversation.get("output_messages"):
        stages["user_response"] = {
            "headers": {},
            "body": {"output_messages": _plain(conversation["output_messages"])},
        }
    return stages
