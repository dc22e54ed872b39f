"""Times the log list's text search (q) through Django's test client (server time: view,
queries, template), in the default 7-day window of the demo user's account.

    DATABASE_URL=postgres://... python bench/search.py [--runs 15] [--user demo]

Load data with payloads on a share of the generations first, e.g.
    python manage.py load_demo --count 1000000 --payload-share 0.2

Scenarios: a rare word (part of one tool call id), a common word (first page), a phrase, a
Chinese substring from the middle of a sentence, a two-character Chinese word (no trigram:
checked row by row), a common word plus a model filter, a rare word plus a model filter, and
the common word's page 5. Prints median and p95 per scenario, the rows shown, the total the
page reports and how the search was read ("ids" from the text index, or "walk").
"""

import re
from datetime import timedelta

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    busiest,
    list_state,
    log_in,
    older_cursor,
    page_bench_arguments,
    rows_shown,
    time_get,
)
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from logs.models import Generation, SearchText  # noqa: E402

COMMON = "the"
PHRASE = '"monotonic clock"'
CHINESE = "同比增长"  # from the middle of a sentence of the demo's Chinese conversation
CHINESE_SHORT = "物流"


def _rare_word(account):
    """Most of a tool call id from the window: one generation has it."""
    since = timezone.now() - timedelta(days=7)
    rows = SearchText.objects.filter(account=account, created_at__gte=since)
    for text in rows.filter(text__contains="call_").values_list("text", flat=True)[:50]:
        match = re.search(r"call_[A-Za-z0-9]{24}", text)
        if match:
            return match.group()[:16]
    raise SystemExit(
        "No tool call ids in the window: load data with payloads, e.g. "
        "manage.py load_demo --count 100000 --payload-share 0.2"
    )


def _mode(account, params):
    state, _ = list_state(account, params)
    state.qs  # noqa: B018 - builds the queryset, which decides the mode
    return state.search_mode


def main():
    args = page_bench_arguments(__doc__).parse_args()
    account, client = log_in(args.user)
    since = timezone.now() - timedelta(days=7)
    in_window = Generation.objects.filter(account=account, created_at__gte=since).count()
    searchable = SearchText.objects.filter(account=account, created_at__gte=since).count()
    model = busiest(account, "model_slug")
    rare = _rare_word(account)

    page5 = {"q": COMMON}
    for _ in range(4):
        cursor = older_cursor(client.get("/logs/", page5))
        if cursor is None:
            break
        page5 = {**page5, "cursor": cursor}

    scenarios = [
        (f"rare word ({rare})", {"q": rare}),
        (f"common word ({COMMON}), first page", {"q": COMMON}),
        (f"phrase ({PHRASE})", {"q": PHRASE}),
        (f"CJK substring ({CHINESE})", {"q": CHINESE}),
        (f"CJK two characters ({CHINESE_SHORT})", {"q": CHINESE_SHORT}),
        (f"q={COMMON} + model={model}", {"q": COMMON, "model": model}),
        (f"q=rare + model={model}", {"q": rare, "model": model}),
        (f"common word ({COMMON}), page 5", page5),
    ]
    print(
        f"{connection.vendor}: {in_window:,} generations in the 7-day window of account "
        f"{account.external_id}, {searchable:,} of them with search text; "
        f"{args.runs} runs each, page_size 50"
    )
    print(f"{'scenario':<56} {'median ms':>10} {'p95 ms':>8} {'rows':>5} {'total':>7} {'mode':>5}")
    for name, params in scenarios:
        median, p95, response, _ = time_get(client, "/logs/", params, args.runs)
        rows = rows_shown(response)
        total = re.search(r'<span class="total">([^<]*)', response.text).group(1).split()[0]
        print(
            f"{name:<56} {median:>10.1f} {p95:>8.1f} {rows:>5} {total:>7} "
            f"{_mode(account, params) or '-':>5}"
        )


if __name__ == "__main__":
    main()
