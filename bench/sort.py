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

import argparse
import re
import time
from datetime import timedelta

from _setup import median_p95  # noqa: I001 - sets Django up, so it comes first
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.accounts import user_accounts  # noqa: E402
from logs.models import Generation  # noqa: E402


def _time(client, path, params, runs):
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        response = client.get(path, params)
        if response.streaming:
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (params, response.status_code)
        samples.append(elapsed)
    return (*median_p95(samples), response, size)


def _older_cursor(response):
    # Read from the page like a browser would (see bench/list_page.py).
    match = re.search(r'href="\?[^"]*cursor=(o[^&"]+)[^"]*" rel="next"', response.text)
    if match is None:
        raise SystemExit("Too few generations for the cursor scenarios: load more first")
    return match.group(1)


def _cursor_for_page(client, params, page):
    params = dict(params)
    for _ in range(page - 1):
        params["cursor"] = _older_cursor(client.get("/logs/", params))
    return params


def _cost_quantile(window, fraction):
    """The window's cost at this quantile of its known costs (highest first)."""
    known = window.filter(bill_amount__isnull=False)
    total = known.count()
    offset = min(total - 1, int(total * (1 - fraction)))
    return known.order_by("-bill_amount").values_list("bill_amount", flat=True)[offset]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user", default="demo")
    parser.add_argument("--export", action="store_true", help="also time the CSV export")
    args = parser.parse_args()

    user = get_user_model().objects.get(username=args.user)
    account = user_accounts(user).first()
    mine = Generation.objects.filter(account=account)
    window = mine.filter(created_at__gte=timezone.now() - timedelta(days=7))
    total, in_window = mine.count(), window.count()
    median_cost, p90_cost = _cost_quantile(window, 0.5), _cost_quantile(window, 0.9)
    client = Client()
    client.force_login(user)

    scenarios = [
        ("sort=-cost (7d)", {"sort": "-cost"}),
        ("sort=cost (7d)", {"sort": "cost"}),
        ("sort=-cost, page 20 via cursor (7d)", _cursor_for_page(client, {"sort": "-cost"}, 20)),
        ("sort=-cost, range=all", {"sort": "-cost", "range": "all"}),
        ("sort=-latency (7d)", {"sort": "-latency"}),
        (
            "sort=-latency, page 20 via cursor (7d)",
            _cursor_for_page(client, {"sort": "-latency"}, 20),
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
        median, p95, response, _ = _time(client, "/logs/", params, args.runs)
        rows = response.text.count('<tr id="g-')
        print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {rows:>5}")
    if args.export:
        print(f"{'CSV export of the 7-day window':<52} {'median ms':>10} {'p95 ms':>8} {'MB':>5}")
        for name, params in [
            ("newest first", {}),
            ("sort=-cost", {"sort": "-cost"}),
            ("sort=-latency", {"sort": "-latency"}),
        ]:
            median, p95, _, size = _time(client, "/logs/export.csv", params, 3)
            print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {size / 1e6:>5.1f}")


if __name__ == "__main__":
    main()
