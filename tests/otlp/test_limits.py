"""The record's limits and checks apply to what a span becomes (logs.otlp.receive hands
ingest() the mapped record, never its JSON text): a span over a limit is refused through
partial_success naming the field, what cannot be stored is made storable, a long
conversation is cut at the stage limit, and secrets are redacted everywhere."""

import json

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from logs.models import Generation, StagePayload
from tests.otlp.bodies import (
    SPAN,
    START_NS,
    TRACE,
    attr,
    json_span,
    json_traces,
    post_json,
    post_protobuf,
)

BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.provider.name": "openai",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 5,
}


def _nested(levels):
    value = "bottom"
    for _ in range(levels):
        value = {"level": value}
    return value


def test_spans_over_the_records_limits_are_refused_naming_the_field(
    client, account_token, settings
):
    settings.INGEST_MAX_DEPTH = 8
    too_many_tokens = {**BASE, "gen_ai.usage.input_tokens": 10**10 + 1}
    too_deep = {**BASE, "app.context": _nested(8)}
    key_as_id = {**BASE, "zenlogs.api_key.id": "sk-proj-abcdefghijklmnopqrstuvwxyz123456"}
    spans = [
        json_span(too_many_tokens, span="00000000000000d1"),
        json_span(too_deep, span="00000000000000d2"),
        json_span(key_as_id, span="00000000000000d3"),
        json_span({**BASE, "app.context": _nested(3)}),
    ]
    response = post_json(client, "/v1/traces", account_token, json_traces(*spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 3
    message = partial["errorMessage"]
    assert "span 00000000000000d1: nativeFeeTokens.prompt must be at most" in message
    assert "span 00000000000000d2: (record) JSON is nested more than 8 levels deep" in message
    assert "span 00000000000000d3: apiKeyId looks like a secret key" in message
    assert "sk-proj-abc" not in message
    assert list(Generation.objects.values_list("generation_id", flat=True)) == [
        f"otel-{TRACE}-{SPAN}"
    ]


def test_what_postgresql_cannot_store_becomes_a_replacement_character(client, account_token):
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id = bytes.fromhex(TRACE), bytes.fromhex(SPAN)
    span.name = "chat\x00"
    span.start_time_unix_nano, span.end_time_unix_nano = START_NS, START_NS + 10**9
    # A NUL in a protobuf string, key and value; a lone surrogate and a NUL escaped in the
    # messages' JSON text.
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "a"}]}])
    messages = messages.replace('"a"', '"a\\ud800b\\u0000c"')
    for key, value in (
        *BASE.items(),
        ("app.note\x00", "before\x00after"),
        ("gen_ai.input.messages", messages),
    ):
        kv = span.attributes.add()
        kv.key = key
        if isinstance(value, int):
            kv.value.int_value = value
        else:
            kv.value.string_value = value
    response = post_protobuf(client, "/v1/traces", account_token, request)
    assert response.status_code == 200
    g = Generation.objects.get()
    otel = g.extra_metadata["otelSpan"]
    assert otel["name"] == "chat\ufffd"
    assert otel["attributes"]["app.note\ufffd"] == "before\ufffdafter"
    body = json.loads(StagePayload.objects.get(generation=g, stage="user_request").body)
    assert body["input_messages"][0]["parts"][0]["content"] == "a\ufffdb\ufffdc"


def test_a_long_conversation_is_cut_at_the_stage_limit(client, account_token, settings):
    settings.INGEST_MAX_STAGE_BYTES = 1024
    long_text = "word " * 1000
    messages = [{"role": "user", "parts": [{"type": "text", "content": long_text}]}]
    attributes = {**BASE, "gen_ai.input.messages": json.dumps(messages)}
    post_json(client, "/v1/traces", account_token, json_traces(json_span(attributes)))
    stage = StagePayload.objects.get(stage="user_request")
    assert stage.truncated and stage.size_bytes > 5000 and len(stage.body.encode()) <= 1024


def test_secrets_in_span_attributes_and_names_are_redacted(client, account_token):
    attributes = {
        **BASE,
        "http.request.header.authorization": "Bearer abcdefghijklmnopqrstuvwxyz",
        "app.key": "sk-ant-abcdefghijklmnopqrstuvwxyz",
        "gen_ai.response.finish_reasons": ["sk-abcdefghijklmnopqrstuvwxyz"],
    }
    body = json_traces(json_span(attributes, name="chat sk-abcdefghijklmnopqrstuvwxyz"))
    body["resourceSpans"][0]["resource"]["attributes"].append(
        attr("deployment.token", "zl_ingest_abcdefghijklmnopqrstuvwxyz")
    )
    assert post_json(client, "/v1/traces", account_token, body).status_code == 200
    g = Generation.objects.get()
    stored = json.dumps(g.extra_metadata) + g.finish_reason
    for secret in ("abcdefghijklmnopqrstuvwxyz",):
        assert secret not in stored
    assert g.extra_metadata["otelSpan"]["attributes"]["app.key"] == "[REDACTED]"
    assert g.finish_reason == "[REDACTED]"
