"""Maintaining HourlyRollup and Facet rows as generations are written (and pruned)."""

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from .models import Facet, HourlyRollup

DIMENSIONS = ("all", "model", "provider", "api_key", "finish_reason")
_SUMS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cost",
    "latency_sum",
    "latency_count",
    "throughput_sum",
    "throughput_count",
)


def dimension_values(generation):
    return {
        "all": "",
        "model": generation.model_slug,
        "provider": generation.provider_slug,
        "api_key": generation.api_key.external_id,
        "finish_reason": generation.finish_reason,
    }


def _contribution(g):
    return (
        1,
        g.input_tokens,
        g.output_tokens,
        g.bill_amount or Decimal(0),
        g.first_token_latency_ms or 0,
        0 if g.first_token_latency_ms is None else 1,
        g.throughput or Decimal(0),
        0 if g.throughput is None else 1,
    )


def add_to_rollups(generations, sign=1):
    """Adds (sign=1) or removes (sign=-1) generations' figures. Upserts with
    ON CONFLICT DO UPDATE SET x = x + excluded.x, so concurrent batches add up instead of
    overwriting each other."""
    totals = defaultdict(lambda: [0, 0, 0, Decimal(0), 0, 0, Decimal(0), 0])
    for g in generations:
        hour = g.created_at.replace(minute=0, second=0, microsecond=0)
        values = dimension_values(g)
        for dimension in DIMENSIONS:
            acc = totals[(g.account_id, dimension, values[dimension], hour)]
            for i, amount in enumerate(_contribution(g)):
                acc[i] += sign * amount
    if not totals:
        return
    fields = [
        HourlyRollup._meta.get_field(n) for n in ("account", "dimension", "value", "hour", *_SUMS)
    ]
    table = connection.ops.quote_name(HourlyRollup._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    updates = ", ".join(
        f"{connection.ops.quote_name(n)} = {table}.{connection.ops.quote_name(n)} "
        f"+ excluded.{connection.ops.quote_name(n)}"
        for n in _SUMS
    )
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Sorted, so concurrent batches lock rollup rows in the same order and never deadlock.
    items = sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3]))
    chunk = 500
    with connection.cursor() as cursor:
        for start in range(0, len(items), chunk):
            params = []
            batch = items[start : start + chunk]
            for (account_id, dimension, value, hour), sums in batch:
                raw = [account_id, dimension, value, hour, *sums]
                params.extend(
                    f.get_db_prep_save(v, connection) for f, v in zip(fields, raw, strict=True)
                )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - names from _meta
                + ", ".join([placeholder] * len(batch))
                + " ON CONFLICT (account_id, dimension, value, hour) DO UPDATE SET "
                + updates,
                params,
            )


def add_facets(generations):
    seen = {}
    for g in generations:
        seen[(g.account_id, Facet.Kind.MODEL, g.model_slug)] = g.model_name
        seen[(g.account_id, Facet.Kind.PROVIDER, g.provider_slug)] = ""
        if g.finish_reason:
            seen[(g.account_id, Facet.Kind.FINISH_REASON, g.finish_reason)] = ""
    Facet.objects.bulk_create(
        [
            Facet(account_id=a, kind=k, value=v, label=label)
            for (a, k, v), label in sorted(seen.items())
        ],
        ignore_conflicts=True,
    )
