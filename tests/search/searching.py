"""The search tests' records and helpers: conversations in several languages and formats,
stored in the owner's account (and one in another), and the list read page by page."""

from datetime import UTC, datetime
from pathlib import Path

PAYLOADS = Path(__file__).parent.parent / "payloads"
NOW = datetime.now(UTC)
SCRIPT = "<script>alert(1)</script>"
# A Chinese sentence and a phrase from its middle (no spaces anywhere in it).
CHINESE = "我们计划在下个季度把华东地区的物流中心搬迁到杭州市郊。"
JAPANESE = "新しい物流倉庫の稼働開始日は十一月十五日に決まりました。"


def _chat(user, answer="Done.", system=None, model="gpt-4.1"):
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    return {
        "user_request": {"headers": {}, "body": {"model": model, "messages": messages}},
        "user_response": {
            "headers": {},
            "body": {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": answer},
                    }
                ],
            },
        },
    }


def _tool_call_stages():
    request = {
        "model": "gpt-4.1",
        "messages": [
            {"role": "user", "content": "What is the weather in Oslo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_Kx7QpZ3mWv9RtY2b",
                        "type": "function",
                        "function": {"name": "lookup_forecast", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call_Kx7QpZ3mWv9RtY2b",
                "content": '{"condition": "sleet showers"}',
            },
        ],
    }
    return {"user_request": {"headers": {}, "body": request}}


RECORDS = {
    # name: (minutes ago, model, stages)
    "umbrella": (5, "openai/gpt-4.1", _chat("Should I bring an Umbrella to Berlin tomorrow?")),
    "berlin": (10, "openai/gpt-4.1", _chat("Berlin office seating plan", "Desks by the window.")),
    "order": (15, "anthropic/claude-sonnet-4", _chat("the tomorrow umbrella", "Noted.")),
    "chinese": (20, "openai/gpt-4.1", _chat("请翻译：" + CHINESE, "好的。")),
    "japanese": (25, "openai/gpt-4.1", _chat(JAPANESE, "承知しました。")),
    "tool": (30, "openai/gpt-4.1", _tool_call_stages()),
    "stream": (
        35,
        "openai/gpt-4.1",
        {
            "user_request": {"headers": {}, "body": {"model": "gpt-4.1", "messages": []}},
            "user_response": {
                "headers": {},
                "body": (PAYLOADS / "openai_chat_stream.txt").read_text(),
            },
        },
    ),
    "origin_only": (
        40,
        "anthropic/claude-sonnet-4",
        {
            "origin_request": {
                "headers": {},
                "body": {
                    "model": "claude-sonnet-4",
                    "max_tokens": 100,
                    "messages": [{"role": "user", "content": "Quarterly lighthouse inventory"}],
                },
            }
        },
    ),
    "hostile": (45, "openai/gpt-4.1", _chat(f"Why did {SCRIPT} not run in my widget?")),
    "old": (60 * 24 * 10, "openai/gpt-4.1", _chat("An old umbrella from ten days ago")),
    "no_payload": (50, "openai/gpt-4.1", None),
}


def _listed(client, params, **extra):
    """Names of the listed generations, every page followed by its Older link."""
    params = {"page_size": 200, **params}
    names = []
    while True:
        response = client.get("/logs/", params, **extra)
        assert response.status_code == 200, response.content[:800]
        names += [g.generation_id.removeprefix("SRCH").lower() for g in response.context["rows"]]
        if not response.context["older_cursor"]:
            return names
        params["cursor"] = response.context["older_cursor"]
