"""What only a browser shows of the console's figures: money right-aligned in tabular
figures in the Cost column, and the usage page's chart filling its card with readable
labels at 1440 and 390 px, its per-day breakdown collapsed so the page stays short."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
MODELS = [
    ("anthropic/claude-sonnet-4", "anthropic"),
    ("anthropic/claude-opus-4.5", "anthropic"),
    ("openai/gpt-4.1", "openai"),
    ("openai/gpt-5", "openai"),
    ("google/gemini-2.5-pro", "google"),
    ("deepseek/deepseek-chat", "deepseek"),
]


@pytest.fixture
def month(prices, owner):
    """Six models called every day of the last 30, as the demo's usage looks."""
    now = datetime.now(UTC)
    records = [
        make_record(
            generationId=f"MONTH-{day:02d}-{m}",
            createdAt=(now - timedelta(days=day, minutes=m)).isoformat(),
            modelSlug=model,
            providerSlug=provider,
            nativeFeeTokens={"prompt": 1000 + day * 100 + m, "completion": 50 + m},
        )
        for day in range(30)
        for m, (model, provider) in enumerate(MODELS)
    ]
    store(*records)


def test_cost_column_is_right_aligned_in_tabular_figures(login_page, owner):
    store(
        make_record(
            generationId="FIG-SEED",
            nativeFeeTokens={
                "prompt": 16527,
                "completion": 95,
                "input_cache_read": 0,
                "input_cache_write_5_min": 0,
                "input_cache_write_1_h": 0,
            },
        ),
        make_record(generationId="FIG-SMALL", nativeFeeTokens={"prompt": 0, "completion": 100}),
        make_record(generationId="FIG-UNKNOWN", modelSlug="acme/mystery", providerSlug="acme"),
    )
    page = login_page("owner", viewport=WIDE)
    costs = page.locator("table.logs tbody").get_by_test_id("cost")
    shown = {
        costs.nth(i).evaluate("e => e.closest('tr').id"): costs.nth(i).inner_text()
        for i in range(3)
    }
    assert shown == {"g-FIG-SEED": "0.051006", "g-FIG-SMALL": "0.001500", "g-FIG-UNKNOWN": "—"}
    boxes = [costs.nth(i).bounding_box() for i in range(3)]
    rights = {round(b["x"] + b["width"]) for b in boxes}
    assert max(rights) - min(rights) <= 1, f"not right-aligned: {boxes}"
    # Tabular figures: every digit the same width, so 0.051006 and 0.001500 are as wide.
    assert abs(boxes[0]["width"] - boxes[1]["width"]) < 0.5, boxes
    assert "tabular-nums" in costs.first.evaluate("e => getComputedStyle(e).fontVariantNumeric")
    header = page.locator("table.logs thead th", has_text="Cost")
    assert header.evaluate("e => getComputedStyle(e).textAlign") == "right"
    head = header.bounding_box()
    cell = costs.first.evaluate("e => e.closest('td').getBoundingClientRect().right")
    assert abs(head["x"] + head["width"] - cell) <= 1


def _chart(page):
    return page.evaluate(
        """() => {
          const card = document.querySelector('figure.usage-chart');
          const style = getComputedStyle(card), px = name => parseFloat(style[name]);
          const inner = card.getBoundingClientRect();
          const plot = card.querySelector('svg.plot').getBoundingClientRect();
          const labels = [...card.querySelectorAll('svg text')].map(t => ({
            size: parseFloat(getComputedStyle(t).fontSize),
            height: t.getBoundingClientRect().height,
          }));
          return {
            left: inner.left + px('paddingLeft') + px('borderLeftWidth'),
            right: inner.right - px('paddingRight') - px('borderRightWidth'),
            plotLeft: plot.left, plotRight: plot.right,
            labels,
          };
        }"""
    )


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440", "390"])
def test_usage_chart_fills_its_card_with_readable_labels(login_page, month, viewport):
    page = login_page("owner", viewport=viewport)
    page.goto(page.url.replace("/logs/", "/billing/usage/"))
    chart = _chart(page)
    # The plot reaches the card's right edge; on its left only the scale's column (56 px).
    assert abs(chart["plotRight"] - chart["right"]) <= 1, chart
    assert chart["plotLeft"] - chart["left"] <= 56 + 1, chart
    # Scale marks and day labels at 11 px or more as drawn, not only as styled.
    assert len(chart["labels"]) >= 8
    assert min(label["size"] for label in chart["labels"]) >= 11, chart["labels"]
    assert min(label["height"] for label in chart["labels"]) >= 11, chart["labels"]
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"scrolls sideways: {width}"


def test_usage_per_day_breakdown_is_collapsed_and_opens_a_day(login_page, month):
    page = login_page("owner", viewport=WIDE)
    page.goto(page.url.replace("/logs/", "/billing/usage/"))
    days = page.locator("details.day")
    assert days.count() == 30
    assert page.locator("details.day[open]").count() == 0
    assert not page.locator("tr.day-part").first.is_visible()
    collapsed = page.evaluate("document.documentElement.scrollHeight")

    today = days.first
    summary = today.locator("summary")
    assert "6" in summary.inner_text()  # the day's requests, one line
    summary.click()
    parts = today.locator("tr.day-part")
    assert parts.count() == len(MODELS) and parts.first.is_visible()
    assert {parts.nth(i).get_attribute("data-value") for i in range(parts.count())} == {
        model for model, _ in MODELS
    }

    # Thirty days of six models each, all open, is what made the page so long.
    page.evaluate("document.querySelectorAll('details.day').forEach(d => d.open = true)")
    expanded = page.evaluate("document.documentElement.scrollHeight")
    assert collapsed < 3000, f"{collapsed}px tall with every day collapsed"
    assert expanded > collapsed + 30 * len(MODELS) * 25, (collapsed, expanded)


def test_usage_day_lines_label_their_figures_on_a_phone(login_page, month):
    page = login_page("owner", viewport=PHONE)
    page.goto(page.url.replace("/logs/", "/billing/usage/"))
    summary = page.locator("details.day summary").first
    text = summary.inner_text()
    for label in ("Requests", "Input tokens", "Output tokens", "Cost (USD)"):
        assert label in text
    assert not page.locator(".usage-days .day-head").is_visible()
    box = summary.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
