"""An OTLP generation on the details page: Pretty mode shows its conversation by role with
its tool call, the two hops an app-side span cannot see say so, and JSON mode shows the
span as received."""

import json

import pytest

from logs.models import IngestToken
from tests.otlp.bodies import SPAN, TRACE, json_span, json_traces, post_json

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def otlp_generation(client, account_a):
    token = IngestToken.issue(name="otlp", account=account_a)[1]
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 50,
        "gen_ai.usage.output_tokens": 10,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be a pirate."}]),
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Where is the treasure?"}]}]
        ),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [
                        {"type": "text", "content": "Let me look at the map."},
                        {"type": "tool_call", "id": "c1", "name": "read_map", "arguments": {}},
                    ],
                    "finish_reason": "tool_calls",
                }
            ]
        ),
    }
    response = post_json(client, "/v1/traces", token, json_traces(json_span(attributes)))
    assert response.status_code == 200
    return f"otel-{TRACE}-{SPAN}"


def test_pretty_mode_shows_the_conversation_and_the_unseen_hops(
    login_page, live_server, otlp_generation
):
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/{otlp_generation}/")
    request = page.locator('[data-section="request"]')
    response = page.locator('[data-section="response"]')
    roles = [t.lower() for t in request.locator(".msg-role").all_inner_texts()]
    assert roles[:2] == ["system", "user"]
    assert "Where is the treasure?" in request.inner_text()
    assert (
        "read_map" in response.inner_text() and "Let me look at the map." in response.inner_text()
    )
    for section, stage in (("request", "origin_request"), ("response", "origin_response")):
        page.locator(f'[data-section="{section}"] [data-stage="{stage}"]').click()
        page.wait_for_url(f"**{stage}**")
        note = page.locator(f'[data-section="{section}"] .not-captured-note')
        assert "not captured by OpenTelemetry" in note.inner_text()
    page.get_by_test_id("view-json").click()
    page.wait_for_url("**view=json**")
    assert '"otelSpan"' in page.content() and TRACE in page.content()
