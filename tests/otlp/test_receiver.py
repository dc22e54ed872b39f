"""POST /v1/traces and /v1/logs with OTLP/JSON and hand-built protobuf bodies: the mapping,
the answers the OTLP/HTTP spec asks for, the join of a span and its log record, isolation."""

import gzip
import json

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from billing.models import Charge
from logs.models import Generation, IngestToken, PendingOtelLog, SearchText, StagePayload
from tests.otlp.bodies import (
    SPAN,
    TRACE,
    attr,
    details_record,
    json_logs,
    json_span,
    json_traces,
    post_json,
    post_protobuf,
)

GID = f"otel-{TRACE}-{SPAN}"
INPUT = [{"role": "user", "parts": [{"type": "text", "content": "What is the weather in Berlin?"}]}]
OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {
                "type": "tool_call",
                "id": "call_1",
                "name": "get_weather",
                "arguments": {"city": "Berlin"},
            }
        ],
        "finish_reason": "tool_calls",
    }
]


def chat_attributes(**extra):
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.provider.name": "openai",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.reasoning.output_tokens": 100,
        "gen_ai.response.finish_reasons": ["tool_calls"],
        "gen_ai.request.stream": True,
        **extra,
    }


def content(**extra):
    return {
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
        "gen_ai.input.messages": json.dumps(INPUT),
        "gen_ai.output.messages": json.dumps(OUTPUT),
        **extra,
    }


def test_a_json_export_becomes_a_generation_in_the_tokens_account(client, account_token, account_a):
    body = json_traces(json_span({**chat_attributes(), **content()}))
    response = post_json(client, "/v1/traces", account_token, body)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {}
    g = Generation.objects.get(generation_id=GID)
    assert g.account == account_a
    assert (g.model_name, g.model_slug, g.provider_slug) == (
        "gpt-4o-mini-2024-07-18",
        "openai/gpt-4o-mini",  # the dated snapshot has no price; the model asked for has
        "openai",
    )
    # 1000 input of which 400 cached; 300 output of which 100 reasoning.
    assert (g.prompt, g.input_cache_read, g.completion, g.internal_reasoning) == (
        600,
        400,
        200,
        100,
    )
    assert (g.input_tokens, g.output_tokens) == (1000, 300)
    assert g.generation_time_ms == 1500 and g.streamed is True
    assert g.first_token_latency_ms is None  # not sent: unknown, never invented
    assert g.finish_reason == "tool_calls"
    assert g.api_key.external_id == "checkout"  # the resource's service.name
    assert g.cost_known and g.rating.extra == {"notCharged": True}
    assert g.real_amount is None and g.nonpayment_amount is None
    assert not Charge.objects.exists()  # never settled against the wallets
    span = g.extra_metadata["otelSpan"]
    assert span["traceId"] == TRACE and span["resource"] == {"service.name": "checkout"}
    assert "gen_ai.input.messages" not in span["attributes"]  # in the stages instead
    stages = {s.stage: json.loads(s.body) for s in StagePayload.objects.filter(generation=g)}
    assert stages["user_request"]["input_messages"] == INPUT
    assert stages["user_response"]["output_messages"][0]["parts"][0]["name"] == "get_weather"
    assert "berlin" in SearchText.objects.get(generation=g).folded


def test_a_resent_export_is_stored_once(client, account_token):
    body = json_traces(json_span({**chat_attributes(), **content()}))
    for _ in range(2):
        assert post_json(client, "/v1/traces", account_token, body).status_code == 200
    assert Generation.objects.count() == 1
    assert StagePayload.objects.count() == 2


def test_other_spans_are_accepted_and_not_stored(client, account_token):
    spans = [
        json_span({"http.request.method": "POST"}, span="0000000000000001", name="POST"),
        json_span({"gen_ai.operation.name": "execute_tool"}, span="0000000000000002"),
        json_span({"gen_ai.operation.name": "invoke_agent"}, span="0000000000000003"),
        json_span(chat_attributes(), span="0000000000000004"),
    ]
    response = post_json(client, "/v1/traces", account_token, json_traces(*spans))
    assert response.status_code == 200 and response.json() == {}
    assert list(Generation.objects.values_list("generation_id", flat=True)) == [
        f"otel-{TRACE}-0000000000000004"
    ]


def test_a_span_without_a_model_is_refused_through_partial_success(client, account_token):
    bad = chat_attributes()
    del bad["gen_ai.request.model"], bad["gen_ai.response.model"]
    spans = [json_span(bad, span="00000000000000aa"), json_span(chat_attributes())]
    response = post_json(client, "/v1/traces", account_token, json_traces(*spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 1
    assert "gen_ai.request.model" in partial["errorMessage"]
    assert Generation.objects.count() == 1


def test_legacy_openllmetry_attributes(client, account_token):
    legacy = {
        "llm.request.type": "chat",
        "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.usage.prompt_tokens": 16527,
        "gen_ai.usage.completion_tokens": 95,
        "llm.is_streaming": False,
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "You plan trips.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Book a table in Lisbon",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "toolu_1",
        "gen_ai.completion.0.tool_calls.0.name": "book_table",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Lisbon"}',
    }
    response = post_json(client, "/v1/traces", account_token, json_traces(json_span(legacy)))
    assert response.status_code == 200
    g = Generation.objects.get()
    assert (g.model_slug, g.provider_slug, g.prompt, g.completion) == (
        "anthropic/claude-sonnet-4",
        "anthropic",
        16527,
        95,
    )
    assert g.finish_reason == "tool_calls" and g.streamed is False
    assert str(g.bill_amount).startswith("0.051006")  # the spec's example: same tokens, price
    request = json.loads(StagePayload.objects.get(stage="user_request").body)
    assert [m["role"] for m in request["input_messages"]] == ["system", "user"]
    response_body = json.loads(StagePayload.objects.get(stage="user_response").body)
    call = response_body["output_messages"][0]["parts"][0]
    assert (call["type"], call["name"], call["arguments"]) == (
        "tool_call",
        "book_table",
        {"city": "Lisbon"},
    )


def _details():
    return details_record(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": INPUT,  # structured AnyValue on a log record
            "gen_ai.output.messages": OUTPUT,
        }
    )


def test_span_first_then_its_log_record(client, account_token):
    post_json(client, "/v1/traces", account_token, json_traces(json_span(chat_attributes())))
    g = Generation.objects.get()
    assert not StagePayload.objects.exists()  # listed at once, conversation to come
    for _ in range(2):  # a re-sent log record changes nothing
        response = post_json(client, "/v1/logs", account_token, json_logs(_details()))
        assert response.status_code == 200 and response.json() == {}
    stages = {s.stage: json.loads(s.body) for s in StagePayload.objects.filter(generation=g)}
    assert stages["user_request"] == {"input_messages": INPUT}
    assert "berlin" in SearchText.objects.get(generation=g).folded
    assert StagePayload.objects.count() == 2 and not PendingOtelLog.objects.exists()


def test_log_record_first_then_its_span(client, account_token):
    post_json(client, "/v1/logs", account_token, json_logs(_details()))
    assert PendingOtelLog.objects.count() == 1 and not Generation.objects.exists()
    for _ in range(2):
        post_json(client, "/v1/traces", account_token, json_traces(json_span(chat_attributes())))
    g = Generation.objects.get()
    stages = {s.stage: json.loads(s.body) for s in StagePayload.objects.filter(generation=g)}
    assert stages["user_response"] == {"output_messages": OUTPUT}
    assert not PendingOtelLog.objects.exists()
    post_json(client, "/v1/logs", account_token, json_logs(_details()))
    assert StagePayload.objects.count() == 2 and not PendingOtelLog.objects.exists()


def test_secrets_in_messages_are_redacted(client, account_token):
    leaked = [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "my key sk-proj-abcdefghijklmnopqrstuvwxyz123456"}
            ],
        }
    ]
    attributes = {**chat_attributes(), "gen_ai.input.messages": json.dumps(leaked)}
    post_json(client, "/v1/traces", account_token, json_traces(json_span(attributes)))
    body = StagePayload.objects.get(stage="user_request").body
    assert "sk-proj-abc" not in body and "[REDACTED]" in body


def test_protobuf_body_gzip_and_answer(client, account_token):
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = bytes.fromhex(TRACE)
    span.span_id = bytes.fromhex(SPAN)
    span.name = "chat"
    span.start_time_unix_nano = 1_764_000_000_000_000_000
    span.end_time_unix_nano = 1_764_000_002_000_000_000
    for key, value in (("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o-mini")):
        kv = span.attributes.add()
        kv.key, kv.value.string_value = key, value
    kv = span.attributes.add()
    kv.key, kv.value.int_value = "gen_ai.usage.input_tokens", 12
    response = client.post(
        "/v1/traces",
        gzip.compress(request.SerializeToString()),
        content_type="application/x-protobuf",
        HTTP_CONTENT_ENCODING="gzip",
        HTTP_AUTHORIZATION=f"Bearer {account_token}",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success")
    g = Generation.objects.get()
    assert (g.generation_id, g.prompt, g.provider_slug) == (GID, 12, "unknown")


def test_undecodable_bodies_are_400(client, account_token):
    for body, content_type in (
        (b"\xff\x00garbage", "application/x-protobuf"),
        (b"{", "application/json"),
    ):
        response = client.post(
            "/v1/traces",
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {account_token}",
        )
        assert response.status_code == 400, body
    response = client.post(
        "/v1/traces",
        b"{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {account_token}",
    )
    assert "not valid JSON" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/traces", {"resourceSpans": [1]}, "resourceSpans[0]: must be an object"),
        (
            "/v1/traces",
            {"resourceSpans": [{"scopeSpans": {}}]},
            "resourceSpans[0].scopeSpans: must be an array",
        ),
        (
            "/v1/traces",
            {"resource_spans": [{"scope_spans": [{"spans": ["x"]}]}]},
            "resourceSpans[0].scopeSpans[0].spans[0]: must be an object",
        ),
        ("/v1/logs", {"resourceLogs": [{"resource": 3}]}, "resourceLogs[0].resource: must be"),
        (
            "/v1/logs",
            {"resourceLogs": [{"scopeLogs": [7]}]},
            "resourceLogs[0].scopeLogs[0]: must be an object",
        ),
        (
            "/v1/logs",
            {"resourceLogs": [{"scopeLogs": [{"logRecords": [None]}]}]},
            "resourceLogs[0].scopeLogs[0].logRecords[0]: must be an object",
        ),
    ],
)
def test_a_json_export_of_the_wrong_shape_is_a_400_naming_where(
    client, account_token, path, body, message
):
    response = post_json(client, path, account_token, body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Generation.objects.exists() and not PendingOtelLog.objects.exists()


def test_more_protobuf_items_than_the_limit_is_a_413_whatever_their_grouping(
    client, account_token, settings
):
    # Counted across resources and scopes: two groups of one each pass a limit of one.
    settings.INGEST_MAX_RECORDS = 1
    traces = ExportTraceServiceRequest()
    logs = ExportLogsServiceRequest()
    for _ in range(2):
        traces.resource_spans.add().scope_spans.add().spans.add().name = "chat"
        logs.resource_logs.add().scope_logs.add().log_records.add().event_name = "x"
    for path, request in (("/v1/traces", traces), ("/v1/logs", logs)):
        response = post_protobuf(client, path, account_token, request)
        assert response.status_code == 413, path
    assert not Generation.objects.exists() and not PendingOtelLog.objects.exists()


def test_a_missing_or_unknown_token_is_401(client, db):
    body = json_traces(json_span(chat_attributes()))
    assert post_json(client, "/v1/traces", None, body).status_code == 401
    assert post_json(client, "/v1/logs", "zl_ingest_nope", json_logs()).status_code == 401
    assert not Generation.objects.exists()


def test_a_gateway_wide_token_cannot_send_otlp(client, ingest_token):
    body = json_traces(json_span(chat_attributes()))
    response = post_json(client, "/v1/traces", ingest_token, body)
    assert response.status_code == 403 and "--account" in response.json()["message"]


def test_other_content_types_and_encodings_are_415(client, account_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {account_token}"}
    assert client.post("/v1/traces", b"x", content_type="text/plain", **auth).status_code == 415
    response = client.post(
        "/v1/traces", b"{}", content_type="application/json", HTTP_CONTENT_ENCODING="br", **auth
    )
    assert response.status_code == 415


def test_over_the_ingest_limit_is_413_inflated_bytes_included(client, account_token, settings):
    settings.INGEST_MAX_BYTES = 4096
    body = json.dumps(json_traces(json_span({**chat_attributes(), "pad": "x" * 20000}))).encode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {account_token}"}
    response = client.post("/v1/traces", body, content_type="application/json", **auth)
    assert response.status_code == 413
    squeezed = gzip.compress(body)
    assert len(squeezed) < 4096
    response = client.post(
        "/v1/traces",
        squeezed,
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
        **auth,
    )
    assert response.status_code == 413
    settings.INGEST_MAX_RECORDS = 1
    small = json_traces(
        json_span(chat_attributes()), json_span(chat_attributes(), span="0000000000000009")
    )
    assert post_json(client, "/v1/traces", account_token, small).status_code == 413
    assert not Generation.objects.exists()


def test_a_token_of_account_a_cannot_write_into_b(
    client, account_token, token_b, account_a, account_b
):
    # The record claims nothing about accounts, and an API key id of B's cannot be borrowed.
    attributes = {**chat_attributes(), "zenlogs.api_key.id": "b-key", "zenlogs.api_key.name": "B"}
    post_json(
        client, "/v1/traces", token_b, json_traces(json_span(attributes, span="00000000000000b1"))
    )
    response = post_json(client, "/v1/traces", account_token, json_traces(json_span(attributes)))
    assert response.json()["partialSuccess"]["rejectedSpans"] == 1
    assert "apiKeyId" in response.json()["partialSuccess"]["errorMessage"]
    assert list(Generation.objects.values_list("account", flat=True)) == [account_b.pk]
    # B's log record cannot add a conversation to A's generation.
    post_json(client, "/v1/traces", account_token, json_traces(json_span(chat_attributes())))
    post_json(client, "/v1/logs", token_b, json_logs(_details()))
    assert not StagePayload.objects.filter(account=account_a).exists()


def test_an_account_token_on_the_native_api_stores_in_its_account(client, account_token, account_a):
    from tests.factories import make_record

    record = make_record(accountId="someone-else")
    response = client.post(
        "/api/v1/generations",
        json.dumps(record),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {account_token}",
    )
    assert response.status_code == 200, response.content
    assert Generation.objects.get().account == account_a


def test_outsider_sees_none_of_it(client, account_token, outsider_client):
    post_json(
        client,
        "/v1/traces",
        account_token,
        json_traces(json_span({**chat_attributes(), **content()})),
    )
    assert outsider_client.get(f"/logs/{GID}/").status_code == 404
    assert GID not in outsider_client.get("/logs/?range=all").content.decode()


def test_create_ingest_token_with_an_account(db, capsys):
    from django.core.management import call_command

    call_command("create_ingest_token", "--account", "acct-otlp", "--name", "app")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    token = IngestToken.objects.matching(raw).select_related("account").get()
    assert token.account.external_id == "acct-otlp" and token.name == "app"
    call_command("create_ingest_token")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert IngestToken.objects.matching(raw).get().account is None


def test_json_attribute_forms(client, account_token):
    attributes = [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.request.model", "gpt-4o-mini"),
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": 7}},  # a number, not a string
        {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "3"}},
        {"key": "big", "value": {"intValue": "9223372036854775807"}},
        {"key": "ratio", "value": {"doubleValue": "NaN"}},
    ]
    span = json_span({})
    span["attributes"] = attributes
    span["kind"] = "SPAN_KIND_CLIENT"
    assert post_json(client, "/v1/traces", account_token, json_traces(span)).status_code == 200
    g = Generation.objects.get()
    assert (g.prompt, g.completion) == (7, 3)
    assert g.extra_metadata["otelSpan"]["attributes"]["big"] == "9223372036854775807"
