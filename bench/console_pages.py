"""Times the pages besides the list, on demo data as loaded (server time: view, queries,
template, through Django's test client):

    DATABASE_URL=postgres://... python bench/console_pages.py [--runs 15] [--user demo]

The details page of an ordinary demo generation (the newest and one from three days ago, in
both modes), /billing/usage/ by model and by API key, and /billing/. bench/detail_page.py
times the details page with 5.7 MB of payloads instead.
"""

from datetime import timedelta

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    log_in,
    page_bench_arguments,
    time_get,
)
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from logs.models import Generation  # noqa: E402


def main():
    args = page_bench_arguments(__doc__).parse_args()
    account, client = log_in(args.user)
    mine = Generation.objects.for_account(account)
    newest = mine.newest_first().values_list("generation_id", flat=True).first()
    older = (
        mine.until(timezone.now() - timedelta(days=3))
        .newest_first()
        .values_list("generation_id", flat=True)
        .first()
    )
    scenarios = [
        ("details, newest generation (pretty)", f"/logs/{newest}/", {}),
        ("details, newest generation (json)", f"/logs/{newest}/", {"view": "json"}),
        ("details, 3 days old (pretty)", f"/logs/{older}/", {}),
        ("/billing/usage/ by model", "/billing/usage/", {}),
        ("/billing/usage/ by API key", "/billing/usage/", {"by": "api_key"}),
        ("/billing/", "/billing/", {}),
    ]
    print(f"{connection.vendor}: account {account.external_id}; {args.runs} runs each")
    print(f"{'scenario':<44} {'median ms':>10} {'p95 ms':>8}")
    for name, url, params in scenarios:
        median, p95, *_ = time_get(client, url, params, args.runs)
        print(f"{name:<44} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
