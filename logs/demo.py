"""Demo data: realistic gateway records built from a seed, for `manage.py load_demo`.

Each record is the spec's raw metadata object plus, optionally, the four stage payloads
(user_request, origin_request, origin_response, user_response) in each provider's own wire
format: OpenAI Chat Completions, Anthropic Messages, Gemini generateContent, and their
server-sent event streams. Nothing here touches the database or the clock: the caller
passes `now` (and a rating function, for the few records the gateway rated itself), and
generation ids depend only on the seed and the record's index, so loading twice stores
nothing new.
"""

import bisect
import json
import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from .metadata import amount_string, loads, plain_number

# ------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class DemoKey:
    external_id: str
    name: str
    weight: int  # share of its account's traffic
    streamed_percent: int
    user_agent: str


@dataclass(frozen=True)
class DemoAccount:
    external_id: str
    name: str
    plan: str  # a billing.models.Account.Plan value
    weight: int
    keys: tuple
    # Multiplies a provider's share of this account's traffic.
    provider_bias: dict = field(default_factory=dict)


_PY_SDK = "OpenAI/Python 1.109.1"
ACCOUNTS = (
    # Named so it sorts first: the console opens on the first account by name.
    DemoAccount(
        "2533AC0Q5MIe14613672", "Acme Robotics", "pay_as_you_go", 64,
        (
            DemoKey("2534AKkA4Nqn14642786", "production", 50, 80, _PY_SDK),
            DemoKey("2534AKq8ZtRw14651209", "staging", 18, 70, "OpenAI/JS 5.23.2"),
            DemoKey("2535AKeV3pLm14702318", "eval-pipeline", 22, 5, "python-httpx/0.28.1"),
            DemoKey("2536AKnB7xHc14733590", "notebook", 10, 60, _PY_SDK),
        ),
        {"anthropic": 1.3},
    ),
    DemoAccount(
        "2533ACbE7Globex00042", "Globex Research", "subscription", 36,
        (
            DemoKey("2533AKgL2mQs14598714", "production", 45, 75, "OpenAI/JS 5.23.2"),
            DemoKey("2535AKd9WfKy14688042", "eval-pipeline", 35, 5, "python-httpx/0.28.1"),
            DemoKey("2536AKtR5vNa14729963", "notebook", 20, 60, _PY_SDK),
        ),
        {"google": 2.0, "deepseek": 2.0, "qwen": 2.0, "anthropic": 0.6},
    ),
)  # fmt: skip

# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class DemoModel:
    slug: str
    name: str
    native_id: str  # what the provider's own API calls it
    weight: int
    tokens_per_second: int
    first_token_ms: int
    reasoning: str = ""  # "always", "sometimes" or "" (never)
    web_search: bool = False  # billed per search
    image: bool = False  # billed per image
    audio: bool = False  # can answer with audio
    max_output: int = 16384

    @cached_property
    def provider(self):
        return self.slug.split("/", 1)[0]

    @cached_property
    def api(self):
        """Which wire format the provider speaks."""
        return self.provider if self.provider in ("anthropic", "google") else "openai"


MODELS = (
    DemoModel("anthropic/claude-sonnet-4", "Anthropic: Claude Sonnet 4",
              "claude-sonnet-4-20250514", 14, 62, 1400, "sometimes", web_search=True),
    DemoModel("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5",
              "claude-sonnet-4-5-20250929", 12, 65, 1300, "sometimes", web_search=True),
    DemoModel("anthropic/claude-opus-4.5", "Anthropic: Claude Opus 4.5",
              "claude-opus-4-5-20251101", 5, 42, 2100, "sometimes", web_search=True),
    DemoModel("anthropic/claude-haiku-4.5", "Anthropic: Claude Haiku 4.5",
              "claude-haiku-4-5-20251001", 7, 130, 600, "sometimes"),
    DemoModel("openai/gpt-5.2", "OpenAI: GPT-5.2", "gpt-5.2-2025-12-11", 6, 55, 900, "always",
              web_search=True),
    DemoModel("openai/gpt-5", "OpenAI: GPT-5", "gpt-5-2025-08-07", 6, 50, 1000, "always",
              web_search=True),
    DemoModel("openai/gpt-5-mini", "OpenAI: GPT-5 Mini", "gpt-5-mini-2025-08-07", 7, 90, 700,
              "always"),
    DemoModel("openai/gpt-4.1", "OpenAI: GPT-4.1", "gpt-4.1-2025-04-14", 4, 80, 500,
              max_output=32768),
    DemoModel("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "gpt-4o-mini-2024-07-18", 6, 95, 400,
              audio=True),
    DemoModel("openai/o4-mini", "OpenAI: o4 Mini", "o4-mini-2025-04-16", 3, 110, 800, "always"),
    DemoModel("google/gemini-2.5-pro", "Google: Gemini 2.5 Pro", "gemini-2.5-pro", 5, 85, 1800,
              "always", web_search=True, image=True),
    DemoModel("google/gemini-2.5-flash", "Google: Gemini 2.5 Flash", "gemini-2.5-flash", 7, 180,
              600, "sometimes", web_search=True, image=True),
    DemoModel("google/gemini-2.5-flash-lite", "Google: Gemini 2.5 Flash Lite",
              "gemini-2.5-flash-lite", 4, 300, 350, "sometimes"),
    DemoModel("deepseek/deepseek-chat", "DeepSeek: DeepSeek V3.2", "deepseek-chat", 4, 30, 900,
              max_output=8192),
    DemoModel("deepseek/deepseek-reasoner", "DeepSeek: DeepSeek V3.2 (thinking)",
              "deepseek-reasoner", 2, 32, 1500, "always"),
    DemoModel("x-ai/grok-4", "xAI: Grok 4", "grok-4-0709", 3, 45, 2500, "always",
              web_search=True),
    DemoModel("x-ai/grok-code-fast-1", "xAI: Grok Code Fast 1", "grok-code-fast-1", 3, 160, 500,
              "always"),
    DemoModel("moonshotai/kimi-k2", "MoonshotAI: Kimi K2", "kimi-k2-0905-preview", 2, 40, 900),
    DemoModel("qwen/qwen3-coder-plus", "Qwen: Qwen3 Coder Plus", "qwen3-coder-plus", 2, 75, 800),
    DemoModel("mistralai/mistral-medium-3.1", "Mistral: Mistral Medium 3.1",
              "mistral-medium-2508", 2, 85, 450),
    # Not in the price table: its cost is unknown and shows as "—".
    DemoModel("meta-llama/llama-4-maverick", "Meta: Llama 4 Maverick",
              "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", 2, 140, 400),
)  # fmt: skip
_MODELS = {m.slug: m for m in MODELS}

_ORIGIN_HOSTS = {
    "anthropic": ("api.anthropic.com", "/v1/messages"),
    "openai": ("api.openai.com", "/v1/chat/completions"),
    "google": ("generativelanguage.googleapis.com", "/v1beta/models/"),
    "deepseek": ("api.deepseek.com", "/chat/completions"),
    "x-ai": ("api.x.ai", "/v1/chat/completions"),
    "moonshotai": ("api.moonshot.ai", "/v1/chat/completions"),
    "qwen": ("dashscope-intl.aliyuncs.com", "/compatible-mode/v1/chat/completions"),
    "mistralai": ("api.mistral.ai", "/v1/chat/completions"),
    "meta-llama": ("api.together.xyz", "/v1/chat/completions"),
}
_GATEWAY_AGENT = "ZenMux-Gateway/1.8.2"

# ------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class _Scenario:
    """One conversation, OpenAI-shaped; the other wire formats are derived from it."""

    name: str
    user: object  # a string, or a list of OpenAI content parts
    answer: str
    system: str = ""
    thinking: str = ""
    tools: tuple = ()  # OpenAI function definitions
    tool_call: tuple = ()  # (name, arguments) the model calls
    tool_result: str = ""
    preamble: str = ""  # what a model says before calling a tool
    json_mode: bool = False
    search_query: str = ""
    citations: tuple = ()  # (url, title)
    prompt_tokens: int = 600  # typical input size; the bodies show a short excerpt
    completion_tokens: int = 300


def _function(name, description, properties, required):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


_WEATHER = _function(
    "get_weather",
    "Get the weather forecast for a city.",
    {
        "city": {"type": "string", "description": "City name, e.g. Berlin"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "day": {"type": "string", "description": "today, tomorrow or an ISO date"},
    },
    ["city"],
)
_READ_FILE = _function(
    "read_file",
    "Read a file from the repository.",
    {"path": {"type": "string", "description": "Path relative to the repository root"}},
    ["path"],
)
_RUN_TESTS = _function(
    "run_tests",
    "Run the test suite, or the tests matching a keyword.",
    {"keyword": {"type": "string", "description": "pytest -k expression"}},
    [],
)

_CODE_PYTHON = _Scenario(
    "iso_duration",
    system="You are a senior Python engineer. Prefer the standard library and explain "
    "trade-offs briefly.",
    user="Write a function that turns an ISO 8601 duration like PT1H30M15S into seconds. "
    "Reject anything with years or months.",
    thinking="Years and months have no fixed length, so only days, hours, minutes and seconds "
    "can be converted. A bare 'P' or 'PT' must fail too.",
    answer="Here's a small parser built on one regular expression:\n\n"
    "```python\nimport re\n\n_DURATION = re.compile(\n"
    '    r"^P(?:(?P<days>\\d+)D)?"\n'
    '    r"(?:T(?:(?P<hours>\\d+)H)?(?:(?P<minutes>\\d+)M)?(?:(?P<seconds>\\d+)S)?)?$"\n'
    ")\n\n\ndef duration_seconds(text: str) -> int:\n"
    "    match = _DURATION.match(text)\n"
    '    if not match or text in {"P", "PT"}:\n'
    '        raise ValueError(f"not a supported ISO 8601 duration: {text!r}")\n'
    '    parts = {k: int(v) for k, v in match.groupdict(default="0").items()}\n'
    '    return parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + '
    'parts["seconds"]\n```\n\n'
    '`duration_seconds("PT1H30M15S")` returns `5415`. Years and months are rejected on '
    "purpose: their length depends on the calendar, so they can't become seconds without a "
    "reference date.",
    prompt_tokens=450,
    completion_tokens=420,
)
_SQL = _Scenario(
    "sql_report",
    system="You write PostgreSQL for an analytics team. Return one query and explain it in two "
    "sentences.",
    user="Monthly active customers for 2025 from orders(customer_id, created_at, status), "
    "counting only status = 'paid'.",
    thinking="Half-open range on created_at so the index is usable; count distinct customers "
    "per month.",
    answer="```sql\nSELECT date_trunc('month', created_at) AS month,\n"
    "       count(DISTINCT customer_id)    AS active_customers\nFROM orders\n"
    "WHERE status = 'paid'\n  AND created_at >= '2025-01-01'\n"
    "  AND created_at <  '2026-01-01'\nGROUP BY 1\nORDER BY 1;\n```\n\n"
    "The half-open date range lets PostgreSQL use an index on `created_at`, and "
    "`count(DISTINCT ...)` counts each customer once per month however many orders they paid.",
    prompt_tokens=900,
    completion_tokens=180,
)
_INCIDENT = _Scenario(
    "incident_summary",
    system="You are the on-call assistant for Acme Robotics. Summarize incidents for the status "
    "page: plain language, no blame, at most four bullet points.",
    user="Summarize: 14:02 UTC p99 latency on /v2/plan jumped from 180 ms to 4.1 s. 14:09 "
    "autoscaler added 6 pods, no effect. 14:17 found the planner cache TTL set to 0 by config "
    "push 8841. 14:21 rolled back. 14:24 latency normal. ~3% of planning requests timed out.",
    thinking="Status page audience: no internal ids, no blame. Cause, impact, fix, follow-up.",
    answer="- **What happened:** Between 14:02 and 14:24 UTC route planning was slow and about "
    "3% of planning requests timed out.\n- **Cause:** A configuration change disabled the "
    "planner's cache, so every request recomputed its route from scratch.\n- **Resolution:** "
    "The change was rolled back at 14:21 UTC; response times were normal again by 14:24 UTC.\n"
    "- **Next steps:** We are adding a check that blocks a cache lifetime of zero from being "
    "deployed.",
    prompt_tokens=2400,
    completion_tokens=160,
)
_XSS = _Scenario(
    "xss_question",
    user="My comment widget shows user text with innerHTML. Someone posted "
    "<script>alert(1)</script> and nothing ran, but <img src=x onerror=alert(document.cookie)> "
    "did. Why, and how do I fix it?",
    thinking="innerHTML never runs inserted script elements, but event handler attributes do.",
    answer="Browsers don't execute `<script>` elements inserted through `innerHTML`, but event "
    "handler attributes still fire, so the `<img onerror>` payload runs as soon as the broken "
    "image fails to load.\n\nNever put user text into `innerHTML`; `textContent` treats it as "
    'text:\n\n```html\n<div id="comment"></div>\n<script>\n'
    '  const comment = "<img src=x onerror=alert(document.cookie)>";\n'
    '  document.getElementById("comment").textContent = comment; // shown, never run\n'
    "</script>\n```\n\nIf you must render some HTML, sanitize it with a maintained library "
    "such as DOMPurify, and send a Content-Security-Policy that forbids inline scripts.",
    prompt_tokens=120,
    completion_tokens=260,
)
_TRANSLATE = _Scenario(
    "translate_release_notes",
    system="Translate product release notes into German. Keep Markdown, code and product names "
    "unchanged.",
    user="## 2.4.0\n- Faster route planning in large warehouses (up to 3x).\n- New `--dry-run` "
    "flag for `acme deploy`.\n- Fixed: the dashboard no longer signs you out after 15 minutes.",
    answer="## 2.4.0\n- Schnellere Routenplanung in großen Lagerhallen (bis zu 3x).\n- Neues "
    "Flag `--dry-run` für `acme deploy`.\n- Behoben: Das Dashboard meldet Sie nicht mehr nach "
    "15 Minuten ab.",
    prompt_tokens=140,
    completion_tokens=90,
)
_CLASSIFY = _Scenario(
    "classify_ticket",
    system='Classify support tickets. Reply with JSON only: {"category": billing|bug|feature|'
    'account, "urgency": low|medium|high, "summary": string}.',
    user="Hi, we were charged twice for the October invoice (INV-20931) and our finance team "
    "needs a corrected invoice before Friday.",
    answer='{"category": "billing", "urgency": "high", "summary": "Charged twice for invoice '
    'INV-20931; needs a corrected invoice before Friday."}',
    json_mode=True,
    prompt_tokens=1100,
    completion_tokens=45,
)
_REGEX = _Scenario(
    "regex_explain",
    user="Explain this JavaScript regex and give me a safer version: "
    "/^([a-zA-Z0-9_.+-])+@(([a-zA-Z0-9-])+\\.)+([a-zA-Z0-9]{2,4})+$/",
    thinking="Nested quantifiers: catastrophic backtracking. Flatten and bound the length.",
    answer="It tries to match an email address, but nested quantifiers like `([a-zA-Z0-9-])+` "
    "inside `(...)+` invite catastrophic backtracking: a long string that almost matches can "
    "freeze the event loop.\n\nA flatter pattern does the same job:\n\n```javascript\n"
    "const EMAIL = /^[\\w.+-]+@(?:[a-z0-9-]+\\.)+[a-z]{2,}$/i;\n\n"
    "export function looksLikeEmail(value) {\n"
    "  return value.length <= 254 && EMAIL.test(value);\n}\n```\n\n"
    "The length check bounds the work; only a confirmation email proves the address exists.",
    prompt_tokens=150,
    completion_tokens=230,
)
_COMMIT = _Scenario(
    "commit_message",
    user="Write a commit message for: switched RouteCache to time.monotonic and injected the "
    "clock for tests.",
    answer="Use a monotonic clock in RouteCache\n\ntime.time() follows the wall clock, which NTP "
    "can move, so cache entries could expire early or late on CI. Inject the\nclock so tests "
    "can advance time without sleeping.",
    prompt_tokens=60,
    completion_tokens=60,
)
_WEATHER_TOOL = _Scenario(
    "weather_tool",
    system="You are a helpful office assistant for Acme Robotics employees.",
    user="Should I bring an umbrella to the Berlin office tomorrow?",
    thinking="Need tomorrow's Berlin forecast; call get_weather.",
    tools=(_WEATHER,),
    tool_call=("get_weather", {"city": "Berlin", "unit": "celsius", "day": "tomorrow"}),
    tool_result='{"city": "Berlin", "condition": "light rain", "precipitation_probability": 70, '
    '"high_c": 9, "low_c": 4}',
    preamble="I'll check tomorrow's forecast for Berlin.",
    answer="Yes, take an umbrella: tomorrow's forecast for Berlin is light rain with a 70% "
    "chance of precipitation, and it will be cool, between 4 and 9 °C.",
    prompt_tokens=700,
    completion_tokens=70,
)
_AGENT = _Scenario(
    "repo_agent",
    system="You are a coding agent working in the acme-planner repository. Read files and run "
    "tests before proposing a change. Keep diffs minimal.",
    user="test_route_cache_expiry is flaky on CI. Find out why and fix it.",
    thinking="Flaky expiry test: probably wall-clock time. Read planner/cache.py first.",
    tools=(_READ_FILE, _RUN_TESTS),
    tool_call=("read_file", {"path": "planner/cache.py"}),
    tool_result="import time\n\n\nclass RouteCache:\n    def __init__(self, ttl):\n"
    "        self.ttl = ttl\n        self._entries = {}\n\n    def get(self, key):\n"
    "        value, stored_at = self._entries.get(key, (None, 0))\n"
    "        if time.time() - stored_at > self.ttl:\n            return None\n"
    "        return value\n",
    preamble="Let me look at the cache implementation first.",
    answer="The flakiness comes from `time.time()`: it follows the wall clock, which can jump "
    "when NTP adjusts the CI machine, so an entry can look expired at the wrong moment.\n\n"
    "Use a monotonic clock, injected so tests can control it:\n\n```python\nimport time\n\n\n"
    "class RouteCache:\n    def __init__(self, ttl, clock=time.monotonic):\n"
    "        self.ttl = ttl\n        self._clock = clock\n        self._entries = {}\n\n"
    "    def get(self, key):\n        value, stored_at = self._entries.get(key, (None, None))\n"
    "        if stored_at is None or self._clock() - stored_at > self.ttl:\n"
    "            return None\n        return value\n```\n\n"
    "The test can now advance a fake clock instead of sleeping, which removes the race.",
    prompt_tokens=14000,
    completion_tokens=380,
)
_CHART = _Scenario(
    "chart_image",
    user=[
        {"type": "text", "text": "This is our p99 latency chart for Q3. What stands out?"},
        {
            "type": "image_url",
            "image_url": {"url": "https://files.acme-robotics.example/dash/q3-p99-latency.png"},
        },
    ],
    answer="Three things stand out:\n\n1. **A step in mid-August.** p99 roughly doubles around "
    "Aug 14 and never returns to the July baseline, which points to a deploy rather than "
    "load.\n2. **Weekly spikes** line up with Monday mornings, when batch imports run.\n"
    "3. **Shrinking headroom:** September's worst day sits just under the 2 s SLO line.",
    prompt_tokens=1500,
    completion_tokens=150,
)
_RESEARCH = _Scenario(
    "research_web",
    user="What changed for general-purpose AI model providers under the EU AI Act in August "
    "2025? Cite sources.",
    thinking="Search for the GPAI obligations that applied from 2 August 2025.",
    search_query="EU AI Act general-purpose AI obligations August 2025",
    citations=(
        (
            "https://digital-strategy.ec.europa.eu/en/policies/regulatory-framework-ai",
            "AI Act | Shaping Europe's digital future",
        ),
        (
            "https://digital-strategy.ec.europa.eu/en/policies/contents-code-gpai",
            "The General-Purpose AI Code of Practice",
        ),
    ),  # fmt: skip
    answer="Since **2 August 2025**, providers of general-purpose AI models placed on the EU "
    "market must keep technical documentation, publish a summary of their training content "
    "and have a copyright policy [1]. Models with systemic risk also need evaluations, "
    "incident reporting and cybersecurity measures [1]. A voluntary Code of Practice, "
    "published in July 2025, lets providers show compliance [2].",
    prompt_tokens=3200,
    completion_tokens=220,
)
_VOICE = _Scenario(
    "voice_reply",
    system="You are a voice assistant. Answer in two short sentences.",
    user="Read me today's standup summary.",
    answer="Yesterday the team shipped the faster route planner to staging. Today the focus is "
    "the flaky cache test and the Globex onboarding call at three.",
    prompt_tokens=400,
    completion_tokens=40,
)
# Chinese and Japanese conversations: text without spaces between words, which the log
# list's search finds by any two or more characters of a sentence.
_SALES_ZH = _Scenario(
    "sales_report_zh",
    system="你是一名资深的数据分析师，请用简洁的中文回答，并使用项目符号。",
    user="请帮我总结这份第三季度销售报告的要点：华东地区新客户带来了大部分增长，华南地区的退货率"
    "上升到百分之四，物流成本比上季度高出百分之七。",
    thinking="先给出总体结论，再分地区说明，最后提出改进建议。",
    answer="- **总体**：本季度销售额同比增长百分之十二，主要来自华东地区的新客户。\n"
    "- **风险**：华南地区的退货率上升到百分之四，需要核查质量问题。\n"
    "- **成本**：物流成本环比上涨百分之七，建议重新评估仓储布局。\n"
    "- **下一步**：下个季度优先优化华南地区的售后流程。",
    prompt_tokens=800,
    completion_tokens=160,
)
_MINUTES_JA = _Scenario(
    "meeting_minutes_ja",
    system="あなたは丁寧な秘書です。議事録を三つの要点にまとめてください。",
    user="来週の定例会議に向けて、今日の打ち合わせの議事録を要約してください。新しい物流倉庫の"
    "稼働開始日は十一月十五日に決まり、在庫管理システムの移行は来月から始めます。",
    answer="本日の打ち合わせの要点は次の三つです。\n\n1. 新しい物流倉庫の稼働開始日は十一月十五日に"
    "決定しました。\n2. 在庫管理システムの移行は来月から段階的に始めます。\n3. 次回の定例会議で"
    "移行計画の進捗を確認します。",
    prompt_tokens=500,
    completion_tokens=120,
)
_PLAIN = (
    _CODE_PYTHON, _SQL, _INCIDENT, _XSS, _TRANSLATE, _CLASSIFY, _REGEX, _COMMIT, _SALES_ZH,
    _MINUTES_JA,
)  # fmt: skip
_TOOLS = (_WEATHER_TOOL, _AGENT)

# --------------------------------------------------------------------------- traffic

# Calls per UTC hour, relative to the busiest hour: quiet nights, a European morning and an
# American afternoon.
_HOURLY = (15, 10, 8, 8, 10, 15, 25, 40, 60, 75, 85, 90, 95, 100, 100, 100, 95, 90, 80, 65, 50,
           40, 30, 20)  # fmt: skip
_WEEKEND = 35  # percent of a weekday's traffic
_ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase


@dataclass
class _Call:
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
    scenario: _Scenario
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


def build_records(
    count,
    *,
    now,
    days=30,
    seed=42,
    with_payloads=True,
    payload_share=1.0,
    rate=None,
    start=0,
    stop=None,
):
    """Yields records `start` to `stop` (default: all `count`) in the gateway's raw metadata
    shape, oldest first, spread over the `days` before `now` and the last one a few seconds
    old. Any range can be built on its own and comes out the same, so the work can be split
    between processes. `rate(model_slug, fee_tokens, at)`, if given, rates every twentieth
    record as the gateway would (a billing.rating result or None); the others carry no
    amounts and are rated on arrival. With payloads, `payload_share` of the records (spread
    evenly, the showcase always among them) carry the four stages."""
    stop = count if stop is None else min(stop, count)
    timeline = _Timeline(now, days)
    rng = random.Random()
    for index in range(start, stop):
        # A random stream per record: a record never depends on the ones before it.
        rng.seed((seed << 40) + index)
        showcase = index - (count - len(_SHOWCASE))
        show = _SHOWCASE[showcase] if showcase >= 0 else None
        call = _plan(rng, seed, index, timeline.time_of(rng, index, count), show)
        rating = None
        if rate is not None and index % 20 == 10:
            rating = rate(call.model.slug, _fee_tokens(call), call.created_at)
        record = _metadata(call, rating)
        if with_payloads and (show is not None or _carries_payloads(index, payload_share)):
            record["stages"] = _stages(call, rng)
        yield record


def _carries_payloads(index, share):
    """Whether record `index` is among the `share` that carry stages: a fixed scramble of the
    index (Knuth's multiplicative hash), not the record's random stream, so the rest of the
    record comes out the same whatever the share."""
    if share >= 1:
        return True
    return (index * 2_654_435_761) % 2**32 < share * 2**32


class _Timeline:
    """Traffic over the period, hour by hour: quiet nights and weekends, and a slow growth
    so the newest days are the busiest. Record i of n lands at the (i + u)/n quantile of the
    traffic (u random), so records come out in time order, as a gateway sends them, with
    exactly the shape of the curve."""

    def __init__(self, now, days):
        self.now = now
        start = now - timedelta(days=days)
        span = (now - start).total_seconds()
        self.starts, self.lengths, self.cumulative = [], [], []
        total = 0.0
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < now:
            begin, end = max(hour, start), min(hour + timedelta(hours=1), now)
            seconds = (end - begin).total_seconds()
            growth = 0.75 + 0.25 * (begin - start).total_seconds() / span
            weekday = _WEEKEND if hour.weekday() >= 5 else 100
            total += _HOURLY[hour.hour] * weekday * growth * seconds
            self.starts.append(begin)
            self.lengths.append(seconds)
            self.cumulative.append(total)
            hour += timedelta(hours=1)
        self.total = total

    def at(self, fraction):
        target = fraction * self.total
        k = min(bisect.bisect_right(self.cumulative, target), len(self.cumulative) - 1)
        before = self.cumulative[k - 1] if k else 0.0
        share = (target - before) / ((self.cumulative[k] - before) or 1.0)
        return self.starts[k] + timedelta(seconds=round(share * self.lengths[k], 3))

    def time_of(self, rng, index, count):
        # The newest record is a few seconds old, and every other one older than it.
        if index == count - 1:
            return self.now - timedelta(milliseconds=rng.randint(2_000, 29_000))
        return min(self.at((index + rng.random()) / count), self.now - timedelta(seconds=30))


# The spec's raw metadata example, kept in the repository: load_demo and the tests read it
# from here, so a fresh clone has everything it needs.
SPEC_EXAMPLE_PATH = Path(__file__).resolve().parent / "fixtures" / "spec_example.json"


def spec_example(text, *, seed=42, with_payloads=True):
    """The spec's example record (numbers as Decimal, its ratingResponses kept), with stages
    that match it: an OpenAI-style streamed call to Claude Sonnet 4 ending in a tool call."""
    record = loads(text)
    if with_payloads:
        rng = random.Random(f"example:{seed}")
        account = next((a for a in ACCOUNTS if a.external_id == record["accountId"]), ACCOUNTS[0])
        key = next(
            (k for k in account.keys if k.external_id == record["apiKeyId"]), account.keys[0]
        )
        fee = record.get("nativeFeeTokens", {})
        call = _Call(
            index=-1,
            generation_id=record["generationId"],
            account=account,
            key=key,
            model=_MODELS.get(record["modelSlug"], MODELS[0]),
            created_at=datetime.fromisoformat(record["createdAt"]),
            streamed=bool(record.get("streamed")),
            outcome="ok",
            finish="tool",
            anthropic_api=False,
            scenario=_AGENT,
            prompt=fee.get("prompt", 0),
            completion=fee.get("completion", 0),
            input_cache_read=fee.get("input_cache_read", 0),
            input_cache_write_5_min=fee.get("input_cache_write_5_min", 0),
            input_cache_write_1_h=fee.get("input_cache_write_1_h", 0),
            max_tokens=8192,
            generation_time=record.get("generationTime", 0),
            latency=record.get("latency", 0),
        )
        record["stages"] = _stages(call, rng)
    return record


# --------------------------------------------------------------------------- planning


def _plan(rng, seed, index, created_at, show=None):
    """Decides one call at random; `show` (a _SHOWCASE entry) fixes some of the choices."""
    show = show or {}
    if show:
        account = ACCOUNTS[0]  # the account the console opens on
        key = account.keys[index % len(account.keys)]
    else:
        account, key = rng.choices(_KEY_CHOICES, cum_weights=_KEY_WEIGHTS)[0]
    if "model" in show:
        model = _MODELS[show["model"]]
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
        scenario = _RESEARCH
    elif image:
        scenario = _CHART
    elif audio_reply:
        scenario = _VOICE
    else:
        if rng.random() < 0.28:
            scenario = _TOOLS[rng.random() < 0.5]
            finish = "tool" if rng.random() < 0.55 else "stop"
        else:
            scenario = _PLAIN[rng.randrange(len(_PLAIN))]
        if finish == "stop" and rng.random() < 0.05:
            finish = "length"
    thinking = model.reasoning == "always" or (
        model.reasoning == "sometimes" and rng.random() < 0.3
    )
    thinking = show.get("thinking", thinking)
    call = _Call(
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
_SHOWCASE = (
    {"model": "openai/gpt-4o-mini", "audio": True, "scenario": _VOICE, "streamed": False},
    {"model": "google/gemini-2.5-flash", "scenario": _INCIDENT, "cache": "input_cache_write",
     "streamed": False},
    {"model": "x-ai/grok-4", "web_search": 2, "scenario": _RESEARCH, "streamed": True},
    {"model": "deepseek/deepseek-reasoner", "scenario": _SQL, "thinking": True,
     "cache": "input_cache_read", "streamed": True},
    {"model": "meta-llama/llama-4-maverick", "outcome": "error", "error": 0, "streamed": True},
    {"model": "openai/gpt-4.1", "finish": "length", "scenario": _CODE_PYTHON, "streamed": False},
    {"model": "anthropic/claude-opus-4.5", "anthropic_api": True, "finish": "length",
     "scenario": _AGENT, "cache": "input_cache_write_1_h", "streamed": True},
    {"model": "google/gemini-2.5-pro", "image": 2, "scenario": _CHART, "streamed": True},
    {"model": "openai/gpt-5", "outcome": "error", "error": 0, "streamed": False},
    {"model": "anthropic/claude-sonnet-4.5", "outcome": "cancelled", "scenario": _REGEX,
     "streamed": True},
    {"model": "openai/gpt-5-mini", "scenario": _XSS, "streamed": False},
    {"model": "google/gemini-2.5-flash", "web_search": 1, "scenario": _RESEARCH,
     "streamed": False},
    {"model": "anthropic/claude-sonnet-4", "anthropic_api": True, "finish": "tool",
     "scenario": _WEATHER_TOOL, "streamed": False},
    {"model": "openai/gpt-5.2", "finish": "tool", "scenario": _AGENT, "streamed": True},
    {"model": "meta-llama/llama-4-maverick", "scenario": _COMMIT, "streamed": False},
    {"model": "anthropic/claude-sonnet-4", "anthropic_api": True, "thinking": True,
     "scenario": _CODE_PYTHON, "cache": "input_cache_read", "streamed": True},
    {"model": "anthropic/claude-sonnet-4", "finish": "tool", "scenario": _AGENT,
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


# -------------------------------------------------------------------------- metadata

_FINISH = {
    # outcome: (OpenAI-compatible, Anthropic-compatible, Gemini native)
    "stop": ("stop", "end_turn", "STOP"),
    "tool": ("tool_calls", "tool_use", "STOP"),
    "length": ("length", "max_tokens", "MAX_TOKENS"),
}


def _finish_reasons(call):
    """(finishReason, nativeFinishReason): what the caller's API says, and what the
    provider's API said."""
    if call.outcome == "error":
        return "error", ""
    if call.outcome == "cancelled":
        return ("cancelled" if call.index % 3 else ""), ""
    openai, anthropic, google = _FINISH[call.finish]
    native = {"anthropic": anthropic, "google": google}.get(call.model.api, openai)
    return (anthropic if call.anthropic_api else openai), native


def _throughput(call):
    # Output tokens per second as a 2-decimal string, rounded half up in integers: exact,
    # and cheaper than Decimal for a million records.
    hundredths = (call.output_total * 200_000 + call.generation_time) // (2 * call.generation_time)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _fee_tokens(call):
    provider, c = call.model.provider, call
    if provider == "anthropic":
        # The gateway's order, as in the spec's example.
        tokens = {
            "input_cache_write_5_min": c.input_cache_write_5_min,
            "completion": c.completion,
            "input_cache_read": c.input_cache_read,
            "input_cache_write_1_h": c.input_cache_write_1_h,
            "prompt": c.prompt,
        }
    else:
        tokens = {"prompt": c.prompt, "completion": c.completion}
        if provider not in ("mistralai", "meta-llama"):
            tokens["input_cache_read"] = c.input_cache_read
        if c.input_cache_write:
            tokens["input_cache_write"] = c.input_cache_write
    if c.internal_reasoning or (c.thinking and provider != "anthropic"):
        tokens["internal_reasoning"] = c.internal_reasoning
    for item in ("audio", "web_search", "image"):
        if getattr(c, item):
            tokens[item] = getattr(c, item)
    return tokens


def _openai_usage(call):
    c = call
    prompt = c.prompt_total
    completion = c.output_total
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": c.input_cache_read, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": c.internal_reasoning,
            "audio_tokens": c.audio,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    provider = c.model.provider
    if provider == "deepseek":
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": c.input_cache_read},
            "prompt_cache_hit_tokens": c.input_cache_read,
            "prompt_cache_miss_tokens": c.prompt,
        }
        if c.internal_reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": c.internal_reasoning}
    elif provider == "x-ai":
        usage["prompt_tokens_details"] = {
            "text_tokens": prompt,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": c.input_cache_read,
        }
        usage["num_sources_used"] = c.web_search * 5
    elif provider in ("moonshotai", "mistralai", "meta-llama", "qwen"):
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if provider == "moonshotai" and c.input_cache_read:
            usage["cached_tokens"] = c.input_cache_read
        if provider == "qwen":
            usage["prompt_tokens_details"] = {"cached_tokens": c.input_cache_read}
    return usage


def _anthropic_usage(call, *, output_tokens=None):
    c = call
    usage = {
        "input_tokens": c.prompt,
        "cache_creation_input_tokens": c.input_cache_write_5_min + c.input_cache_write_1_h,
        "cache_read_input_tokens": c.input_cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": c.input_cache_write_5_min,
            "ephemeral_1h_input_tokens": c.input_cache_write_1_h,
        },
        "output_tokens": c.output_total if output_tokens is None else output_tokens,
        "service_tier": "standard",
    }
    if c.web_search:
        usage["server_tool_use"] = {"web_search_requests": c.web_search}
    return usage


def _google_usage(call):
    c = call
    usage = {
        "promptTokenCount": c.prompt_total,
        "candidatesTokenCount": c.completion,
        "totalTokenCount": c.prompt_total + c.output_total,
    }
    if c.input_cache_read:
        usage["cachedContentTokenCount"] = c.input_cache_read
    if c.internal_reasoning:
        usage["thoughtsTokenCount"] = c.internal_reasoning
    details = [{"modality": "TEXT", "tokenCount": c.prompt_total - c.image * 258}]
    if c.image:
        details.append({"modality": "IMAGE", "tokenCount": c.image * 258})
    usage["promptTokensDetails"] = details
    return usage


def _native_tokens(call):
    c = call
    if c.model.api == "anthropic":
        if c.anthropic_api:
            return _anthropic_usage(c)
        # Through the OpenAI-compatible endpoint the gateway reports Anthropic usage in
        # OpenAI's shape, as in the spec's example.
        prompt = c.prompt_total
        return {
            "completion_tokens": c.output_total,
            "prompt_tokens": prompt,
            "total_tokens": prompt + c.output_total,
            "completion_tokens_details": {"reasoning_tokens": c.internal_reasoning},
            "prompt_tokens_details": {
                "ephemeral_1h_input_tokens": c.input_cache_write_1_h,
                "ephemeral_5m_input_tokens": c.input_cache_write_5_min,
                "cached_tokens": c.input_cache_read,
            },
        }
    if c.model.api == "google":
        return _google_usage(c)
    return _openai_usage(c)


def _metadata(call, rating):
    c, model = call, call.model
    finish_reason, native_finish_reason = _finish_reasons(c)
    record = {
        "generationId": c.generation_id,
        "accountId": c.account.external_id,
        "model": model.name,
        "modelSlug": model.slug,
        "apiKeyId": c.key.external_id,
        "providerSlug": model.provider,
        "createdAt": c.created_at.isoformat(timespec="milliseconds"),
        "generationTime": c.generation_time,
        "latency": c.latency,
        "moderationLatency": c.moderation_latency,
        "streamed": c.streamed,
        "cancelled": c.outcome == "cancelled",
    }
    if c.outcome != "error":
        # A failed call produced nothing: its throughput is unknown, not zero.
        record["throughput"] = _throughput(c)
    record["nativeFeeTokens"] = _fee_tokens(c)
    if c.outcome != "error":
        record["nativeTokens"] = _native_tokens(c)
    record["finishReason"] = finish_reason
    record["nativeFinishReason"] = native_finish_reason
    if rating is not None:
        record.update(_gateway_amounts(rating))
    record["requestRetryTimes"] = c.retries
    record["finalRetry"] = True
    return record


def _gateway_amounts(result):
    """A billing.rating result in the gateway's shape: amount strings at the top, JSON numbers
    inside ratingResponses, as in the spec's example."""
    bill = result.bill_amount
    return {
        "originAmount": amount_string(result.origin_amount),
        "billAmount": amount_string(bill),
        "discountAmount": amount_string(result.discount_amount),
        "realAmount": amount_string(bill),
        "nonpaymentAmount": "0",
        "ratingResponses": {
            "billAmount": plain_number(bill),
            "discountAmount": plain_number(result.discount_amount),
            "originAmount": plain_number(result.origin_amount),
            "priceVersion": result.price_version,
            "ratingDetails": [
                {
                    "billAmount": plain_number(line.bill_amount),
                    "discountAmount": plain_number(line.discount_amount),
                    "feeItemCode": line.fee_item_code,
                    "originAmount": plain_number(line.origin_amount),
                    "rate": plain_number(line.rate),
                }
                for line in result.lines
            ],
            "serviceCode": result.service_code,
        },
    }


# ---------------------------------------------------------------------------- stages


def _rid(rng, n, alphabet=_ALNUM):
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


def _stages(call, rng):
    reply = _reply(call)
    ids = {
        "call": "call_" + _rid(rng, 24),
        "toolu": "toolu_01" + _rid(rng, 22),
        "msg": "msg_01" + _rid(rng, 22),
        "chatcmpl": "chatcmpl-" + _rid(rng, 29),
        "request": _rid(rng, 32, "0123456789abcdef"),
        "token": _rid(rng, 40),
    }
    user_request = _user_request(call, ids)
    origin_request = _origin_request(call, ids)
    if call.outcome == "error":
        origin_response, user_response = _error_responses(call, ids)
    else:
        origin_response = _origin_response(call, reply, ids)
        user_response = _user_response(call, reply, ids)
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


# ---- requests


def _user_request(call, ids):
    key = call.key
    headers = {
        ":method": "POST",
        ":path": "/api/anthropic/v1/messages" if call.anthropic_api else "/api/v1/chat/completions",
        "host": "zenmux.ai",
        "content-type": "application/json",
        "accept": "text/event-stream" if call.streamed else "application/json",
    }
    if call.anthropic_api:
        headers["user-agent"] = "Anthropic/Python 0.69.0"
        headers["x-api-key"] = f"sk-ss-v1-demo{ids['token']}"
        headers["anthropic-version"] = "2023-06-01"
        body = _anthropic_request(call, call.model.slug)
    else:
        headers["user-agent"] = key.user_agent
        headers["authorization"] = f"Bearer sk-ss-v1-demo{ids['token']}"
        if key.user_agent.startswith("OpenAI/"):
            headers["x-stainless-lang"] = "python" if "Python" in key.user_agent else "js"
            headers["x-stainless-retry-count"] = "0"
        body = _openai_request(call, call.model.slug, ids, for_origin=False)
    return {"headers": headers, "body": body}


def _origin_request(call, ids):
    model = call.model
    host, path = _ORIGIN_HOSTS[model.provider]
    headers = {
        ":method": "POST",
        ":path": path,
        ":authority": host,
        "content-type": "application/json",
        "user-agent": _GATEWAY_AGENT,
    }
    if model.api == "anthropic":
        headers["x-api-key"] = f"sk-ant-api03-demo{ids['token'][:24]}"
        headers["anthropic-version"] = "2023-06-01"
        if call.input_cache_write_1_h:
            headers["anthropic-beta"] = "extended-cache-ttl-2025-04-11"
        body = _anthropic_request(call, model.native_id)
    elif model.api == "google":
        method = "streamGenerateContent?alt=sse" if call.streamed else "generateContent"
        headers[":path"] = f"{path}{model.native_id}:{method}"
        headers["x-goog-api-key"] = f"AIzaSyDemo{ids['token'][:29]}"
        headers["x-goog-api-client"] = "zenmux-gateway/1.8.2"
        body = _google_request(call)
    else:
        headers["authorization"] = f"Bearer sk-demo-{model.provider}-{ids['token'][:32]}"
        body = _openai_request(call, model.native_id, ids, for_origin=True)
    headers["x-request-id"] = call.generation_id
    return {"headers": headers, "body": body}


def _openai_messages(call, ids):
    sc = call.scenario
    messages = [{"role": "system", "content": sc.system}] if sc.system else []
    messages.append({"role": "user", "content": sc.user})
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": ids["call"],
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(arguments)},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": ids["call"], "content": sc.tool_result})
    return messages


def _openai_request(call, model_id, ids, *, for_origin):
    sc, model = call.scenario, call.model
    body = {"model": model_id, "messages": _openai_messages(call, ids)}
    if sc.tools:
        body["tools"] = list(sc.tools)
        body["tool_choice"] = "auto"
    if sc.json_mode:
        body["response_format"] = {"type": "json_object"}
    if call.audio:
        body["modalities"] = ["text", "audio"]
        body["audio"] = {"voice": "alloy", "format": "mp3"}
    if call.web_search:
        if for_origin and model.provider == "x-ai":
            body["search_parameters"] = {"mode": "on", "return_citations": True}
        else:
            body["web_search_options"] = {"search_context_size": "medium"}
    if for_origin and model.provider == "openai":
        body["max_completion_tokens"] = call.max_tokens
    else:
        body["max_tokens"] = call.max_tokens
    if model.reasoning == "always" and model.provider == "openai" and for_origin:
        body["reasoning_effort"] = "minimal" if not call.internal_reasoning else "medium"
    elif not call.thinking:
        body["temperature"] = Decimal("0.3")
    if call.thinking and not for_origin and model.reasoning == "sometimes":
        body["reasoning"] = {"enabled": True, "max_tokens": 4096}
    if call.streamed:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if not for_origin and call.index % 4 == 0:
        body["user"] = f"user_{call.index % 997:04d}"
    return body


def _anthropic_content(part):
    if part["type"] == "image_url":
        return {"type": "image", "source": {"type": "url", "url": part["image_url"]["url"]}}
    return {"type": "text", "text": part["text"]}


def _anthropic_tool(tool):
    fn = tool["function"]
    return {"name": fn["name"], "description": fn["description"], "input_schema": fn["parameters"]}


def _anthropic_request(call, model_id):
    sc = call.scenario
    body = {"model": model_id, "max_tokens": call.max_tokens}
    if sc.system:
        if call.input_cache_read or call.input_cache_write_5_min or call.input_cache_write_1_h:
            cache_control = {"type": "ephemeral"}
            if call.input_cache_write_1_h:
                cache_control["ttl"] = "1h"
            body["system"] = [{"type": "text", "text": sc.system, "cache_control": cache_control}]
        else:
            body["system"] = sc.system
    user = sc.user
    if isinstance(user, list):
        user = [_anthropic_content(p) for p in user]
    messages = [{"role": "user", "content": user}]
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        tool_use_id = "toolu_01" + call.generation_id[6:12] + "PrevTurnXk2"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": sc.preamble},
                    {"type": "tool_use", "id": tool_use_id, "name": name, "input": arguments},
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use_id, "content": sc.tool_result},
                ],
            }
        )
    body["messages"] = messages
    tools = [_anthropic_tool(t) for t in sc.tools]
    if call.web_search:
        tools.append({"type": "web_search_20250305", "name": "web_search", "max_uses": 5})
    if tools:
        body["tools"] = tools
    if call.thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": 4096}
    else:
        body["temperature"] = Decimal("0.3")
    if call.streamed:
        body["stream"] = True
    return body


def _google_parts(content):
    if isinstance(content, str):
        return [{"text": content}]
    parts = []
    for part in content:
        if part["type"] == "image_url":
            parts.append(
                {"fileData": {"mimeType": "image/png", "fileUri": part["image_url"]["url"]}}
            )
        else:
            parts.append({"text": part["text"]})
    return parts


def _google_request(call):
    sc = call.scenario
    contents = [{"role": "user", "parts": _google_parts(sc.user)}]
    if sc.tool_call and call.finish != "tool":
        name, arguments = sc.tool_call
        contents.append(
            {"role": "model", "parts": [{"functionCall": {"name": name, "args": arguments}}]}
        )
        contents.append(
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": name, "response": {"content": sc.tool_result}}}
                ],
            }
        )
    body = {"contents": contents}
    if sc.system:
        body["systemInstruction"] = {"parts": [{"text": sc.system}]}
    if sc.tools:
        body["tools"] = [{"functionDeclarations": [t["function"] for t in sc.tools]}]
    if call.web_search:
        body["tools"] = [{"googleSearch": {}}]
    config = {"maxOutputTokens": call.max_tokens}
    if not call.thinking:
        config["temperature"] = Decimal("0.3")
    if call.model.reasoning:
        config["thinkingConfig"] = {"thinkingBudget": -1 if call.thinking else 0}
    if sc.json_mode:
        config["responseMimeType"] = "application/json"
    body["generationConfig"] = config
    return body


# ---- responses


def _response_headers(call, content_type):
    streaming = call.streamed and call.outcome != "error"
    return {
        ":status": "200",
        "content-type": "text/event-stream; charset=utf-8" if streaming else content_type,
    }


def _origin_response(call, reply, ids):
    model = call.model
    headers = _response_headers(call, "application/json")
    created = int(call.created_at.timestamp())
    if model.api == "anthropic":
        headers["request-id"] = "req_011C" + ids["request"][:20]
        headers["anthropic-organization-id"] = "b7f3c1d2-5e8a-4f90-a1b2-c3d4e5f6a7b8"
        body = _anthropic_body(call, reply, model.native_id, ids)
    elif model.api == "google":
        headers["content-type"] = headers["content-type"].replace("utf-8", "UTF-8")
        headers["server"] = "scaffolding on HTTPServer2"
        headers["server-timing"] = f"gfet4t7; dur={call.generation_time}"
        body = _google_body(call, reply, ids)
    else:
        headers["x-request-id"] = "req_" + ids["request"]
        if model.provider == "openai":
            headers["openai-processing-ms"] = str(call.generation_time)
            headers["openai-version"] = "2020-10-01"
        usage = _openai_usage(call)
        body = _openai_body(
            call, reply, model.native_id, ids["chatcmpl"], created, usage, for_origin=True
        )
    return {"headers": headers, "body": body}


def _user_response(call, reply, ids):
    headers = _response_headers(call, "application/json")
    headers["x-zenmux-generation-id"] = call.generation_id
    if call.streamed:
        headers["cache-control"] = "no-cache"
    if call.anthropic_api:
        body = _anthropic_body(call, reply, call.model.slug, ids)
    else:
        created = int(call.created_at.timestamp())
        usage = _openai_usage(call)
        body = _openai_body(
            call, reply, call.model.slug, call.generation_id, created, usage, for_origin=False
        )
    return {"headers": headers, "body": body}


def _error_responses(call, ids):
    status, provider_body, code = call.error
    text_body = isinstance(provider_body, str)
    origin_headers = {
        ":status": str(status),
        "content-type": "text/html" if text_body else "application/json",
        "x-request-id": "req_" + ids["request"],
    }
    if status in (429, 529, 503):
        origin_headers["retry-after"] = "2"
    if text_body:
        message = f"{status} Bad Gateway"
    elif "message" in provider_body.get("error", {}):
        message = provider_body["error"]["message"]
    else:
        message = str(provider_body)
    provider = call.model.provider
    gateway_message = f"Provider {provider} returned {status}: {message}"
    if call.anthropic_api:
        user_body = {"type": "error", "error": {"type": code, "message": gateway_message}}
    else:
        user_body = {
            "error": {
                "code": code,
                "message": gateway_message,
                "type": code,
                "param": None,
                "metadata": {"provider": provider},
            }
        }
    user_status = 400 if status == 400 else 429 if status == 429 else 502
    user_headers = {
        ":status": str(user_status),
        "content-type": "application/json",
        "x-zenmux-generation-id": call.generation_id,
    }
    return (
        {"headers": origin_headers, "body": provider_body},
        {"headers": user_headers, "body": user_body},
    )


def _pieces(text, count):
    """Splits text into about `count` chunks at spaces; joined, they are the text again."""
    words = text.split(" ")
    step = max(1, -(-len(words) // count))
    chunks = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return [chunk + " " for chunk in chunks[:-1]] + chunks[-1:]


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# OpenAI Chat Completions


def _openai_body(call, reply, model_id, response_id, created, usage, *, for_origin):
    finish_reason = _FINISH[call.finish][0] if reply.finished else None
    tool_calls = []
    if reply.tool_call:
        name, arguments = reply.tool_call
        tool_calls = [
            {
                "id": "call_" + response_id[-24:],
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ]
    # Reasoning text, where the API exposes it: DeepSeek and xAI upstream, and the gateway's
    # OpenAI-compatible "reasoning" field downstream. OpenAI never returns it.
    reasoning_key = None
    if reply.thinking and call.model.provider != "openai":
        if not for_origin:
            reasoning_key = "reasoning"
        elif call.model.provider in ("deepseek", "x-ai"):
            reasoning_key = "reasoning_content"
    annotations = (
        [
            {
                "type": "url_citation",
                "url_citation": {"url": url, "title": title, "start_index": 0, "end_index": 0},
            }
            for url, title in reply.citations
        ]
        if call.web_search
        else []
    )
    if call.streamed:
        return _openai_sse(
            call,
            reply,
            model_id,
            response_id,
            created,
            usage,
            finish_reason,
            tool_calls,
            reasoning_key,
        )
    message = {"role": "assistant", "content": reply.text or None}
    if reasoning_key:
        message[reasoning_key] = reply.thinking
    if tool_calls:
        message["tool_calls"] = tool_calls
    if call.audio:
        message["content"] = None
        message["audio"] = {
            "id": "audio_" + response_id[-24:],
            "expires_at": created + 3600,
            "data": "//uQxAAAAAAAAAAAAAAAAAAAAAAASW5mbwAAAA8AAAAMAAAUkQAVFRUV",
            "transcript": reply.text,
        }
    if call.model.provider == "openai":
        message["refusal"] = None
        message["annotations"] = annotations
    body = {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": model_id,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": usage,
    }
    if for_origin and call.model.provider == "openai":
        body["service_tier"] = "default"
        body["system_fingerprint"] = "fp_" + response_id[-10:].lower()
    if for_origin and call.model.provider == "x-ai" and call.web_search:
        body["citations"] = [url for url, _ in reply.citations]
    return body


def _openai_sse(
    call, reply, model_id, response_id, created, usage, finish_reason, tool_calls, reasoning_key
):
    head = {
        "id": response_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model_id,
    }

    def chunk(delta, finish=None, **extra):
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + _compact({**head, "choices": [choice], **extra}) + "\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    if reasoning_key:
        events += [chunk({reasoning_key: p}) for p in _pieces(reply.thinking, 2)]
    if reply.text:
        events += [chunk({"content": p}) for p in _pieces(reply.text, 6)]
    if tool_calls:
        call_ = tool_calls[0]
        start = {
            "index": 0,
            "id": call_["id"],
            "type": "function",
            "function": {"name": call_["function"]["name"], "arguments": ""},
        }
        events.append(chunk({"tool_calls": [start]}))
        for piece in _pieces(call_["function"]["arguments"], 3):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    if not reply.finished:
        return "".join(events)  # cut off: no finish, no usage, no [DONE]
    events.append(chunk({}, finish_reason))
    events.append("data: " + _compact({**head, "choices": [], "usage": usage}) + "\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events)


# Anthropic Messages


def _anthropic_blocks(call, reply, ids):
    blocks = []
    if reply.thinking:
        blocks.append(
            {
                "type": "thinking",
                "thinking": reply.thinking,
                "signature": "EqQBCkgIBxABGAIiQL" + ids["token"],
            }
        )
    if call.web_search and reply.citations:
        search_id = "srvtoolu_01" + ids["toolu"][8:30]
        blocks.append(
            {
                "type": "server_tool_use",
                "id": search_id,
                "name": "web_search",
                "input": {"query": call.scenario.search_query},
            }
        )
        blocks.append(
            {
                "type": "web_search_tool_result",
                "tool_use_id": search_id,
                "content": [
                    {
                        "type": "web_search_result",
                        "url": url,
                        "title": title,
                        "page_age": "3 months ago",
                        "encrypted_content": "EpMBCioIBxgCIiQ0" + ids["request"][:16],
                    }
                    for url, title in reply.citations
                ],
            }
        )
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if reply.tool_call:
        name, arguments = reply.tool_call
        blocks.append({"type": "tool_use", "id": ids["toolu"], "name": name, "input": arguments})
    return blocks


def _anthropic_body(call, reply, model_id, ids):
    stop_reason = _FINISH[call.finish][1] if reply.finished else None
    blocks = _anthropic_blocks(call, reply, ids)
    if call.streamed:
        return _anthropic_sse(call, blocks, model_id, ids, stop_reason)
    return {
        "id": ids["msg"],
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _anthropic_usage(call),
    }


def _sse_event(name, data):
    return f"event: {name}\ndata: {_compact(data)}\n\n"


def _anthropic_sse(call, blocks, model_id, ids, stop_reason):
    start_usage = _anthropic_usage(call, output_tokens=1)
    events = [
        _sse_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": ids["msg"],
                    "type": "message",
                    "role": "assistant",
                    "model": model_id,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        )
    ]
    events.append(_sse_event("ping", {"type": "ping"}))
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            start, deltas = (
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in _pieces(block["text"], 5)],
            )
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], 2)
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "tool_use":
            start = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": p}
                for p in _pieces(json.dumps(block["input"]), 3)
            ]
        else:  # server tool blocks arrive whole
            start, deltas = block, []
        events.append(
            _sse_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        for delta in deltas:
            events.append(
                _sse_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        if stop_reason is None and index == len(blocks) - 1:
            return "".join(events)  # cancelled mid-block
        events.append(
            _sse_event("content_block_stop", {"type": "content_block_stop", "index": index})
        )
    if stop_reason is None:
        return "".join(events)
    usage = {"output_tokens": call.output_total}
    if call.web_search:
        usage["server_tool_use"] = {"web_search_requests": call.web_search}
    events.append(
        _sse_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": usage,
            },
        )
    )
    events.append(_sse_event("message_stop", {"type": "message_stop"}))
    return "".join(events)


# Gemini generateContent


def _google_parts_out(reply):
    parts = []
    if reply.text:
        parts.append({"text": reply.text})
    if reply.tool_call:
        name, arguments = reply.tool_call
        parts.append({"functionCall": {"name": name, "args": arguments}})
    return parts


def _google_body(call, reply, ids):
    finish = _FINISH[call.finish][2] if reply.finished else None
    response_id = ids["request"][:22]
    candidate = {"content": {"parts": _google_parts_out(reply), "role": "model"}}
    if finish:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    if call.web_search:
        candidate["groundingMetadata"] = {
            "webSearchQueries": [call.scenario.search_query],
            "groundingChunks": [
                {"web": {"uri": url, "title": title}} for url, title in reply.citations
            ],
        }
    usage = _google_usage(call)
    if not call.streamed:
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": call.model.native_id,
            "responseId": response_id,
        }
    events = []
    pieces = _pieces(reply.text, 4) if reply.text else []
    for piece in pieces:
        events.append(
            {
                "candidates": [
                    {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
                ],
                "usageMetadata": {"promptTokenCount": call.prompt_total},
                "modelVersion": call.model.native_id,
                "responseId": response_id,
            }
        )
    if reply.finished:
        last = {**candidate, "content": {"parts": [], "role": "model"}}
        if reply.tool_call or not pieces:
            last["content"]["parts"] = [p for p in _google_parts_out(reply) if "text" not in p]
        events.append(
            {
                "candidates": [last],
                "usageMetadata": usage,
                "modelVersion": call.model.native_id,
                "responseId": response_id,
            }
        )
    return "".join("data: " + _compact(e) + "\r\n\r\n" for e in events)
