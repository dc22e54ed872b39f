"""Times the log list through Django's test client (server time: view, queries, template).

    DATABASE_URL=postgres://... python bench/list_page.py [--runs 15] [--user demo]

Scenarios: the first page under the default window; page 50 reached through Older cursors;
each filter alone; all filters together; range=all. Prints median and p95 per scenario.
"""

from _setup import (  # noqa: I001 - sets Django up, so it comes first
    busiest,
    log_in,
    page_bench_arguments,
    params_for_page,
    rows_shown,
    time_get,
)
from django.db import connection  # noqa: E402

from logs.models import Generation  # noqa: E402

TOO_FEW = (
    "Too few generations for page 50: load more first, e.g. "
    "manage.py load_demo --count 1000000 --without-payloads"
)


def main():
    args = page_bench_arguments(__doc__).parse_args()
    account, client = log_in(args.user)
    total = Generation.objects.filter(account=account).count()
    model = busiest(account, "model_slug")
    provider, finish = busiest(account, "provider_slug"), busiest(account, "finish_reason")
    key = account.api_keys.order_by("external_id").first().external_id

    scenarios = [
        ("first page, default window (7d)", {}),
        ("page 50 via cursor (7d)", params_for_page(client, {}, 50, TOO_FEW)),
        (f"model={model}", {"model": model}),
        (f"provider={provider}", {"provider": provider}),
        (f"api_key={key}", {"api_key": key}),
        (f"finish_reason={finish}", {"finish_reason": finish}),
        (
            "request_id (exact)",
            {
                "request_id": Generation.objects.filter(account=account)
                .order_by("created_at")
                .values_list("generation_id", flat=True)
                .first()
            },
        ),
        (
            "all filters together",
            {"model": model, "provider": provider, "api_key": key, "finish_reason": finish},
        ),
        ("range=all", {"range": "all"}),
        ("range=all, page 50 via cursor", params_for_page(client, {"range": "all"}, 50, TOO_FEW)),
    ]
    vendor = connection.vendor
    print(
        f"{vendor}: {total:,} generations in account {account.external_id}; "
        f"{args.runs} runs each, page_size 50"
    )
    print(f"{'scenario':<52} {'median ms':>10} {'p95 ms':>8} {'rows':>5}")
    for name, params in scenarios:
        median, p95, response, _ = time_get(client, "/logs/", params, args.runs)
        print(f"{name:<52} {median:>10.1f} {p95:>8.1f} {rows_shown(response):>5}")


if __name__ == "__main__":
    main()
