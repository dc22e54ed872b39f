"""Maintaining HourlyRollup and Facet rows as generations are written. Pruning leaves the
rollups alone: they are the usage record billing reads, and outlive the logs."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from logs.models import FAILED_FINISH_REASONS, Facet, HourlyRollup
from zenlogs.bulk import upsert_adding, upsert_latest

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


# (account id, kind, value) -> the latest day this process has committed as that facet's
# last_seen. Filled after commit only: a batch rolled back leaves no facet behind to trust.
# Plain dict operations under the GIL; a race between threads can only lower a day, which
# costs one more refresh, never a missed one.
_refreshed = {}
# A bound on what the memo holds, against a stream of distinct values: past it, it starts
# over, and each facet is written once more.
_REFRESHED_LIMIT = 100_000


def add_facets(generations):
    """Makes sure each model, provider and finish reason of these generations has its facet,
    last seen no earlier than the latest createdAt day it comes with. Per batch that is one
    statement for the facets this process has not already written that far, and usually
    none: each facet is refreshed at most once a day and process."""
    # Plain strings, not the enum members: hashing an enum member runs Python code, and
    # this loop runs for every ingested generation.
    model, provider, finish = (k.value for k in Facet.Kind)
    latest = {}
    for g in generations:
        combination = (g.account_id, g.model_slug, g.model_name, g.provider_slug, g.finish_reason)
        at = g.created_at
        if combination not in latest or latest[combination] < at:
            latest[combination] = at
    # A memo entry is trusted only from yesterday on: a prune deletes facets last seen
    # before its cutoff's day, and that day is yesterday at the latest (--older-than >= 1),
    # so no prune can have deleted a facet this process wrote since. An older entry may
    # name a facet a prune has since dropped, so it is written again.
    floor = datetime.now(UTC).date() - timedelta(days=1)
    due = {}
    for (account, model_slug, model_name, provider_slug, finish_reason), at in latest.items():
        day = at.astimezone(UTC).date()
        facets = [
            ((account, model, model_slug), model_name),
            ((account, provider, provider_slug), ""),
        ]
        if finish_reason:
            facets.append(((account, finish, finish_reason), ""))
        for key, label in facets:
            known = _refreshed.get(key)
            if known is not None and known >= day and known >= floor:
                continue
            if key not in due or due[key][1] < day:
                due[key] = (label, day)
    if not due:
        return
    upsert_latest(
        Facet,
        ("account", "kind", "value"),
        ("label",),
        "last_seen",
        [(*key, label, day) for key, (label, day) in sorted(due.items())],
    )
    transaction.on_commit(lambda: _remember(due))


def _remember(due):
    if len(_refreshed) > _REFRESHED_LIMIT:
        _refreshed.clear()
    for key, (_, day) in due.items():
        if _refreshed.get(key, day) <= day:
            _refreshed[key] = day


def forget_facets():
    """Drops the memo of facets written: for tests, whose databases are emptied between
    them while the process lives on."""
    _refreshed.clear()
