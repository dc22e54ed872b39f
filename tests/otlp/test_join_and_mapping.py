"""The rest of the mapping (first-token latency, API key names, legacy per-message events on
/v1/logs, the GenAI parts in Pretty mode), pending conversations' lifetime, and a database
outage: 503 with Retry-After, nothing half-written, the retried export stored once."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from logs.formats import parse_request, parse_response
from logs.models import ApiKey, Generation, PendingOtelLog, StagePayload
from logs.otlp import receive
from tests.otlp.bodies import (
    SPAN,
    START_NS,
    TRACE,
    attr,
    details_record,
    json_logs,
    json_span,
    json_traces,
    post_json,
    post_protobuf,
)
from tests.site.test_database_outage import database_refusing_connections

BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.provider.name": "openai",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 5,
}


def test_first_token_latency_from_the_attribute_or_the_event(client, account_token):
    with_attribute = json_span(
        {**BASE, "gen_ai.response.time_to_first_chunk": 0.25}, span="00000000000000a1"
    )
    event = {"name": "gen_ai.content.first_chunk", "timeUnixNano": str(START_NS + 400_000_000)}
    with_event = json_span(BASE, span="00000000000000a2", events=[event])
    post_json(client, "/v1/traces", account_token, json_traces(with_attribute, with_event))
    latencies = dict(Generation.objects.values_list("generation_id", "first_token_latency_ms"))
    assert latencies == {
        f"otel-{TRACE}-00000000000000a1": 250,
        f"otel-{TRACE}-00000000000000a2": 400,
    }


def test_api_key_from_zenlogs_attributes_with_its_name(client, account_token, account_a):
    attributes = {**BASE, "zenlogs.api_key.id": "team-search", "zenlogs.api_key.name": "Search"}
    post_json(client, "/v1/traces", account_token, json_traces(json_span(attributes)))
    key = ApiKey.objects.get(external_id="team-search")
    assert (key.account, key.name) == (account_a, "Search")
    assert Generation.objects.get().api_key == key


def test_a_service_name_that_is_not_an_id_still_names_its_key(client, account_token):
    body = json_traces(json_span(BASE), service="Checkout Service (eu)")
    post_json(client, "/v1/traces", account_token, body)
    key = Generation.objects.get().api_key
    assert (key.external_id, key.name) == ("Checkout-Service-eu", "Checkout Service (eu)")


def test_legacy_per_message_events_on_v1_logs(client, account_token):
    def event(name, body):
        return {
            "timeUnixNano": str(START_NS),
            "traceId": TRACE,
            "spanId": SPAN,
            "attributes": [attr("event.name", name)],
            "body": attr("", body)["value"],
        }

    records = [
        event("gen_ai.system.message", {"content": "You are terse."}),
        event("gen_ai.user.message", {"content": "Capital of France?"}),
        event("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": "Paris."}}),
        {"timeUnixNano": str(START_NS), "body": {"stringValue": "an ordinary log line"}},
    ]  # fmt: skip
    response = post_json(client, "/v1/logs", account_token, json_logs(*records))
    assert response.status_code == 200 and response.json() == {}
    post_json(client, "/v1/traces", account_token, json_traces(json_span(BASE)))
    g = Generation.objects.get()
    assert g.finish_reason == "stop"  # the span named none; its answer did
    request = StagePayload.objects.get(generation=g, stage="user_request")
    conversation = parse_request(request.body, request.body_format)
    texts = [(m.role, m.parts[0].text) for m in conversation.messages]
    assert texts == [("system", "You are terse."), ("user", "Capital of France?")]
    answer = StagePayload.objects.get(generation=g, stage="user_response")
    assert parse_response(answer.body, answer.body_format).messages[0].parts[0].text == "Paris."


def test_a_details_record_without_span_ids_is_refused(client, account_token):
    record = details_record({"gen_ai.input.messages": [{"role": "user", "parts": []}]})
    del record["traceId"], record["spanId"]
    response = post_json(client, "/v1/logs", account_token, json_logs(record))
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == 1 and "traceId" in partial["errorMessage"]


def test_the_genai_parts_read_in_pretty_mode():
    request = {
        "system_instructions": [{"type": "text", "content": "Be kind."}],
        "input_messages": [
            {"role": "user", "parts": [
                {"type": "text", "content": "What is in this picture?"},
                {"type": "blob", "modality": "image", "mime_type": "image/png",
                 "content": "aGVsbG8="},
                {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
            ]},
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "t1", "name": "lookup", "arguments": {"q": "cat"}},
            ]},
            {"role": "tool", "parts": [
                {"type": "tool_call_response", "id": "t1", "response": {"animal": "cat"}},
            ]},
        ],
    }  # fmt: skip
    conversation = parse_request(json.dumps(request), "json")
    assert conversation.format_label == "OpenTelemetry GenAI"
    assert [m.role for m in conversation.messages] == ["system", "user", "assistant", "tool"]
    image, remote = conversation.messages[1].parts[1:]
    assert (image.kind, image.media_type, image.size, image.source) == (
        "image",
        "image/png",
        5,
        "base64",
    )
    assert (remote.kind, remote.text, remote.source) == (
        "image",
        "https://example.com/cat.png",
        "url",
    )
    result = conversation.messages[3].parts[0]
    assert (result.kind, result.tool_name, result.is_json) == ("tool_result", "lookup", True)
    response = {"output_messages": [{"role": "assistant", "finish_reason": "stop", "parts": [
        {"type": "reasoning", "content": "Cats are cats."},
        {"type": "text", "content": "A cat."},
    ]}]}  # fmt: skip
    answer = parse_response(json.dumps(response), "json")
    assert [p.kind for p in answer.messages[0].parts] == ["thinking", "text"]
    assert answer.finish_reason == "stop"


def test_a_pending_conversation_expires(client, account_token, settings, monkeypatch):
    post_json(client, "/v1/logs", account_token, json_logs(details_record({
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    })))  # fmt: skip
    PendingOtelLog.objects.update(received_at=timezone.now() - timedelta(hours=25))
    # Too old to join: the span comes without it ...
    post_json(client, "/v1/traces", account_token, json_traces(json_span(BASE)))
    assert not StagePayload.objects.exists()
    # ... and the next log export sweeps it away.
    monkeypatch.setattr(receive, "_last_sweep", 0.0)
    other = details_record({"gen_ai.input.messages": []}, span="00000000000000ff")
    other["attributes"].append(attr("gen_ai.output.messages", [{"role": "assistant", "parts": []}]))
    post_json(client, "/v1/logs", account_token, json_logs(other))
    assert list(PendingOtelLog.objects.values_list("generation_id", flat=True)) == [
        f"otel-{TRACE}-00000000000000ff"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_503_and_the_retry_is_stored_once(client, account_a):
    from logs.models import IngestToken

    token = IngestToken.issue(name="otlp", account=account_a)[1]
    body = json_traces(json_span(BASE))
    with database_refusing_connections():
        response = post_json(client, "/v1/traces", token, body)
        assert response.status_code == 503 and response["Retry-After"] == "5"
    assert not Generation.objects.exists()
    for _ in range(2):
        assert post_json(client, "/v1/traces", token, body).status_code == 200
    assert Generation.objects.count() == 1


def test_a_protobuf_log_record_with_nul_in_its_text_waits_and_joins(client, account_token):
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id = bytes.fromhex(TRACE), bytes.fromhex(SPAN)
    record.event_name = "gen_ai.client.inference.operation.details"
    messages = record.attributes.add()
    messages.key = "gen_ai.input.messages"
    message = messages.value.array_value.values.add().kvlist_value
    role = message.values.add()
    role.key, role.value.string_value = "role", "user"
    parts = message.values.add()
    parts.key = "parts"
    part = parts.value.array_value.values.add().kvlist_value
    for key, value in (("type", "text"), ("content", "before\x00after")):
        kv = part.values.add()
        kv.key, kv.value.string_value = key, value
    response = post_protobuf(client, "/v1/logs", account_token, request)
    assert response.status_code == 200
    post_json(client, "/v1/traces", account_token, json_traces(json_span(BASE)))
    body = json.loads(StagePayload.objects.get(stage="user_request").body)
    assert body["input_messages"][0]["parts"][0]["content"] == "before\ufffdafter"


def test_impossible_times_and_counts_are_refused_or_left_unknown(client, account_token):
    far = json_span(BASE, span="00000000000000c1")
    far["startTimeUnixNano"] = far["endTimeUnixNano"] = "18446744073709551615"  # year 2554
    huge = json_span({**BASE, "gen_ai.usage.output_tokens": 10**10}, span="00000000000000c2")
    huge["endTimeUnixNano"] = str(START_NS + 1_000_000)  # 10**10 tokens in a millisecond
    response = post_json(client, "/v1/traces", account_token, json_traces(far, huge))
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 1 and "startTimeUnixNano" in partial["errorMessage"]
    g = Generation.objects.get()
    assert (g.completion, g.throughput) == (10**10, None)
