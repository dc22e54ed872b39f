"""Times what the volume histogram adds to the log list: each scenario's page with the
histogram and without it (switched off in the view), through Django's test client (server
time: view, queries, template), and the histogram alone (its queries and layout).

    DATABASE_URL=postgres://... python bench/histogram.py [--runs 15] [--user demo]

Scenarios: the default window (7d, two-hour bars from the rollups), 30d and all time (also
rollups), 24h and 1h (half-hour and one-minute bars: a bounded read of the rows), a model,
and a numeric bound (a bounded read). Prints median and p95 per scenario.
"""

import contextlib
from unittest import mock

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    busiest,
    list_state,
    log_in,
    median_p95,
    page_bench_arguments,
    timed,
)
from django.db import connection  # noqa: E402

from logs.listing.histogram import volume_histogram  # noqa: E402
from logs.models import Generation  # noqa: E402


def _pages(client, params, runs):
    """(median with, median without, p95 with): requests with the histogram and without it
    taken in turn, so that whatever else the machine does weighs on both alike."""
    with_it, without = [], []
    for _ in range(runs + 1):
        for samples, chart in ((with_it, True), (without, False)):
            patch = mock.patch("logs.listing.views.volume_histogram", return_value=None)
            with contextlib.nullcontext() if chart else patch:
                elapsed, response = timed(client.get, "/logs/", params)
                samples.append(elapsed)
            assert response.status_code == 200, (params, response.status_code)
            assert ('data-testid="volume-histogram"' in response.text) == chart
    (median, p95), (bare, _) = median_p95(with_it), median_p95(without)
    return median, bare, p95


def _alone(account, params, runs):
    samples, chart = [], None
    for _ in range(runs + 1):
        state, query = list_state(account, params)
        elapsed, chart = timed(volume_histogram, account, state, query)
        samples.append(elapsed)
    return median_p95(samples), chart


def main():
    args = page_bench_arguments(__doc__).parse_args()
    account, client = log_in(args.user)
    total = Generation.objects.filter(account=account).count()
    model = busiest(account, "model_slug")
    scenarios = [
        ("default window (7d)", {}),
        ("range=30d", {"range": "30d"}),
        ("range=all", {"range": "all"}),
        (f"model={model} (7d)", {"model": model}),
        ("range=24h", {"range": "24h"}),
        ("range=1h", {"range": "1h"}),
        ("latency_min=0 (7d)", {"latency_min": "0"}),
    ]
    print(
        f"{connection.vendor}: {total:,} generations in account {account.external_id}; "
        f"{args.runs} runs each, page_size 50"
    )
    header = (
        f"{'scenario':<40} {'bars':>4} {'source':>7} {'page ms':>8} {'p95':>6} {'without':>8} "
        f"{'added':>6} {'alone ms':>8} {'p95':>6}"
    )
    print(header)
    for name, params in scenarios:
        median, bare, p95 = _pages(client, params, args.runs)
        (alone_median, alone_p95), chart = _alone(account, params, args.runs)
        source = "rollups" if chart.from_rollups else ("rows" if chart.exact else "sample")
        print(
            f"{name:<40} {len(chart.bars):>4} {source:>7} {median:>8.1f} {p95:>6.1f} "
            f"{bare:>8.1f} {median - bare:>6.1f} {alone_median:>8.1f} {alone_p95:>6.1f}"
        )


if __name__ == "__main__":
    main()
