"""The details page: Pretty/JSON across the four stages, metrics, raw metadata, downloads,
navigation, and surviving any payload."""

import json
from pathlib import Path

import pytest

from logs.models import StagePayload
from tests.factories import ACCOUNT_B, EXAMPLE, KEY_B, example_record, make_record, store

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).parent.parent / "payloads"


def _payload(name):
    text = (PAYLOADS / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture
def full(owner):
    record = example_record()
    record["stages"] = {
        "user_request": {
            "headers": {
                "content-type": "application/json",
                "authorization": "Bearer sk-live-abcdefghijklmnopqrstuvwx",
            },
            "body": _payload("openai_chat_request.json"),
        },
        "origin_request": {
            "headers": {"anthropic-version": "2023-06-01"},
            "body": _payload("anthropic_request.json"),
        },
        "origin_response": {
            "headers": {"content-type": "text/event-stream"},
            "body": _payload("anthropic_stream.txt"),
        },
        "user_response": {
            "headers": {"content-type": "text/event-stream"},
            "body": _payload("openai_chat_stream.txt"),
        },
    }
    return store(record)[0]


def _url(g, **params):
    from urllib.parse import urlencode

    return f"/logs/{g.generation_id}/" + (f"?{urlencode(params)}" if params else "")


def test_full_page_shows_both_sections_and_the_metrics_panel(owner_client, full):
    response = owner_client.get(_url(full))
    body = response.content.decode()
    assert response.status_code == 200
    for heading in (
        "Model Information",
        "Token Counting",
        "Requests Counting",
        "Multimodalities Counting",
        "Performance Metrics",
        "Billing",
        "Raw Metadata",
    ):
        assert f"<h2>{heading}</h2>" in body
    assert "First Token Latency (ms)</dt><dd>2,177" in body
    assert "Generation Time (ms)</dt><dd>3,298" in body
    assert "Throughput (tps)</dt><dd>28.81" in body
    sections = response.context["sections"]
    assert [s.stage for s in sections] == ["user_request", "user_response"]
    assert all(s.conversation is not None for s in sections)


def test_billing_block_lists_rating_details_with_tokens_rates_and_amounts(owner_client, full):
    body = owner_client.get(_url(full)).content.decode()
    billing = body[body.index('id="billing"') :]
    billing = billing[: billing.index("</section>")]
    unit = '<span class="unit">$/M tokens</span>'
    rate = '<td class="num rate">'
    assert f'<td>prompt</td><td class="num">16,527</td>{rate}3 {unit}</td>' in billing
    assert '<td class="num">0.049581</td>' in billing
    assert f'<td>completion</td><td class="num">95</td>{rate}15 {unit}</td>' in billing
    assert "billAmount</dt><dd>0.051006" in billing


def test_raw_metadata_is_exactly_what_the_api_returns(owner_client, full):
    page = owner_client.get(_url(full))
    api = owner_client.get("/api/v1/generation", {"id": full.generation_id})
    assert page.context["raw_metadata"] == api.content.decode()
    assert json.loads(page.context["raw_metadata"]) == EXAMPLE


def test_json_mode_shows_headers_then_the_highlighted_body(owner_client, full):
    response = owner_client.get(_url(full, view="json", request_stage="origin_request"))
    request_section = response.context["sections"][0]
    assert request_section.stage == "origin_request"
    assert "anthropic-version" in request_section.headers_html
    assert 'class="highlight"' in request_section.body_html
    body = response.content.decode()
    assert body.index("<h3>Headers</h3>") < body.index("<h3>Body</h3>")


def test_sse_bodies_stay_text_in_json_mode(owner_client, full):
    response = owner_client.get(_url(full, view="json", response_stage="origin_response"))
    section = response.context["sections"][1]
    assert section.stage == "origin_response"
    assert section.body_text.startswith("event: message_start")
    assert section.body_html == ""


def test_secrets_in_headers_are_redacted_before_display(owner_client, full):
    body = owner_client.get(_url(full, view="json")).content.decode()
    assert "sk-live-abcdefghijklmnopqrstuvwx" not in body
    assert "[REDACTED]" in body


def test_a_stage_not_captured_says_so(owner_client, owner):
    generation = store(
        make_record(
            stages={"origin_request": {"headers": {}, "body": _payload("anthropic_request.json")}}
        )
    )[0]
    response = owner_client.get(_url(generation, view="json"))
    request_section, response_section = response.context["sections"]
    # The request falls back to the upstream hop; the response was not captured at all.
    assert request_section.stage == "origin_request"
    assert "ZenMux -&gt; User: not captured." in response.content.decode()
    chosen = owner_client.get(_url(generation, view="json", request_stage="user_request"))
    assert "User -&gt; ZenMux: not captured." in chosen.content.decode()


def test_htmx_request_returns_the_left_panel_only(owner_client, full):
    partial = owner_client.get(_url(full, view="json"), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Raw Metadata" not in partial.content
    assert b'data-section="request"' in partial.content
    restore = owner_client.get(
        _url(full, view="json"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in restore.content


@pytest.mark.parametrize(
    "params", [{"view": "raw"}, {"request_stage": "user_response"}, {"response_stage": "nope"}]
)
def test_bad_parameters_are_400_naming_them(owner_client, full, params):
    response = owner_client.get(_url(full, **params))
    assert response.status_code == 400
    assert f"<code>{next(iter(params))}</code>" in response.content.decode()


def test_anonymous_is_redirected_to_login(client, full):
    response = client.get(_url(full))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_accounts_details_page_and_raw_download_are_404(outsider_client, full):
    assert outsider_client.get(_url(full)).status_code == 404
    raw = f"/logs/{full.generation_id}/raw/user_request"
    assert outsider_client.get(raw).status_code == 404


def test_raw_download_is_an_attachment_with_the_right_type(owner_client, full):
    response = owner_client.get(f"/logs/{full.generation_id}/raw/origin_request")
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content) == _payload("anthropic_request.json")
    sse = owner_client.get(f"/logs/{full.generation_id}/raw/user_response")
    assert sse["Content-Type"].startswith("text/plain")
    assert sse.content.decode() == _payload("openai_chat_stream.txt")
    assert owner_client.get(f"/logs/{full.generation_id}/raw/bogus").status_code == 404


def _store_body(generation, stage, body, body_format="json"):
    StagePayload.objects.update_or_create(
        generation=generation,
        stage=stage,
        defaults={"body": body, "body_format": body_format, "size_bytes": len(body.encode())},
    )


@pytest.mark.parametrize("view", ["pretty", "json"])
@pytest.mark.parametrize(
    "body",
    [
        '{"messages": [{"role": "user", "content": "unterminated',
        "caf\ufffd \u00e9\u00e8 was not UTF-8: \x01\x7f \ufffd",
        "[" * 10_000 + "]" * 10_000,
        '{"model": "x", "messages": ' + "[" * 10_000 + "]" * 10_000 + "}",
    ],
    ids=["malformed", "non-utf8", "nested-10000", "nested-in-messages"],
)
def test_hostile_bodies_render_without_error(owner_client, owner, view, body):
    generation = store(make_record())[0]
    _store_body(generation, "user_request", body)
    _store_body(generation, "user_response", body, "text")
    response = owner_client.get(_url(generation, view=view))
    assert response.status_code == 200


@pytest.mark.parametrize("view", ["pretty", "json"])
def test_a_5_mb_body_is_shown_truncated_with_its_size_and_a_download_link(
    owner_client, owner, view, settings
):
    generation = store(make_record())[0]
    messages = [{"role": "user", "content": "x" * 1000} for _ in range(5000)]
    body = json.dumps({"model": "openai/gpt-4.1", "messages": messages})
    assert len(body) > 5_000_000
    _store_body(generation, "user_request", body)
    response = owner_client.get(_url(generation, view=view))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{len(body):,} bytes" in page
    assert f'href="/logs/{generation.generation_id}/raw/user_request"' in page
    assert len(page) < 2_500_000


def test_previous_and_next_follow_the_list_filters(owner_client, owner):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    gens = store(
        *[
            make_record(
                generationId=f"NAV{i}",
                createdAt=(now - timedelta(minutes=i)).isoformat(),
                modelSlug=m,
                providerSlug=m.split("/")[0],
            )
            for i, m in enumerate(
                ["openai/gpt-4.1", "deepseek/deepseek-chat", "openai/gpt-4.1", "openai/gpt-4.1"]
            )
        ]
    )
    response = owner_client.get("/logs/NAV2/?model=openai%2Fgpt-4.1&range=24h")
    assert response.context["newer"].generation_id == "NAV0"
    assert response.context["older"].generation_id == "NAV3"
    body = response.content.decode()
    assert 'href="/logs/NAV0/?model=openai%2Fgpt-4.1&amp;range=24h" rel="prev"' in body
    assert 'href="/logs/?model=openai%2Fgpt-4.1&amp;range=24h">← Logs' in body
    unfiltered = owner_client.get("/logs/NAV2/")
    assert unfiltered.context["newer"].generation_id == "NAV1"
    assert gens


def test_copy_as_curl_rebuilds_the_user_request_with_a_placeholder_key(owner_client, full):
    curl = owner_client.get(_url(full)).context["curl"]
    assert curl.startswith("curl https://zenmux.ai/api/v1/chat/completions")
    assert '-H "authorization: Bearer $ZENMUX_API_KEY"' in curl
    assert "--data-raw '" in curl and "sk-live" not in curl and "[REDACTED]" not in curl


def test_security_headers_are_set(owner_client, full):
    response = owner_client.get(_url(full))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_other_accounts_generation_is_404_even_with_filters(outsider_client, owner):
    theirs = store(make_record(accountId=ACCOUNT_B, apiKeyId=KEY_B))[0]
    assert outsider_client.get(_url(theirs)).status_code == 200
    mine = store(make_record())[0]
    assert outsider_client.get(_url(mine, model="x")).status_code == 404
