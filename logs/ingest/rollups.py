"""Maintaining HourlyRollup and Facet rows as generations are written. Pruning leaves the
rollups alone: they are the usage record billing reads, and outlive the logs."""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from logs.models import FAILED_FINISH_REASONS, Facet, HourlyRollup
from zenlogs.bulk import upsert_adding

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
    "errors",
)


def write_rollups(rows):
    """Upserts with ON CONFLICT DO UPDATE SET x = x + excluded.x, so concurrent batches add
    up instead of overwriting each other."""
    upsert_adding(HourlyRollup, ("account", "dimension", "value", "hour"), _SUMS, rows)


def rollup_rows(generations):
    """The rollup rows to add for these generations, computed without touching the database
    (ingestion computes them before it takes any lock)."""
    # First one sum per distinct (account, hour, model, provider, key, finish reason), then
    # each of those into its five dimensions: a batch has thousands of generations but few
    # such groups, and this runs for every one of them.
    groups = defaultdict(lambda: [0, 0, 0, Decimal(0), 0, 0, Decimal(0), 0, 0])
    for g in generations:
        # Whole UTC hours since the epoch: a createdAt with a +05:30 offset still belongs
        # to one UTC hour.
        hour = int(g.created_at.timestamp() // 3600)
        key = (
            g.account_id,
            hour,
            g.model_slug,
            g.provider_slug,
            g.api_key.external_id,
            g.finish_reason,
        )
        acc = groups[key]
        latency, throughput = g.first_token_latency_ms, g.throughput
        acc[0] += 1
        acc[1] += g.input_tokens
        acc[2] += g.output_tokens
        if g.bill_amount is not None:
            acc[3] += g.bill_amount
        if latency is not None:
            acc[4] += latency
            acc[5] += 1
        if throughput is not None:
            acc[6] += throughput
            acc[7] += 1
        # models.is_failed, inline: this loop runs for every ingested generation.
        if g.cancelled or g.finish_reason in FAILED_FINISH_REASONS:
            acc[8] += 1
    totals = defaultdict(lambda: [0, 0, 0, Decimal(0), 0, 0, Decimal(0), 0, 0])
    for (account, hour, *values), sums in groups.items():
        when = datetime.fromtimestamp(hour * 3600, UTC)
        for dimension, value in zip(DIMENSIONS, ("", *values), strict=True):
            acc = totals[(account, dimension, value, when)]
            for i, amount in enumerate(sums):
                acc[i] += amount
    # Sorted, so concurrent batches lock rollup rows in the same order and never deadlock.
    return [(*key, *sums) for key, sums in sorted(totals.items(), key=lambda kv: kv[0])]


def add_facets(generations):
    # Plain strings, not the enum members: hashing an enum member runs Python code, and
    # this loop runs for every ingested generation.
    model, provider, finish = (k.value for k in Facet.Kind)
    seen = {}
    for g in generations:
        account = g.account_id
        seen[(account, model, g.model_slug)] = g.model_name
        seen[(account, provider, g.provider_slug)] = ""
        if g.finish_reason:
            seen[(account, finish, g.finish_reason)] = ""
    Facet.objects.bulk_create(
        [
            Facet(account_id=a, kind=k, value=v, label=label)
            for (a, k, v), label in sorted(seen.items())
        ],
        ignore_conflicts=True,
    )
