"""Times the pages besides the list, on demo data as loaded (server time: view, queries,
template, through Django's test client):

    DATABASE_URL=postgres://... python bench/console_pages.py [--runs 15] [--user demo]

The details page of an ordinary demo generation (the newest and one from three days ago, in
both modes), /billing/usage/ by model and by API key, and /billing/. bench/detail_page.py
times the details page with 5.7 MB of payloads instead.
"""

import argparse
import time
from datetime import timedelta

from _setup import median_p95  # noqa: I001 - sets Django up, so it comes first
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.accounts import user_accounts  # noqa: E402
from logs.models import Generation  # noqa: E402


def _time(client, url, params, runs):
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    return median_p95(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user", default="demo")
    args = parser.parse_args()
    user = get_user_model().objects.get(username=args.user)
    account = user_accounts(user).first()
    mine = Generation.objects.for_account(account)
    newest = mine.newest_first().values_list("generation_id", flat=True).first()
    older = (
        mine.until(timezone.now() - timedelta(days=3))
        .newest_first()
        .values_list("generation_id", flat=True)
        .first()
    )
    client = Client()
    client.force_login(user)
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
        median, p95 = _time(client, url, params, args.runs)
        print(f"{name:<44} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
