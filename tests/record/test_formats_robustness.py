"""The parsers on what is not a well-formed API body: errors, unknown shapes, huge and deeply
nested bodies, any text or JSON at all: a Conversation or None, never an exception."""

import json

import pytest
from django.template.loader import render_to_string
from hypothesis import given, settings
from hypothesis import strategies as st

from logs.formats import (
    ERROR,
    OPENAI_CHAT,
    parse_request,
    parse_response,
)
from tests.record.formats_helpers import (
    every_string,
    load,
    parsers_never_fail,
    parts,
    roles,
    texts,
)

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
def test_a_five_megabyte_body_parses(body_format, body):
    # How fast is bench/detail_page.py's to say (bench/README.md), not a timed assertion that
    # a busy machine fails.
    assert len(body) >= 5_000_000
    parse_request(body, body_format)
    conversation = parse_response(body, body_format)
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
