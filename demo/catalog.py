"""Who and what the demo traffic is about: its accounts and their API keys, and the models
with the providers that serve them."""

from dataclasses import dataclass, field
from functools import cached_property

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
MODELS_BY_SLUG = {m.slug: m for m in MODELS}

ORIGIN_HOSTS = {
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
GATEWAY_AGENT = "ZenMux-Gateway/1.8.2"
