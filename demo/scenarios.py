"""The conversations demo calls carry, OpenAI-shaped; each wire format is derived from them."""

from dataclasses import dataclass

# ------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Scenario:
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

CODE_PYTHON = Scenario(
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
SQL = Scenario(
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
    "`count(DISTINCT ...)` counts each customer once per month however many orders they "
    "paid.\n\nFor the first quarter it returns:\n\n"
    "| month      | active_customers | change |\n"
    "|------------|-----------------:|-------:|\n"
    "| 2025-01-01 |            1,204 |      — |\n"
    "| 2025-02-01 |            1,317 |  +9.4% |\n"
    "| 2025-03-01 |            1,452 | +10.3% |\n\n"
    "See [aggregate functions](https://www.postgresql.org/docs/current/functions-aggregate.html) "
    "in the PostgreSQL manual for `count(DISTINCT ...)`.",
    prompt_tokens=900,
    completion_tokens=180,
)
INCIDENT = Scenario(
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
XSS = Scenario(
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
_TRANSLATE = Scenario(
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
_CLASSIFY = Scenario(
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
REGEX = Scenario(
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
COMMIT = Scenario(
    "commit_message",
    user="Write a commit message for: switched RouteCache to time.monotonic and injected the "
    "clock for tests.",
    answer="Use a monotonic clock in RouteCache\n\ntime.time() follows the wall clock, which NTP "
    "can move, so cache entries could expire early or late on CI. Inject the\nclock so tests "
    "can advance time without sleeping.",
    prompt_tokens=60,
    completion_tokens=60,
)
WEATHER_TOOL = Scenario(
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
AGENT = Scenario(
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
CHART = Scenario(
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
RESEARCH = Scenario(
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
VOICE = Scenario(
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
_SALES_ZH = Scenario(
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
_MINUTES_JA = Scenario(
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
PLAIN = (
    CODE_PYTHON, SQL, INCIDENT, XSS, _TRANSLATE, _CLASSIFY, REGEX, COMMIT, _SALES_ZH,
    _MINUTES_JA,
)  # fmt: skip
TOOLS = (WEATHER_TOOL, AGENT)
