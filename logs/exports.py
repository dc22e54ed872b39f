"""Getting generations out: JSONL records (raw metadata plus stages, re-importable) and CSV
rows, both read in keyset chunks so memory stays flat at any row count."""

import contextlib

from django.db.models import Prefetch

from billing.models import FEE_ITEMS

from .metadata import amount_string, format_created_at, loads, to_raw_metadata
from .models import StagePayload

CHUNK = 1000


def in_chunks(queryset, size=CHUNK):
    """Yields the queryset's rows newest first, `size` at a time, by keyset: no OFFSET and no
    long-lived cursor, so a million-row export is as cheap per row as the first page."""
    ordered = queryset.newest_first()
    last = None
    while True:
        page = ordered if last is None else ordered.older_than(last.created_at, last.pk)
        rows = list(page[:size])
        if not rows:
            return
        yield from rows
        last = rows[-1]


def _stage_json(payload):
    if payload.body_format == StagePayload.BodyFormat.NONE:
        return {"headers": payload.headers, "body": None}
    body = payload.body
    if payload.body_format == StagePayload.BodyFormat.JSON:
        # Numbers come back as the Decimals they were; a body stored cut at the size limit
        # no longer parses and is exported as its text.
        with contextlib.suppress(ValueError):
            body = loads(body)
    return {"headers": payload.headers, "body": body}


def export_records(queryset):
    """Yields raw metadata dicts with a "stages" object, as the ingest API accepts them.
    Each keyset chunk prefetches its stages: a constant number of queries per thousand
    generations."""
    rows = queryset.select_related("account", "api_key", "rating").prefetch_related(
        Prefetch("stages", queryset=StagePayload.objects.order_by("stage"))
    )
    for generation in in_chunks(rows):
        record = to_raw_metadata(generation)
        stages = {p.stage: _stage_json(p) for p in generation.stages.all()}
        if stages:
            record["stages"] = stages
        yield record


CSV_HEADER = [
    "Timestamp (UTC)",
    "Generation ID",
    "Model",
    "Provider",
    "API Key",
    "Input Tokens",
    "Output Tokens",
    *FEE_ITEMS,
    "Cost (USD)",
    "originAmount",
    "discountAmount",
    "billAmount",
    "nonpaymentAmount",
    "realAmount",
    "Latency (ms)",
    "Generation Time (ms)",
    "Throughput (tps)",
    "Finish",
    "Native Finish",
    "Streamed",
    "Cancelled",
]


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    # Logged strings are untrusted: a leading = + - @ would make a spreadsheet run a formula.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_rows(queryset):
    yield CSV_HEADER
    rows = queryset.select_related("api_key").only(
        "created_at",
        "generation_id",
        "model_slug",
        "provider_slug",
        "api_key__external_id",
        "input_tokens",
        "output_tokens",
        *FEE_ITEMS,
        "origin_amount",
        "discount_amount",
        "bill_amount",
        "nonpayment_amount",
        "real_amount",
        "first_token_latency_ms",
        "generation_time_ms",
        "throughput",
        "finish_reason",
        "native_finish_reason",
        "streamed",
        "cancelled",
        "account_id",
    )
    for g in in_chunks(rows):
        yield [
            _cell(v)
            for v in (
                format_created_at(g.created_at),
                g.generation_id,
                g.model_slug,
                g.provider_slug,
                g.api_key.external_id,
                g.input_tokens,
                g.output_tokens,
                *(getattr(g, item) for item in FEE_ITEMS),
                amount_string(g.bill_amount),
                amount_string(g.origin_amount),
                amount_string(g.discount_amount),
                amount_string(g.bill_amount),
                amount_string(g.nonpayment_amount),
                amount_string(g.real_amount),
                g.first_token_latency_ms,
                g.generation_time_ms,
                g.throughput,
                g.finish_reason,
                g.native_finish_reason,
                g.streamed,
                g.cancelled,
            )
        ]
