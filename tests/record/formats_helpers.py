"""What the format tests share: the payload fixtures and ways to look into a Conversation."""

from pathlib import Path
from unittest import mock

from logs import formats
from logs.formats import (
    parse_request,
    parse_response,
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
