"""Getting generations out: JSONL records (raw metadata plus stages, re-importable) and CSV
rows, both read in keyset chunks so memory stays flat at any row count."""

import contextlib

import simplejson
from django.db.models import Prefetch

from billing.models import FEE_ITEMS
from logs.models import ApiKey, StagePayload, attach_stages
from logs.record.codec import loads
from logs.record.raw import to_raw_metadata
from logs.record.values import amount_string, format_created_at
from zenlogs.keyset import NEWEST_FIRST, index_order

CHUNK = 1000
# A chunk's API keys in one small query of their own. Joined, a seven-row table let
# PostgreSQL without statistics hash the whole remaining window and sort it for every chunk
# instead of reading 1,000 rows off the index.
_KEY = Prefetch("api_key", queryset=ApiKey.objects.only("external_id"))


def in_chunks(queryset, order=NEWEST_FIRST, size=None):
    """Yields the queryset's rows in `order` (newest first unless told), `size` at a time, by
    keyset where an index keeps the order: no OFFSET and no long-lived cursor, so a
    million-row export is as cheap per row as the first page. In another order, in one
    sorted pass (_sorted_once)."""
    for rows in chunks(queryset, order, size):
        yield from rows


def chunks(queryset, order=NEWEST_FIRST, size=None):
    """in_chunks, a list of rows at a time."""
    size = size or CHUNK
    if not order.has_index(queryset.model):
        yield from _sorted_once(queryset, order, size)
        return
    rows = _in_index_order(queryset, order, size)
    while rows:
        yield rows
        rows = _in_index_order(queryset, order, size, order.position(rows[-1]))


def _in_index_order(queryset, order, size, position=None):
    """The chunk's rows, read by walking an index in the export's order. An export reads the
    whole window, and only that walk keeps the total linear: a plan that sorts reads all that
    is left of the window again for every chunk. PostgreSQL without statistics misjudges how
    many rows a chunk's conditions leave and picks the sort whenever its guess falls below
    the LIMIT, so sorts are ruled out for the chunk's statement."""
    with index_order(queryset.db):
        return queryset.read(order, size, position)


def _sorted_once(queryset, order, size):
    """The rows in an order no index keeps (latency, tokens, ...), read in one sorted pass
    per segment, `size` rows at a time from a server-side cursor. By keyset every chunk would
    read and sort all that is left of the window again, which grows with the square of the
    rows (bench/sort.py --export)."""
    for segment in queryset.segments(order):
        rows = []
        for row in segment.iterator(chunk_size=size):
            rows.append(row)
            if len(rows) == size:
                yield rows
                rows = []
        if rows:
            yield rows


def _stage_json(payload):
    if payload.body_format == StagePayload.BodyFormat.NONE:
        return {"headers": payload.headers, "body": None}
    body = payload.body
    if payload.body_format == StagePayload.BodyFormat.JSON:
        # Numbers come back as the Decimals they were (one too long to read cheaply as its
        # text, which simplejson writes back as it was); a body stored cut at the size limit
        # no longer parses and is exported as its text.
        with contextlib.suppress(ValueError):
            body = loads(body, raw=simplejson.RawJSON)
    return {"headers": payload.headers, "body": body}


def export_records(queryset, order=NEWEST_FIRST):
    """Yields raw metadata dicts with a "stages" object, as the ingest API accepts them.
    Each keyset chunk prefetches its stages, account and key: a constant number of queries
    per thousand generations. Account and key are not joined: see _KEY."""
    rows = queryset.with_rating().prefetch_related("account", _KEY)
    for chunk in chunks(rows, order):
        attach_stages(chunk)
        for generation in chunk:
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


def csv_rows(queryset, order=NEWEST_FIRST):
    yield CSV_HEADER
    rows = queryset.prefetch_related(_KEY).only(
        "created_at",
        "generation_id",
        "model_slug",
        "provider_slug",
        "api_key",
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
    for g in in_chunks(rows, order):
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
