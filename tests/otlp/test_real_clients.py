"""Real OpenTelemetry clients, none written here, against the live server: the SDK's OTLP/HTTP
protobuf exporters, and the official OpenAI instrumentation around the real `openai` client
talking to a small OpenAI-compatible server started by the test."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from billing.models import Charge
from logs.models import Generation, StagePayload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def providers(live_server):
    """Makes tracer and logger providers exporting to the live server; shuts them down after
    the test, which closes the exporters' keep-alive connections (each holds a live-server
    thread, and its database connection, open)."""
    made = []

    def make(token, service="shop"):
        tracer_provider, logger_provider, exporter = _providers(live_server, token, service)
        made.extend((tracer_provider, logger_provider))
        return tracer_provider, logger_provider, exporter

    yield make
    for provider in made:
        provider.shutdown()


def _providers(live_server, token, service="shop"):
    headers = {"Authorization": f"Bearer {token}"}
    resource = Resource.create({"service.name": service})
    spans = OTLPSpanExporter(endpoint=f"{live_server.url}/v1/traces", headers=headers)
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logs = OTLPLogExporter(endpoint=f"{live_server.url}/v1/logs", headers=headers)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    return tracer_provider, logger_provider, spans


def test_the_sdk_protobuf_exporter_stores_a_genai_span_once(providers, prices, account_token):
    tracer_provider, _, _ = providers(account_token)
    tracer = tracer_provider.get_tracer("app")
    # "handle request" is not GenAI: accepted, not stored.
    with (
        tracer.start_as_current_span("handle request"),
        tracer.start_as_current_span("chat claude-sonnet-4") as span,
    ):
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4",
                "gen_ai.usage.input_tokens": 16527,
                "gen_ai.usage.output_tokens": 95,
                "gen_ai.response.finish_reasons": ["end_turn"],
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Plan Kyoto"}]}]
                ),
            }
        )
        context = span.get_span_context()
    tracer_provider.force_flush()
    g = Generation.objects.get()
    assert g.generation_id == f"otel-{context.trace_id:032x}-{context.span_id:016x}"
    assert (g.model_slug, g.prompt, g.completion) == ("anthropic/claude-sonnet-4", 16527, 95)
    assert str(g.bill_amount).startswith("0.051006")
    assert g.api_key.external_id == "shop"
    assert not Charge.objects.exists()


def test_a_retried_export_is_stored_once(live_server, account_token):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("app").start_as_current_span("chat") as span:
        span.set_attributes(
            {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
        )
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces",
        headers={"Authorization": f"Bearer {account_token}"},
    )
    spans = memory.get_finished_spans()
    try:
        assert exporter.export(spans) == SpanExportResult.SUCCESS
        assert exporter.export(spans) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert Generation.objects.count() == 1


# ----------------------------------------------------------------------------- OpenAI


def _reply(body):
    if body.get("tools"):
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_weather",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Berlin"}'},
                }
            ],
        }
        return message, "tool_calls"
    return {"role": "assistant", "content": "Sunny in Berlin."}, "stop"


class _OpenAICompatible(BaseHTTPRequestHandler):
    """/v1/chat/completions, streamed or not, as OpenAI answers it."""

    def do_POST(self):  # noqa: N802 - the handler's interface
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        message, finish = _reply(body)
        usage = {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 20},
        }
        model = "gpt-4o-mini-2024-07-18"
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            chunks = [
                {"index": 0, "delta": {"role": "assistant", "content": "Sunny "}},
                {"index": 0, "delta": {"content": "in Berlin."}},
                {"index": 0, "delta": {}, "finish_reason": finish},
            ]
            for choice in chunks:
                data = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1,
                        "model": model, "choices": [choice]}  # fmt: skip
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            final = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1,
                     "model": model, "choices": [], "usage": usage}  # fmt: skip
            self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
            return
        out = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def openai_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAICompatible)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def instrumented(monkeypatch, providers, account_token):
    """The official instrumentation, content capture on. This version of it takes the
    capture mode by name; EVENT_ONLY puts the conversation on the log record alone, so the
    join of span and log record is what shows it."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    tracer_provider, logger_provider, _ = providers(account_token, "travel-app")
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    yield tracer_provider, logger_provider
    instrumentor.uninstrument()


def test_the_openai_instrumentation_streamed_and_not_with_a_tool_call(
    instrumented, openai_server, prices, owner, client
):
    import openai

    tracer_provider, logger_provider = instrumented
    api = openai.OpenAI(base_url=openai_server, api_key="sk-test-not-a-real-key-0123456789")
    messages = [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Berlin?"},
    ]
    tools = [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}},
        }
    ]
    api.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=tools)
    stream = api.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == (
        "Sunny in Berlin."
    )
    tracer_provider.force_flush()
    logger_provider.force_flush()

    generations = list(Generation.objects.order_by("created_at"))
    assert len(generations) == 2
    for g in generations:
        assert (g.model_slug, g.provider_slug) == ("openai/gpt-4o-mini", "openai")
        # This instrumentation version reports no cached tokens: all 120 are prompt.
        assert (g.prompt, g.completion, g.input_tokens, g.output_tokens) == (120, 30, 120, 30)
        assert g.cost_known and g.api_key.external_id == "travel-app"
    called, streamed = generations
    assert called.finish_reason == "tool_calls" and streamed.finish_reason == "stop"

    client.force_login(owner)
    page = client.get("/logs/?range=all").content.decode()
    assert called.generation_id in page and "openai/gpt-4o-mini" in page
    assert "Estimated from the price table, not charged." in page
    detail = client.get(f"/logs/{called.generation_id}/").content.decode()
    assert "You are a weather bot." in detail and "Weather in Berlin?" in detail
    assert "get_weather" in detail
    assert "Estimated from the price table, not charged" in detail
    assert "Settlement" not in detail
    stages = {s.stage for s in StagePayload.objects.filter(generation=streamed)}
    assert stages == {"user_request", "user_response"}
    assert "Sunny in Berlin." in client.get(f"/logs/{streamed.generation_id}/").content.decode()
    assert "Berlin" in client.get("/logs/?range=all&q=berlin").content.decode()
