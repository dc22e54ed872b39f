"""Pretty mode's parsing layer: every stage body of each provider's wire format becomes a
normalized Conversation."""

import json

from logs.formats import (
    ANTHROPIC_MESSAGES,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    parse_request,
    parse_response,
    reassemble_sse,
)
from tests.record.formats_helpers import (
    every_string,
    load,
    parts,
    request,
    response,
    roles,
    texts,
)

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
