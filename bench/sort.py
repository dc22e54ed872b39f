"""Times the log list under a sort and under a cost bound, through Django's test client
(server time: view, queries, template), as bench/list_page.py does for the filters.

    DATABASE_URL=postgres://... python bench/sort.py [--runs 15] [--user demo] [--export]

Scenarios (page_size 50, the default 7-day window unless said): sort=-cost; sort=cost;
sort=-cost, page 20 through Older cursors; sort=-cost over all time; sort=-latency (no index
of its own: it reads the window and keeps its top rows); sort=-latency, page 20; cost_min at
the window's median cost and at its 90th percentile, newest first; cost_min with sort=-cost.
With --export, the CSV export of the window newest first, by -cost and by -latency (3 runs
each). Prints median and p95 per scenario.
"""

from datetime import timedelta

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    log_in,
    page_bench_arguments,
    params_for_page,
    rows_shown,
    time_get,
)
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from logs.models import Generation  # noqa: E402

TOO_FEW = "Too few generations for the cursor scenarios: load more first"


def _cost_quantile(window, fraction):
    """The window's cost at this quantile of its known costs (highest first)."""
    known = window.filter(bill_amount__isnull=False)
    total = known.count()
    offset = min(total - 1, int(total * (1 - fraction)))
    return known.order_by("-bill_amount").values_list("bill_amount", flat=True)[offset]


def main():
    parser = page_bench_arguments(__doc__)
    parser.add_argument("--export", action="store_true", help="also time the CSV export")
    args = parser.parse_args()

    account, client = log_in(args.user)
    mine = Generation.objects.filter(account=account)
    window = mine.filter(created_at__gte=timezone.now() - timedelta(days=7))
    total, in_window = mine.count(), window.count()
    median_cost, p90_cost = _cost_quantile(window, 0.5), _cost_quantile(window, 0.9)

    scenarios = [
        ("sort=-cost (7d)", {"sort": "-cost"}),
        ("sort=cost (7d)", {"sort": "cost"}),
        (
            "sort=-cost, page 20 via cursor (7d)",
            params_for_page(client, {"sort": "-cost"}, 20, TOO_FEW),
        ),
        ("sort=-cost, range=all", {"sort": "-cost", "range": "all"}),
        ("sort=-latency (7d)", {"sort": "-latency"}),
        (
            "sort=-latency, page 20 via cursor (7d)",
            params_for_page(client, {"sort": "-latency"}, 20, TOO_FEW),
        ),
        (f"cost_min={median_cost:f} (median), newest first", {"cost_min": f"{median_cost:f}"}),
        (f"cost_min={p90_cost:f} (p90), newest first", {"cost_min": f"{p90_cost:f}"}),
        (
            f"cost_min={p90_cost:f} (p90), sort=-cost",
            {"cost_min": f"{p90_cost:f}", "sort": "-cost"},
        ),
    ]
    print(
        f"{connection.vendor}: {total:,} generations in account {account.external_id}, "
        f"{in_window:,} in the last 7 days; {args.runs} runs each, page_size 50"
    )
    print(f"{'scenario':<52} {'median ms':>10} {'p95 ms':>8} {'rows':>5}")
    for name, params in scenarios:
        # With the body read, as the README's sort figures were taken; for a rendered page
        # that adds next to nothing.
        median, p95, response, _ = time_get(client, "/logs/", params, args.runs, read_body=True)
        print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {rows_shown(response):>5}")
    if args.export:
        print(f"{'CSV export of the 7-day window':<52} {'median ms':>10} {'p95 ms':>8} {'MB':>5}")
        for name, params in [
            ("newest first", {}),
            ("sort=-cost", {"sort": "-cost"}),
            ("sort=-latency", {"sort": "-latency"}),
        ]:
            median, p95, _, size = time_get(client, "/logs/export.csv", params, 3, read_body=True)
            print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {size / 1e6:>5.1f}")


if __name__ == "__main__":
    main()
