"""Maintaining HourlyRollup and Facet rows as generations are written (and pruned)."""

from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from zenlogs.bulk import upsert_adding

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
        # In UTC: a createdAt with a +05:30 offset still belongs to one UTC hour.
        hour = g.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        values = dimension_values(g)
        for dimension in DIMENSIONS:
            acc = totals[(g.account_id, dimension, values[dimension], hour)]
            for i, amount in enumerate(_contribution(g)):
                acc[i] += sign * amount
    # Sorted, so concurrent batches lock rollup rows in the same order and never deadlock.
    rows = [(*key, *sums) for key, sums in sorted(totals.items(), key=lambda kv: kv[0])]
    upsert_adding(HourlyRollup, ("account", "dimension", "value", "hour"), _SUMS, rows)


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
