"""Deciding one demo call at random: account, key, model, outcome, tokens, timings."""

import math
import string
from dataclasses import dataclass
from datetime import datetime

from .catalog import ACCOUNTS, MODELS, MODELS_BY_SLUG, DemoAccount, DemoKey, DemoModel
from .scenarios import (
    AGENT,
    CHART,
    CODE_PYTHON,
    COMMIT,
    INCIDENT,
    PLAIN,
    REGEX,
    RESEARCH,
    SQL,
    TOOLS,
    VOICE,
    WEATHER_TOOL,
    XSS,
    Scenario,
)

# --------------------------------------------------------------------------- traffic

# Calls per UTC hour, relative to the busiest hour: quiet nights, a European morning and an
# American afternoon.
HOURLY = (15, 10, 8, 8, 10, 15, 25, 40, 60, 75, 85, 90, 95, 100, 100, 100, 95, 90, 80, 65, 50,
           40, 30, 20)  # fmt: skip
WEEKEND = 35  # percent of a weekday's traffic
ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase


@dataclass
class Call:
    """Everything decided about one generation, before it is written out."""

    index: int
    generation_id: str
    account: DemoAccount
    key: DemoKey
    model: DemoModel
    created_at: datetime
    streamed: bool
    outcome: str  # "ok", "cancelled" or "error"
    finish: str  # "stop", "tool" or "length" when ok
    anthropic_api: bool  # the caller used the gateway's Anthropic-compatible endpoint
    scenario: Scenario
    thinking: bool = False
    prompt: int = 0
    input_cache_read: int = 0
    input_cache_write: int = 0
    input_cache_write_5_min: int = 0
    input_cache_write_1_h: int = 0
    completion: int = 0
    internal_reasoning: int = 0
    audio: int = 0
    web_search: int = 0
    image: int = 0
    max_tokens: int = 0
    latency: int = 0
    generation_time: int = 0
    moderation_latency: int = 0
    retries: int = 0
    cancel_fraction: float = 0.5
    error: tuple = ()  # (status, provider body, gateway code, message)

    @property
    def prompt_total(self):
        return (
            self.prompt
            + self.input_cache_read
            + self.input_cache_write
            + self.input_cache_write_5_min
            + self.input_cache_write_1_h
        )

    @property
    def output_total(self):
        return self.completion + self.internal_reasoning + self.audio


def _cumulative(weights):
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


_KEY_CHOICES = [(a, k) for a in ACCOUNTS for k in a.keys]
_KEY_WEIGHTS = _cumulative(
    a.weight * k.weight * 100 // sum(x.weight for x in a.keys) for a, k in _KEY_CHOICES
)
_MODEL_WEIGHTS = {
    a.external_id: _cumulative(m.weight * a.provider_bias.get(m.provider, 1) for m in MODELS)
    for a in ACCOUNTS
}


def generation_id(seed, index):
    """A 20-character id in the gateway's style (2534CCEDTKJR00217635), fixed by the seed
    and index. The digits are a bijection of the index (7919 is coprime with 10**8), so ids
    never collide within a seed; the letters scramble the seed and index in."""
    digits = (index * 7919 + seed * 104729 + 17) % 100_000_000
    mixed = (index * 2_654_435_761 + seed * 40_503 + 12_345) % 308_915_776  # 26**6
    letters = ""
    for _ in range(6):
        mixed, letter = divmod(mixed, 26)
        letters += _UPPER[letter]
    return f"25{40 + index % 10}CC{letters}{digits:08d}"


# --------------------------------------------------------------------------- planning


def plan_call(rng, seed, index, created_at, show=None):
    """Decides one call at random; `show` (a SHOWCASE entry) fixes some of the choices."""
    show = show or {}
    if show:
        account = ACCOUNTS[0]  # the account the console opens on
        key = account.keys[index % len(account.keys)]
    else:
        account, key = rng.choices(_KEY_CHOICES, cum_weights=_KEY_WEIGHTS)[0]
    if "model" in show:
        model = MODELS_BY_SLUG[show["model"]]
    else:
        model = rng.choices(MODELS, cum_weights=_MODEL_WEIGHTS[account.external_id])[0]
    roll = rng.random()
    outcome = "error" if roll < 0.03 else "cancelled" if roll < 0.055 else "ok"
    if show:
        outcome = show.get("outcome", "ok")
    streamed = rng.randrange(100) < key.streamed_percent
    if outcome == "cancelled":
        streamed = streamed or rng.random() < 0.8  # people mostly cancel what they watch
    streamed = show.get("streamed", streamed)
    anthropic_api = model.provider == "anthropic" and rng.random() < 0.35
    anthropic_api = show.get("anthropic_api", anthropic_api and not show)

    web_search = rng.randint(1, 4) if model.web_search and rng.random() < 0.08 else 0
    image = rng.randint(1, 3) if model.image and not web_search and rng.random() < 0.1 else 0
    audio_reply = model.audio and not web_search and rng.random() < 0.1
    if show:
        web_search, image = show.get("web_search", 0), show.get("image", 0)
        audio_reply = show.get("audio", False)

    finish = show.get("finish", "stop")
    if "scenario" in show:
        scenario = show["scenario"]
    elif web_search:
        scenario = RESEARCH
    elif image:
        scenario = CHART
    elif audio_reply:
        scenario = VOICE
    else:
        if rng.random() < 0.28:
            scenario = TOOLS[rng.random() < 0.5]
            finish = "tool" if rng.random() < 0.55 else "stop"
        else:
            scenario = PLAIN[rng.randrange(len(PLAIN))]
        if finish == "stop" and rng.random() < 0.05:
            finish = "length"
    thinking = model.reasoning == "always" or (
        model.reasoning == "sometimes" and rng.random() < 0.3
    )
    thinking = show.get("thinking", thinking)
    call = Call(
        index=index,
        generation_id=generation_id(seed, index),
        account=account,
        key=key,
        model=model,
        created_at=created_at,
        streamed=streamed,
        outcome=outcome,
        finish=finish if outcome == "ok" else "",
        anthropic_api=anthropic_api,
        scenario=scenario,
        thinking=thinking,
        web_search=web_search,
        image=image,
        moderation_latency=rng.randint(2, 40) if rng.random() < 0.9 else rng.randint(200, 2400),
    )
    if outcome == "error":
        _plan_error(rng, call, show.get("error"))
    else:
        _plan_tokens(rng, call, audio_reply)
        if "cache" in show:
            _use_cache(call, show["cache"])
    return call


_CACHE_ITEMS = (
    "input_cache_read",
    "input_cache_write",
    "input_cache_write_5_min",
    "input_cache_write_1_h",
)


def _use_cache(call, item):
    """Moves most of the prompt into one cache item (for the showcase)."""
    total = call.prompt_total
    for name in _CACHE_ITEMS:
        setattr(call, name, 0)
    setattr(call, item, total * 4 // 5)
    call.prompt = total - total * 4 // 5


# The newest records of every load, whatever its size: one of each case the console has to
# show, in the account it opens on, so even a small load (and the list's first page) has
# every finish reason, cache item, error and payload format.
SHOWCASE = (
    {"model": "openai/gpt-4o-mini", "audio": True, "scenario": VOICE, "streamed": False},
    {"model": "google/gemini-2.5-flash", "scenario": INCIDENT, "cache": "input_cache_write",
     "streamed": False},
    {"model": "x-ai/grok-4", "web_search": 2, "scenario": RESEARCH, "streamed": True},
    {"model": "deepseek/deepseek-reasoner", "scenario": SQL, "thinking": True,
     "cache": "input_cache_read", "streamed": True},
    {"model": "meta-llama/llama-4-maverick", "outcome": "error", "error": 0, "streamed": True},
    {"model": "openai/gpt-4.1", "finish": "length", "scenario": CODE_PYTHON, "streamed": False},
    {"model": "anthropic/claude-opus-4.5", "anthropic_api": True, "finish": "length",
     "scenario": AGENT, "cache": "input_cache_write_1_h", "streamed": True},
    {"model": "google/gemini-2.5-pro", "image": 2, "scenario": CHART, "streamed": True},
    {"model": "openai/gpt-5", "outcome": "error", "error": 0, "streamed": False},
    {"model": "anthropic/claude-sonnet-4.5", "outcome": "cancelled", "scenario": REGEX,
     "streamed": True},
    {"model": "openai/gpt-5-mini", "scenario": XSS, "streamed": False},
    {"model": "google/gemini-2.5-flash", "web_search": 1, "scenario": RESEARCH,
     "streamed": False},
    {"model": "anthropic/claude-sonnet-4", "anthropic_api": True, "finish": "tool",
     "scenario": WEATHER_TOOL, "streamed": False},
    {"model": "openai/gpt-5.2", "finish": "tool", "scenario": AGENT, "streamed": True},
    {"model": "meta-llama/llama-4-maverick", "scenario": COMMIT, "streamed": False},
    {"model": "anthropic/claude-sonnet-4", "anthropic_api": True, "thinking": True,
     "scenario": CODE_PYTHON, "cache": "input_cache_read", "streamed": True},
    {"model": "anthropic/claude-sonnet-4", "finish": "tool", "scenario": AGENT,
     "cache": "input_cache_write_5_min", "streamed": True},
)  # fmt: skip


def _lognormal(rng, median, sigma, low, high):
    # exp(gauss()) is lognormvariate() at a third of the cost.
    return max(low, min(high, int(median * math.exp(rng.gauss(0, sigma)))))


def _plan_tokens(rng, call, audio_reply):
    model, scenario = call.model, call.scenario
    total_in = _lognormal(rng, scenario.prompt_tokens, 0.6, 12, 180_000)
    if scenario.tool_call and call.finish != "tool":
        total_in += 250  # the tool call and its result are part of the conversation now
    call.max_tokens = min(model.max_output, rng.choice((1024, 2048, 4096, 8192, 16384)))
    _plan_cache(rng, call, total_in)

    if call.finish == "tool":
        completion = _lognormal(rng, 70, 0.4, 12, 600)
    else:
        completion = _lognormal(rng, scenario.completion_tokens, 0.5, 5, call.max_tokens)
    reasoning = 0
    if call.thinking:
        reasoning = _lognormal(rng, 700, 0.9, 0, 24_000)
        if model.provider == "openai" and rng.random() < 0.1:
            reasoning = 0  # reasoning_effort "minimal"
    if call.finish == "length":
        completion = max(1, call.max_tokens - reasoning)
    if call.outcome == "cancelled":
        call.cancel_fraction = rng.uniform(0.1, 0.7)
        completion = max(1, int(completion * call.cancel_fraction))
        reasoning = int(reasoning * call.cancel_fraction)
    call.completion = completion
    call.internal_reasoning = reasoning
    if audio_reply:
        call.audio = completion * 6  # audio tokens for the spoken transcript

    first_token = _lognormal(rng, model.first_token_ms, 0.35, 120, 20_000)
    first_token += call.prompt_total // 60  # prefill time grows with the prompt
    if model.api != "anthropic":
        first_token += reasoning * 1000 // (model.tokens_per_second * 2)  # hidden thinking
    speed = max(5, int(model.tokens_per_second * rng.uniform(0.7, 1.3)))
    call.latency = first_token
    call.generation_time = first_token + call.output_total * 1000 // speed
    if rng.random() < 0.02:
        call.retries = 1  # a retried 429, transparently


def _plan_cache(rng, call, total_in):
    provider = call.model.provider
    cached = 0
    if provider == "anthropic":
        if total_in > 2048 and rng.random() < 0.5:
            cached = total_in * rng.randint(50, 95) // 100
        rest = total_in - cached
        if rest > 1024 and rng.random() < 0.25:
            written = rest * rng.randint(40, 90) // 100
            if rng.random() < 0.25:
                call.input_cache_write_1_h = written
            else:
                call.input_cache_write_5_min = written
            rest -= written
        call.input_cache_read, call.prompt = cached, rest
        return
    if provider in ("openai", "x-ai") and total_in > 1024 and rng.random() < 0.45:
        cached = (total_in * rng.randint(30, 90) // 100) // 128 * 128
    elif provider == "deepseek" and total_in > 64 and rng.random() < 0.55:
        cached = (total_in * rng.randint(30, 95) // 100) // 64 * 64
    elif provider == "google" and total_in > 2048:
        if rng.random() < 0.3:
            cached = total_in * rng.randint(40, 90) // 100
        elif rng.random() < 0.08:
            call.input_cache_write = total_in * rng.randint(50, 90) // 100
    elif provider in ("moonshotai", "qwen") and total_in > 1024 and rng.random() < 0.35:
        cached = total_in * rng.randint(30, 90) // 100
    call.input_cache_read = cached
    call.prompt = total_in - cached - call.input_cache_write


_ERRORS = {
    "anthropic": (
        (429, {"type": "error", "error": {"type": "rate_limit_error", "message": "This request "
               "would exceed the rate limit for your organization of 400,000 input tokens per "
               "minute. Please reduce the prompt length or try again later."}},
         "upstream_rate_limited"),
        (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
         "upstream_overloaded"),
        (500, {"type": "error", "error": {"type": "api_error", "message": "Internal server "
               "error"}}, "upstream_error"),
    ),
    "openai": (
        (429, {"error": {"message": "Rate limit reached for requests per min (RPM): Limit "
               "10000, Used 10000, Requested 1. Please try again in 6ms.", "type": "requests",
               "param": None, "code": "rate_limit_exceeded"}}, "upstream_rate_limited"),
        (500, {"error": {"message": "The server had an error while processing your request. "
               "Sorry about that!", "type": "server_error", "param": None, "code": None}},
         "upstream_error"),
        (400, {"error": {"message": "This model's maximum context length is 128000 tokens. "
               "However, your messages resulted in 131072 tokens. Please reduce the length of "
               "the messages.", "type": "invalid_request_error", "param": "messages",
               "code": "context_length_exceeded"}}, "context_length_exceeded"),
    ),
    "google": (
        (503, {"error": {"code": 503, "message": "The model is overloaded. Please try again "
               "later.", "status": "UNAVAILABLE"}}, "upstream_overloaded"),
        (429, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check "
               "quota).", "status": "RESOURCE_EXHAUSTED"}}, "upstream_rate_limited"),
    ),
    "other": (
        (502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
              "502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
              "</html>\r\n", "upstream_error"),
        (429, {"error": {"message": "Too many requests, please slow down.", "type":
               "rate_limit_error", "code": "rate_limit_exceeded"}}, "upstream_rate_limited"),
        (503, {"error": {"message": "upstream connect error or disconnect/reset before headers. "
               "reset reason: connection timeout", "type": "service_unavailable"}},
         "upstream_unavailable"),
    ),
}  # fmt: skip


def _plan_error(rng, call, which=None):
    provider = call.model.provider
    choices = _ERRORS.get(provider if provider in ("anthropic", "openai", "google") else "other")
    status, body, code = choices[rng.randrange(len(choices)) if which is None else which]
    call.error = (status, body, code)
    call.max_tokens = min(call.model.max_output, 4096)
    call.prompt = call.completion = 0
    call.web_search = call.image = 0
    call.thinking = False
    slow = status >= 500
    call.latency = rng.randint(900, 30_000) if slow else rng.randint(60, 900)
    call.generation_time = call.latency
    call.retries = rng.randint(0, 2)
