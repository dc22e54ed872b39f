"""The four stage payloads of a planned call: what the caller sent, what went to the
origin, what came back, what the caller got."""

from dataclasses import dataclass

from .plan import ALNUM
from .requests import origin_request_stage, user_request_stage
from .responses import error_response_stages, origin_response_stage, user_response_stage

# ---------------------------------------------------------------------------- stages


def _rid(rng, n, alphabet=ALNUM):
    return "".join(rng.choices(alphabet, k=n))


@dataclass
class _Reply:
    """What the model produced, independent of wire format."""

    text: str = ""
    thinking: str = ""
    tool_call: tuple = ()  # (name, arguments)
    finished: bool = True
    citations: tuple = ()


def _reply(call):
    sc = call.scenario
    reply = _Reply(citations=sc.citations)
    if call.thinking and sc.thinking:
        reply.thinking = sc.thinking
    if call.finish == "tool":
        reply.text = sc.preamble if call.model.api == "anthropic" else ""
        reply.tool_call = sc.tool_call
    elif call.finish == "length":
        reply.text = sc.answer[: len(sc.answer) * 3 // 5]
    else:
        reply.text = sc.answer
    if call.outcome == "cancelled":
        reply.text = sc.answer[: max(1, int(len(sc.answer) * call.cancel_fraction))]
        reply.tool_call = ()
        reply.finished = False
    return reply


def build_stages(call, rng):
    reply = _reply(call)
    ids = {
        "call": "call_" + _rid(rng, 24),
        "toolu": "toolu_01" + _rid(rng, 22),
        "msg": "msg_01" + _rid(rng, 22),
        "chatcmpl": "chatcmpl-" + _rid(rng, 29),
        "request": _rid(rng, 32, "0123456789abcdef"),
        "token": _rid(rng, 40),
    }
    user_request = user_request_stage(call, ids)
    origin_request = origin_request_stage(call, ids)
    if call.outcome == "error":
        origin_response, user_response = error_response_stages(call, ids)
    else:
        origin_response = origin_response_stage(call, reply, ids)
        user_response = user_response_stage(call, reply, ids)
    if call.outcome == "cancelled" and not call.streamed:
        # The caller hung up before a non-streamed answer existed: nothing came back.
        origin_response = {"headers": origin_response["headers"]}
        user_response = {"headers": user_response["headers"]}
    return {
        "user_request": user_request,
        "origin_request": origin_request,
        "origin_response": origin_response,
        "user_response": user_response,
    }
