"""Pretty mode's parsing layer: every stage body becomes a normalized Conversation, or None,
and never an exception; highlighting and the conversation partial never let markup through."""

import json
import time
from pathlib import Path
from unittest import mock

import pytest
from django.template.loader import render_to_string
from hypothesis import given, settings
from hypothesis import strategies as st

from logs import formats
from logs.detail.highlight import (
    HighlightBudget,
    highlight_code,
    highlight_json,
    render_markdown_text,
)
from logs.formats import (
    ANTHROPIC_MESSAGES,
    ERROR,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    Conversation,
    Message,
    Part,
    ToolDef,
    parse_request,
    parse_response,
    reassemble_sse,
)

PAYLOADS = Path(__file__).parent.parent / "payloads"
XSS = "<script>alert(1)</script>"
IMG_XSS = "<img src=x onerror=alert(1)>"


def load(name):
    # newline="" keeps the CRLF event separators Gemini's stream uses.
    with open(PAYLOADS / name, newline="", encoding="utf-8") as f:
        return f.read()


def request(name):
    return parse_request(load(name), "json")


def response(name):
    return parse_response(load(name), "json" if name.endswith(".json") else "text")


def roles(conversation):
    return [m.role for m in conversation.messages]


def parts(conversation, kind):
    return [p for m in conversation.messages for p in m.parts if p.kind == kind]


def texts(conversation):
    return [p.text for p in parts(conversation, "text")]


def parsers_never_fail():
    """The parsers catch everything as a last resort and log it; in these tests a logged
    failure is a bug in a parser, so it fails the test instead of passing as None."""
    return mock.patch.object(formats.logger, "warning", side_effect=AssertionError)


def every_string(conversation):
    """Every string a Conversation holds, to prove what it does not hold."""
    yield from conversation.notes
    for message in conversation.messages:
        for part in message.parts:
            yield from (part.text, part.arguments or "", part.tool_name or "")
    for tool in conversation.tools:
        yield from (tool.name, tool.description, tool.parameters_json)


# ----------------------------------------------------------------------------- OpenAI Chat


def test_openai_chat_request_keeps_every_role_in_order():
    conversation = request("openai_chat_request.json")
    assert conversation.format == OPENAI_CHAT
    assert conversation.model == "openai/gpt-4.1"
    assert roles(conversation) == [
        "system",
        "developer",
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "user",
    ]
    assert texts(conversation)[0] == "You are a concise travel assistant."
    assert texts(conversation)[1] == "Answer in metric units."
    assert texts(conversation)[-1].startswith("Thanks! Write me a Python snippet")


def test_openai_chat_request_tool_results_carry_the_name_of_their_call():
    conversation = request("openai_chat_request.json")
    calls = parts(conversation, "tool_call")
    assert [(c.tool_name, c.tool_call_id) for c in calls] == [
        ("get_weather", "call_Fw3kLk0Xn2tq"),
        ("get_time", "call_9aZ0bQpR7mUe"),
    ]
    assert json.loads(calls[0].arguments) == {"city": "Oslo", "unit": "celsius"}
    assert calls[0].arguments == '{\n  "city": "Oslo",\n  "unit": "celsius"\n}'
    weather, time_result = parts(conversation, "tool_result")
    assert (weather.tool_name, weather.tool_call_id) == ("get_weather", "call_Fw3kLk0Xn2tq")
    assert weather.is_json and json.loads(weather.text) == {"temp": 14, "conditions": "light rain"}
    assert (time_result.tool_name, time_result.text, time_result.is_json) == (
        "get_time",
        "09:41",
        False,
    )


def test_openai_chat_request_images_keep_only_type_source_and_size():
    conversation = request("openai_chat_request.json")
    inline, remote = parts(conversation, "image")
    assert (inline.media_type, inline.source, inline.size) == ("image/png", "base64", 70)
    assert inline.placeholder == "[image: image/png, 70 bytes]"
    assert (remote.source, remote.text) == ("url", "https://example.com/photos/harbour.jpg")
    assert remote.placeholder == "[image: remote URL]"
    assert not any("iVBORw0KGgo" in s for s in every_string(conversation))


def test_openai_chat_request_lists_its_tool_definitions():
    conversation = request("openai_chat_request.json")
    assert [t.name for t in conversation.tools] == ["get_weather", "get_time"]
    assert conversation.tools[0].description == "Current weather for a city."
    assert json.loads(conversation.tools[0].parameters_json)["required"] == ["city"]


def test_openai_chat_response_has_text_finish_reason_and_usage():
    conversation = response("openai_chat_response.json")
    assert roles(conversation) == ["assistant"]
    assert texts(conversation)[0].startswith("Here you go:\n\n```python\ndef c_to_f")
    assert conversation.finish_reason == "stop"
    assert conversation.usage["total_tokens"] == 360
    assert conversation.model == "gpt-4.1-2025-04-14"
    assert not conversation.streamed


def test_openai_chat_response_shows_reasoning_before_its_tool_calls():
    conversation = response("openai_chat_response_tool_calls.json")
    (message,) = conversation.messages
    assert [p.kind for p in message.parts] == ["thinking", "tool_call"]
    assert message.parts[0].text.startswith("The user wants the weather in Oslo.")
    assert json.loads(message.parts[1].arguments) == {"city": "Oslo"}
    assert conversation.finish_reason == "tool_calls"


def test_openai_chat_refusal_is_its_own_part():
    body = {
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": "I can't help."},
                "finish_reason": "stop",
            }
        ],
    }
    conversation = parse_response(json.dumps(body), "json")
    assert [(p.kind, p.text) for p in conversation.messages[0].parts] == [
        ("refusal", "I can't help.")
    ]


def test_openai_chat_stream_reassembles_text_and_tool_calls_by_index():
    conversation = response("openai_chat_stream.txt")
    assert conversation.format == OPENAI_CHAT
    assert conversation.streamed
    assert texts(conversation) == ["Let me check both cities."]
    calls = parts(conversation, "tool_call")
    assert [(c.tool_name, c.tool_call_id) for c in calls] == [
        ("get_weather", "call_Qm1n2b3V4c5X"),
        ("get_weather", "call_Zx9y8W7v6U5t"),
    ]
    assert [json.loads(c.arguments) for c in calls] == [{"city": "Oslo"}, {"city": "Bergen"}]
    assert conversation.finish_reason == "tool_calls"
    assert conversation.usage["completion_tokens"] == 52
    assert conversation.notes == []


def test_openai_chat_stream_cut_short_is_shown_with_a_note():
    text = load("openai_chat_stream.txt")
    cut = text[: text.index('ty\\": \\"O') + 3]  # inside the second arguments chunk
    conversation = parse_response(cut, "text", truncated=True)
    assert texts(conversation) == ["Let me check both cities."]
    assert parts(conversation, "tool_call")[0].arguments == '{"ci'
    assert any("[DONE]" in n for n in conversation.notes)
    assert any("could not be read" in n for n in conversation.notes)
    assert any("size limit" in n for n in conversation.notes)


def test_reassemble_sse_gives_the_equivalent_plain_response():
    kind, body = reassemble_sse(load("openai_chat_stream.txt"))
    assert kind == OPENAI_CHAT
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["content"] == "Let me check both cities."
    assert message["tool_calls"][1]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Bergen"}',
    }
    assert reassemble_sse("not a stream") is None


# ----------------------------------------------------------------------------- Anthropic


def test_anthropic_request_splits_tool_results_into_tool_messages_in_order():
    conversation = request("anthropic_request.json")
    assert conversation.format == ANTHROPIC_MESSAGES
    assert roles(conversation) == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "user",
    ]
    assert texts(conversation)[:2] == [
        "You are a careful coding agent working in a git repository.",
        "Always run the tests before you answer.",
    ]
    assert texts(conversation)[-1] == "Please fix the assertion, not the function."


def test_anthropic_request_tool_results_match_their_tool_use():
    conversation = request("anthropic_request.json")
    calls = parts(conversation, "tool_call")
    assert [c.tool_name for c in calls] == ["read_file", "run_tests"]
    assert json.loads(calls[1].arguments) == {"path": "tests/test_math.py", "verbose": True}
    read, run = parts(conversation, "tool_result")
    assert (read.tool_name, read.tool_call_id) == ("read_file", "toolu_01A09q90qw90lq917835lq9")
    assert read.text == "def test_add():\n    assert add(2, 2) == 5\n"
    assert not read.is_error
    assert (run.tool_name, run.is_error) == ("run_tests", True)
    assert run.text == "FAILED tests/test_math.py::test_add - assert 4 == 5"


def test_anthropic_request_media_and_thinking():
    conversation = request("anthropic_request.json")
    images = parts(conversation, "image")
    assert [(i.media_type, i.source) for i in images] == [
        ("image/png", "base64"),
        (None, "url"),
        ("image/jpeg", "base64"),  # inside the second tool_result
    ]
    assert images[1].text == "https://example.com/screenshots/failing-test.png"
    thinking = parts(conversation, "thinking")
    assert [(t.text, t.redacted) for t in thinking] == [
        ("I should look at the test file first.", False),
        ("", True),
    ]
    assert not any("EqQBCgIYAhIM" in s or "/9j/4AAQ" in s for s in every_string(conversation))
    assert [t.name for t in conversation.tools] == ["read_file", "run_tests", "web_search"]
    assert conversation.tools[2].parameters_json == ""


def test_anthropic_request_with_a_string_system_and_string_content():
    body = {
        "model": "claude-3-5-haiku-latest",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
    }
    conversation = parse_request(json.dumps(body), "json")
    assert conversation.format == ANTHROPIC_MESSAGES
    assert [(m.role, m.parts[0].text) for m in conversation.messages] == [
        ("system", "Be brief."),
        ("user", "Hi"),
    ]


def test_anthropic_response_has_blocks_stop_reason_and_usage():
    conversation = response("anthropic_response.json")
    (message,) = conversation.messages
    assert message.role == "assistant"
    assert [p.kind for p in message.parts] == ["thinking", "text", "tool_call"]
    assert json.loads(message.parts[2].arguments)["new"] == "== 4"
    assert conversation.finish_reason == "tool_use"
    assert conversation.usage["cache_read_input_tokens"] == 1024


def test_anthropic_stream_equals_the_plain_response():
    streamed = response("anthropic_stream.txt")
    plain = response("anthropic_response.json")
    assert streamed.streamed
    assert streamed.messages == plain.messages
    assert streamed.finish_reason == "tool_use"
    # message_start's usage, updated by message_delta's
    assert streamed.usage["input_tokens"] == 1843
    assert streamed.usage["output_tokens"] == 96
    assert streamed.notes == []


def test_anthropic_stream_cut_before_message_stop_keeps_what_arrived():
    text = load("anthropic_stream.txt")
    cut = text[: text.index("event: message_delta")]
    conversation = parse_response(cut, "text")
    call = parts(conversation, "tool_call")[0]
    assert json.loads(call.arguments)["path"] == "tests/test_math.py"
    assert texts(conversation) == ["The assertion is wrong. I'll fix it:"]
    assert conversation.finish_reason is None
    assert any("message_stop" in n for n in conversation.notes)


def test_anthropic_stream_with_an_unfinished_tool_input_notes_it():
    text = load("anthropic_stream.txt")
    cut = text[: text.index('": \\"== 4\\"}"}}')]  # before the last input_json_delta event
    cut = cut[: cut.rindex("event: content_block_delta")]
    conversation = parse_response(cut, "text")
    call = parts(conversation, "tool_call")[0]
    assert call.arguments == '{"path": "tests/test_math.py", "old": "== 5", "new"'
    assert any("incomplete" in n for n in conversation.notes)


# ----------------------------------------------------------------------------- Responses


def test_responses_request_turns_instructions_and_items_into_messages():
    conversation = request("openai_responses_request.json")
    assert conversation.format == OPENAI_RESPONSES
    assert roles(conversation) == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert texts(conversation)[0] == "You are a support agent for an online bookshop."
    assert parts(conversation, "image")[0].media_type == "image/jpeg"
    assert parts(conversation, "thinking")[0].text == "Need to look up order 8812."
    call = parts(conversation, "tool_call")[0]
    result = parts(conversation, "tool_result")[0]
    assert (call.tool_name, call.tool_call_id) == ("lookup_order", "call_kT3vYb8NqW2e")
    assert (result.tool_name, result.tool_call_id) == ("lookup_order", "call_kT3vYb8NqW2e")
    assert json.loads(result.text)["carrier"] == "DHL"
    assert [t.name for t in conversation.tools] == ["lookup_order", "web_search_preview"]
    assert texts(conversation)[-1] == "Can you give me the tracking number?"


def test_responses_request_with_a_string_input():
    body = {"model": "gpt-5", "input": "Tell me a joke", "instructions": "Be funny."}
    conversation = parse_request(json.dumps(body), "json")
    assert [(m.role, m.parts[0].text) for m in conversation.messages] == [
        ("system", "Be funny."),
        ("user", "Tell me a joke"),
    ]


def test_responses_response_has_reasoning_calls_and_text():
    conversation = response("openai_responses_response.json")
    (message,) = conversation.messages
    assert [p.kind for p in message.parts] == ["thinking", "tool_call", "text"]
    assert message.parts[1].tool_name == "get_tracking"
    assert json.loads(message.parts[1].arguments) == {"order_id": "8812"}
    assert message.parts[2].text == "I'm fetching the tracking number now."
    assert conversation.finish_reason == "completed"
    assert conversation.usage["output_tokens"] == 87


def test_responses_stream_uses_the_completed_response():
    streamed = response("openai_responses_stream.txt")
    assert streamed.streamed
    assert streamed.messages == response("openai_responses_response.json").messages
    assert streamed.notes == []


def test_responses_stream_cut_before_completed_is_rebuilt_from_deltas():
    text = load("openai_responses_stream.txt")
    cut = text[: text.index("event: response.output_text.done")]
    conversation = parse_response(cut, "text")
    (message,) = conversation.messages
    assert [p.kind for p in message.parts] == ["thinking", "tool_call", "text"]
    assert message.parts[2].text == "I'm fetching the tracking number now."
    assert any("response.completed" in n for n in conversation.notes)


def test_embeddings_request_is_not_mistaken_for_a_responses_request():
    body = {"model": "text-embedding-3-small", "input": ["a", "b"]}
    assert parse_request(json.dumps(body), "json") is None


# ----------------------------------------------------------------------------- Gemini


def test_gemini_request_maps_roles_parts_and_tools():
    conversation = request("gemini_request.json")
    assert conversation.format == GEMINI
    assert roles(conversation) == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert texts(conversation)[0] == "You are a helpful assistant for a recipe site."
    image = parts(conversation, "image")[0]
    assert (image.media_type, image.source, image.size) == ("image/webp", "base64", 42)
    pdf = parts(conversation, "file")[0]
    assert (pdf.media_type, pdf.source) == ("application/pdf", "url")
    call = parts(conversation, "tool_call")[0]
    assert json.loads(call.arguments)["ingredients"] == ["eggs", "spinach", "feta"]
    result = parts(conversation, "tool_result")[0]
    assert result.tool_name == "search_recipes"
    assert json.loads(result.text)["results"][0]["minutes"] == 15
    assert [t.name for t in conversation.tools] == ["search_recipes", "googleSearch"]


def test_gemini_response_has_thoughts_text_and_usage():
    conversation = response("gemini_response.json")
    (message,) = conversation.messages
    assert [p.kind for p in message.parts] == ["thinking", "text"]
    assert message.parts[1].text.startswith("1. Whisk 3 eggs.")
    assert conversation.finish_reason == "STOP"
    assert conversation.model == "gemini-2.5-flash"
    assert conversation.usage["thoughtsTokenCount"] == 74


def test_gemini_stream_concatenates_chunks():
    conversation = response("gemini_stream.txt")
    assert conversation.streamed
    (message,) = conversation.messages
    assert [p.kind for p in message.parts] == ["thinking", "text", "tool_call"]
    assert message.parts[0].text == "The user wants steps for the omelette."
    assert message.parts[1].text == response("gemini_response.json").messages[0].parts[1].text
    assert message.parts[2].tool_name == "save_to_shopping_list"
    assert conversation.finish_reason == "STOP"
    assert conversation.usage["candidatesTokenCount"] == 38


def test_gemini_stream_as_a_json_array_is_concatenated_too():
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in load("gemini_stream.txt").split("\r\n")
        if line
    ]
    conversation = parse_response(json.dumps(chunks), "json")
    assert conversation.streamed
    assert conversation.messages == response("gemini_stream.txt").messages


# ----------------------------------------------------------------------------- detection


def test_error_body_is_a_conversation_with_the_error_as_a_note():
    body = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
    conversation = parse_response(json.dumps(body), "json")
    assert conversation.format == ERROR
    assert conversation.messages == []
    assert conversation.notes == ["Error: rate_limit_error: Rate limit reached"]


@pytest.mark.parametrize(
    ("body", "body_format"),
    [
        ("", "json"),
        ("   ", "text"),
        ("", "none"),
        ('{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi', "json"),
        ("{not json", "json"),
        ("data: {not json}\n\n", "json"),
        ("[1, 2, 3]", "json"),
        ('"just a string"', "json"),
        ("null", "json"),
        ('{"hello": "world"}', "json"),
        ("plain text, not a stream", "text"),
        ("data: [DONE]\n\n", "text"),
        ('data: {"foo": 1}\n\n', "text"),
    ],
)
def test_unknown_or_malformed_bodies_give_none(body, body_format):
    assert parse_request(body, body_format) is None
    assert parse_response(body, body_format) is None


def test_text_body_holding_json_is_read_as_json():
    conversation = parse_request(load("openai_chat_request.json"), "text")
    assert conversation.format == OPENAI_CHAT


def test_strange_shapes_inside_a_known_format_do_not_raise():
    body = {
        "model": 7,
        "messages": [
            None,
            "hi",
            {"role": "wizard", "content": [None, 3, {"type": "mystery"}, {"type": ["x"]}]},
            {"role": "assistant", "tool_calls": [None, {"function": None}, {"function": []}]},
            {"role": "tool", "content": {"a": 1}},
        ],
        "tools": [None, {"function": "x"}],
    }
    with parsers_never_fail():
        conversation = parse_request(json.dumps(body), "json")
    assert conversation.format == OPENAI_CHAT
    assert any("wizard" in n for n in conversation.notes)
    assert set(roles(conversation)) <= {"system", "developer", "user", "assistant", "tool"}


@pytest.mark.parametrize(
    "events",
    [
        [{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": [1], "id": "a"}]}}]}],
        [{"type": "content_block_start", "index": {"a": 1}, "content_block": {"type": "text"}}],
        [
            {"type": "response.output_text.delta", "output_index": [0], "delta": "a"},
            {"type": "response.output_text.delta", "output_index": 0, "content_index": "x"},
            {"type": "response.output_text.delta", "output_index": 0, "content_index": 1},
        ],
    ],
)
def test_streams_with_unhashable_or_mixed_indexes_do_not_raise(events):
    stream = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
    with parsers_never_fail():
        assert parse_response(stream, "text") is not None


def test_lone_surrogates_become_replacement_characters():
    escaped = json.dumps({"model": "m", "messages": [{"role": "user", "content": "caf\udcff"}]})
    raw = escaped.replace("\\udcff", "\udcff")
    from_bytes = b'{"messages": [{"role": "user", "content": "caf\xff"}]}'.decode(
        errors="surrogateescape"
    )
    for text in (escaped, raw, from_bytes):
        conversation = parse_request(text, "json")
        assert texts(conversation) == ["caf\ufffd"]
        render_to_string("logs/_conversation.html", {"conversation": conversation}).encode()
    stream = "data: " + json.dumps(
        {"choices": [{"index": 0, "delta": {"content": "\udcff"}, "finish_reason": "stop"}]}
    )
    assert texts(parse_response(stream.replace("\\udcff", "\udcff"), "text")) == ["\ufffd"]


def _five_mb_bodies():
    image = {"url": "data:image/png;base64," + "A" * (5 * 1024 * 1024)}
    yield (
        "json",
        json.dumps(
            {
                "model": "gpt-4o",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is this?"},
                            {"type": "image_url", "image_url": image},
                        ],
                    }
                ],
            }
        ),
    )
    turns = []
    for i in range(4800):
        turns.append({"role": "user", "content": f"Question {i}: " + "lorem ipsum " * 80})
        turns.append({"role": "assistant", "content": f"Answer {i}:\n```python\nprint({i})\n```"})
    yield "json", json.dumps({"model": "gpt-4o", "messages": turns})
    chunk = load("openai_chat_stream.txt").split("\n\n")[1] + "\n\n"
    yield "text", chunk * (5 * 1024 * 1024 // len(chunk))
    yield "text", "x" * (5 * 1024 * 1024)


@pytest.mark.parametrize("body_format,body", list(_five_mb_bodies()))
def test_a_five_megabyte_body_parses_quickly(body_format, body):
    assert len(body) >= 5_000_000
    started = time.perf_counter()
    parse_request(body, body_format)
    conversation = parse_response(body, body_format)
    elapsed = time.perf_counter() - started
    # Measured at 30-250 ms for both calls together; the bound leaves room for a slow CI.
    assert elapsed < 2.0
    assert conversation is None or conversation.format == OPENAI_CHAT


def test_the_five_megabyte_image_is_measured_not_kept():
    body_format, body = next(_five_mb_bodies())
    conversation = parse_request(body, body_format)
    image = parts(conversation, "image")[0]
    assert image.size == 5 * 1024 * 1024 * 3 // 4
    assert image.placeholder == "[image: image/png, 3.8 MB]"
    assert max(len(s) for s in every_string(conversation)) < 100


@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        '{"messages": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "data: " + "[" * 10_000 + "]" * 10_000 + "\n\n",
    ],
)
def test_a_body_nested_ten_thousand_levels_deep_gives_none(body):
    for body_format in ("json", "text"):
        assert parse_request(body, body_format) is None
        assert parse_response(body, body_format) is None


def test_deeply_nested_tool_arguments_are_kept_as_text():
    arguments = "[" * 10_000 + "]" * 10_000
    body = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": arguments}}],
            }
        ],
    }
    conversation = parse_request(json.dumps(body), "json")
    assert parts(conversation, "tool_call")[0].arguments == arguments


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses_without_raising(text):
    with parsers_never_fail():
        for body_format in ("json", "text", "none"):
            parse_request(text, body_format)
            parse_response(text, body_format)
            parse_response("data: " + text + "\n\n", body_format)


_KEYS = [
    "role",
    "content",
    "type",
    "text",
    "messages",
    "choices",
    "delta",
    "tool_calls",
    "input",
    "output",
    "contents",
    "parts",
    "candidates",
    "system",
    "function",
    "arguments",
    "index",
    "output_index",
    "content_index",
    "source",
    "data",
    "name",
    "id",
    "url",
    "image_url",
    "tool_use_id",
    "is_error",
    "partial_json",
    "response",
    "item",
    "functionCall",
    "args",
    "summary",
    "inlineData",
    "mimeType",
    "finish_reason",
    "usage",
]
_TYPES = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "message_delta",
    "message_stop",
    "text",
    "tool_use",
    "tool_result",
    "image",
    "document",
    "thinking",
    "redacted_thinking",
    "function_call",
    "function_call_output",
    "reasoning",
    "message",
    "input_text",
    "input_image",
    "image_url",
    "input_audio",
    "file",
    "base64",
    "url",
    "text_delta",
    "input_json_delta",
    "response.completed",
    "response.output_item.added",
    "response.output_text.delta",
    "response.function_call_arguments.delta",
]

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(_TYPES),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(_KEYS), _json_values, min_size=1, max_size=4),
    st.lists(st.dictionaries(st.sampled_from(_KEYS), _json_values, max_size=4), max_size=4),
)
def test_any_json_shaped_like_an_api_body_parses_and_renders_without_raising(body, events):
    text = json.dumps(body)
    stream = "".join(f"data: {json.dumps(event)}\n\n" for event in [body, *events])
    with parsers_never_fail():
        for conversation in (
            parse_request(text, "json"),
            parse_response(text, "json"),
            parse_response(stream, "text"),
        ):
            if conversation is not None:
                render_to_string("logs/_conversation.html", {"conversation": conversation})


# ----------------------------------------------------------------------------- highlighting


def test_highlighted_code_escapes_markup_in_the_source():
    html = highlight_code("</pre><script>alert(1)</script>", "html", 1000)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html or "&lt;</span><span" in html
    assert html.startswith('<div class="highlight"><pre>')
    assert "style=" not in html


def test_highlighted_json_uses_classes_and_escapes_strings():
    html = highlight_json('{"x": "</pre><script>alert(1)</script>"}', 1000)
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert 'class="nt"' in html
    assert "style=" not in html


def test_highlight_json_works_on_the_first_limit_characters_only():
    html = highlight_json('{"key": "' + "v" * 1000 + '"}', 20)
    assert "v" * 11 in html
    assert "v" * 12 not in html


def test_unknown_fence_language_falls_back_to_a_guess_or_plain_text():
    html = highlight_code("just some words\nand more words", "no-such-language", 1000)
    assert "just some words" in html
    shell = highlight_code("#!/bin/bash\necho hi\n", None, 1000)
    assert 'class="nb"' in shell or 'class="ch"' in shell


def test_markdown_text_splits_plain_text_and_fenced_code():
    text = "Here is <b>code</b>:\n\n```python\nprint('<script>')\n```\n\nTildes:\n~~~\nx\n~~~"
    segments = render_markdown_text(text)
    assert [s.kind for s in segments] == ["text", "code", "text", "code"]
    assert segments[0].text == "Here is <b>code</b>:"  # untouched: the template escapes it
    assert segments[1].language == "python"
    assert segments[1].text == "print('<script>')"
    assert "&lt;script&gt;" in segments[1].html
    assert "<script>" not in segments[1].html
    assert segments[3].text == "x"


def test_an_unclosed_fence_runs_to_the_end_of_the_text():
    segments = render_markdown_text("Look:\n```js\nconst a = 1;\nmore")
    assert [(s.kind, s.text) for s in segments] == [
        ("text", "Look:"),
        ("code", "const a = 1;\nmore"),
    ]


def test_a_longer_closing_fence_and_inner_backticks():
    segments = render_markdown_text("````md\n```\ninner\n```\n````\nafter")
    assert [(s.kind, s.text) for s in segments] == [
        ("code", "```\ninner\n```"),
        ("text", "after"),
    ]


def test_code_beyond_the_budget_stays_plain_text():
    budget = HighlightBudget(100)
    segments = render_markdown_text("```python\n" + "x = 1\n" * 50 + "```\n```py\ny\n```", budget)
    assert segments[0].html is None  # 300 characters, over the budget
    assert segments[1].html is not None  # small enough for what is left
    assert budget.remaining == 99


def test_markdown_on_a_large_text_is_bounded():
    text = ("Some prose.\n```python\n" + "def f():\n    return 1\n" * 500 + "```\n") * 100
    started = time.perf_counter()
    segments = render_markdown_text(text)
    assert time.perf_counter() - started < 3
    highlighted = sum(len(s.text) for s in segments if s.html is not None)
    assert highlighted <= 200_000
    assert len([s for s in segments if s.kind == "code"]) == 100


# ----------------------------------------------------------------------------- template


def _hostile_conversation():
    return Conversation(
        format=OPENAI_CHAT,
        model=XSS,
        notes=[f"note {XSS}"],
        messages=[
            Message(role="system", parts=[Part(kind="text", text=f"sys {XSS}")]),
            Message(
                role="user",
                name=IMG_XSS,
                parts=[
                    Part(kind="text", text=f"{XSS} and {IMG_XSS}\n```html\n{XSS}\n```"),
                    Part(kind="image", media_type="image/png", size=12595, source="base64"),
                    Part(kind="image", text=f"https://x.test/a.png?{IMG_XSS}", source="url"),
                    Part(kind="image", media_type=IMG_XSS, size=10, source="base64"),
                ],
            ),
            Message(
                role="assistant",
                parts=[
                    Part(kind="thinking", text=f"think {XSS}"),
                    Part(
                        kind="tool_call",
                        tool_name=XSS,
                        tool_call_id="call_1",
                        arguments=json.dumps({"q": XSS}),
                    ),
                ],
            ),
            Message(
                role="tool",
                parts=[
                    Part(
                        kind="tool_result",
                        text=f"out {IMG_XSS}",
                        tool_call_id="call_1",
                        tool_name="get_weather",
                    ),  # fmt: skip
                    Part(
                        kind="tool_result",
                        text=json.dumps({"a": XSS}),
                        tool_call_id="call_2",
                        media_type="application/json",
                        is_error=True,
                    ),  # fmt: skip
                ],
            ),
        ],
        tools=[ToolDef(name=XSS, description=IMG_XSS, parameters_json=json.dumps({"d": XSS}))],
        finish_reason=XSS,
    )


def test_conversation_partial_escapes_everything_from_the_log():
    html = render_to_string("logs/_conversation.html", {"conversation": _hostile_conversation()})
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "style=" not in html
    assert "href=" not in html


def test_conversation_partial_labels_roles_tools_media_and_reasoning():
    html = render_to_string("logs/_conversation.html", {"conversation": _hostile_conversation()})
    for label in ("System", "User", "Assistant", "Tool"):
        assert f'<header class="msg-role">{label}' in html
    assert 'class="msg msg-user"' in html
    assert "[image: image/png, 12.3 KB]" in html
    assert "[image: remote URL]" in html
    assert '<span class="media-ref">https://x.test/a.png?&lt;img' in html
    assert "<summary>Tools (1)</summary>" in html
    assert "<summary>Reasoning</summary>" in html
    result_head = 'Result of <code class="tool-name">get_weather</code> <span class="call-id">'
    assert result_head + "(call_1)" in html
    assert 'Result of <code class="tool-name">unknown tool</code>' in html
    assert "tool-result-error" in html
    assert html.count('<div class="highlight">') >= 4  # html fence, arguments, result, schema


@pytest.mark.parametrize("name", sorted(p.name for p in PAYLOADS.iterdir()))
def test_every_fixture_renders(name):
    parse = parse_request if "request" in name else parse_response
    conversation = parse(load(name), "json" if name.endswith(".json") else "text")
    html = render_to_string("logs/_conversation.html", {"conversation": conversation})
    assert html.count('<section class="msg ') == len(conversation.messages)
    assert "<img" not in html
