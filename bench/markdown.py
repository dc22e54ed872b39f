"""Time of Pretty mode's Markdown (logs/detail/markdown.py) on the worst texts its budget lets
through, and on real Markdown.

    python bench/markdown.py [--runs 5]

Each adversarial text is a run of one pattern, cut so that it holds as many characters of
Markdown syntax as one section's budget allows (MARKDOWN_LIMIT), behind a "**x**" that makes
it Markdown; the real documents (this repository's READMEs) are measured whole, with the
budget raised for one that is over it. The time is render_markdown's whole work: parse,
render, highlight, sanitize, and the search marks for one term. No database.
"""

import argparse
import time
from pathlib import Path

from _setup import median_p95  # noqa: I001 - sets Django up, so it comes first

from logs import search  # noqa: E402
from logs.detail.highlight import MARKDOWN_LIMIT, HighlightBudget  # noqa: E402
from logs.detail.markdown import _MARKUP, render_markdown  # noqa: E402

PATTERNS = {
    '"[" and a line break': "[\n",
    '"!["': "![",
    '"["': "[",
    '"- a" list items': "- a\n",
    "line breaks": "a\n",
    '"**_"': "**_",
    "table rows": "| a | b |\n|---|---|\n",
    '"~~a"': "~~a",
    '"<"': "<",
}
ROOT = Path(__file__).resolve().parent.parent


def _within_budget(unit):
    """A run of unit holding MARKDOWN_LIMIT characters of syntax, "**x**" included."""
    per_unit = len(_MARKUP.findall(unit))
    text = "**x**\n" + unit * ((MARKDOWN_LIMIT - 5) // per_unit)
    assert len(_MARKUP.findall(text)) <= MARKDOWN_LIMIT
    return text


def _time(text, query, runs):
    samples = []
    # A real document over one section's budget is measured alone, with room for it.
    room = max(MARKDOWN_LIMIT, len(_MARKUP.findall(text)))
    for _ in range(runs + 1):
        started = time.perf_counter()
        rendered = render_markdown(text, HighlightBudget(markdown_limit=room), query)
        samples.append((time.perf_counter() - started) * 1000)
        assert rendered.html is not None, "not rendered: nothing measured"
    return median_p95(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    query = search.parse_query("umbrella")
    texts = {name: _within_budget(unit) for name, unit in PATTERNS.items()}
    readme = (ROOT / "README.md").read_text()
    texts["README.md (real Markdown), whole"] = readme
    texts["bench/README.md, whole"] = (ROOT / "bench" / "README.md").read_text()
    print(f"budget: {MARKDOWN_LIMIT:,} characters of Markdown syntax per section")
    print(f"{'text':40} {'chars':>8} {'syntax':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, text in texts.items():
        syntax = len(_MARKUP.findall(text))
        over = " (over one section's budget)" if syntax > MARKDOWN_LIMIT else ""
        median, p95 = _time(text, query, args.runs)
        print(f"{name:40} {len(text):8,} {syntax:7,} {median:10.1f} {p95:8.1f}{over}")


if __name__ == "__main__":
    main()
