"""An export's spans and log records stored: GenAI spans as generations through ingest(),
their conversations joined to them whichever half arrives first.

The join. A span is stored as its generation at once, with the conversation when it carries
one (or when its log record came earlier): the list shows the call as soon as it is made,
with its tokens and cost. A log record (`gen_ai.client.inference.operation.details`, or the
legacy per-message events) whose generation is stored adds the conversation as that
generation's stages, only if it has none (logs.ingest.attach); one whose span has not come
yet waits in PendingOtelLog, which the span takes when it comes. Both halves look for the
other again after their own write is committed, so two exports racing each other still
meet: each sees at least the other's commit. Re-sending either half changes nothing.
Pending halves whose span never comes are dropped after OTLP_PENDING_HOURS.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta

import msgspec
from django.conf import settings
from django.utils import timezone

from billing.rating import PriceBook
from logs.ingest import CREATED, REJECTED, ingest
from logs.ingest.attach import attach_stages
from logs.ingest.redact import redact_text
from logs.models import ApiKey, PendingOtelLog
from logs.record.codec import JSONDepthError, check_depth, replace_unstorable

from .mapping import (
    Refused,
    conversation_stages,
    finish_reason_of,
    generation_id,
    is_generation,
    key_name,
    log_conversation,
    merge,
    span_conversation,
    span_record,
)

_ENCODE = msgspec.json.Encoder(decimal_format="number")


@dataclass
class Result:
    rejected: int = 0
    errors: list = field(default_factory=list)

    def refuse(self, what, message):
        self.rejected += 1
        if len(self.errors) < 5:
            self.errors.append(f"{what}: {message}")

    @property
    def error_message(self):
        more = self.rejected - len(self.errors)
        tail = f"; and {more} more" if more > 0 else ""
        return "; ".join(self.errors) + tail


def receive_spans(account, spans):
    result = Result()
    price_book = PriceBook()
    records, conversations, names = [], {}, {}
    for span in spans:
        where = f"span {span.span_id or '?'}"
        if span.problem:
            result.refuse(where, span.problem)
            continue
        if not is_generation(span.attributes):
            continue  # accepted, not stored: HTTP, database, execute_tool, invoke_agent
        try:
            record = span_record(span, price_book)
        except Refused as exc:
            result.refuse(where, str(exc))
            continue
        conversations[record["generationId"]] = span_conversation(span)
        records.append(record)
        name = key_name(span)
        if name:
            names[record["apiKeyId"]] = name
    if not records:
        return result
    waiting = _pending(account, list(conversations))
    for record in records:
        gid = record["generationId"]
        conversation = conversations[gid] or waiting.get(gid)
        if conversation:
            record["stages"] = conversation_stages(conversation)
            if "finishReason" not in record:
                # A streamed call's span may name no finish reason; its answer does.
                reason = finish_reason_of(conversation)
                if reason:
                    record["finishReason"] = record["nativeFinishReason"] = reason
    parsed = []
    for record in records:
        try:
            parsed.append(as_parsed(record))
        except JSONDepthError as exc:
            result.refuse(f"span {record['otelSpan']['spanId']}", f"(record) {exc}")
    records = parsed
    if not records:
        return result
    outcomes = ingest(records, price_book=price_book, account_id=account.external_id, charge=False)
    bare, kept = [], set()
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome.status == REJECTED:
            first = outcome.errors[0]
            result.refuse(
                f"span {record['otelSpan']['spanId']}", f"{first['field']} {first['message']}"
            )
            continue
        kept.add(outcome.generation_id)
        if outcome.status == CREATED and "stages" not in record:
            bare.append(outcome.generation_id)
    _name_keys(account, names)
    taken = [gid for gid in waiting if gid in kept and gid not in bare]
    if bare:
        # A log record that went to pending while this export was being stored.
        late = _pending(account, bare)
        if late:
            attach_stages(account, {g: conversation_stages(c) for g, c in late.items()})
            taken.extend(late)
    if taken:
        PendingOtelLog.objects.filter(account=account, generation_id__in=taken).delete()
    return result


def as_parsed(record):
    """The record as ingest() takes a parsed one: what the JSON codec (logs.record.codec.loads)
    would have made of its text, so that every check and limit of the record applies to what
    a span becomes, without writing it out as JSON only to read it back. Its strings made
    storable (NUL and lone surrogates, from a protobuf string or a message's JSON escapes,
    become U+FFFD) and its nesting held to INGEST_MAX_DEPTH (JSONDepthError). One encode of
    the record, in C, tells whether either needs a look: the raw reader's own tests."""
    try:
        text = _ENCODE.encode(record)
    except UnicodeEncodeError:  # a lone surrogate
        record, text = replace_unstorable(record), None
    else:
        if b"\\u0000" in text:
            record = replace_unstorable(record)
    if text is None or text.count(b"{") + text.count(b"[") > settings.INGEST_MAX_DEPTH:
        # Only a record with more brackets than the limit can be nested past it.
        check_depth(record)
    return record


def _name_keys(account, names):
    """Names the API keys that have none yet (zenlogs.api_key.name, or the service's own
    name): the API Keys filter shows them. One UPDATE per name, only while it is blank."""
    for external_id, name in sorted(names.items()):
        keys = ApiKey.objects.filter(account=account, external_id=external_id, name="")
        keys.update(name=redact_text(name)[:200])


def receive_logs(account, records):
    result = Result()
    halves = {}
    for record in records:
        conversation = log_conversation(record)
        if conversation is None:
            continue  # accepted, not stored: other logs and events
        if len(record.trace_id) != 32 or len(record.span_id) != 16:
            result.refuse(
                f"log record {record.event_name}",
                "traceId/spanId: required (hex) to tie it to its span",
            )
            continue
        gid = generation_id(record.trace_id, record.span_id)
        # A protobuf string may hold NUL, which PostgreSQL's jsonb (the pending row) refuses.
        merge(halves.setdefault(gid, {}), replace_unstorable(conversation))
    if not halves:
        return result
    _drop_expired()
    stages = {gid: conversation_stages(c) for gid, c in halves.items()}
    found, _ = attach_stages(account, stages)
    waiting = {gid: c for gid, c in halves.items() if gid not in found}
    if waiting:
        now = timezone.now()
        PendingOtelLog.objects.bulk_create(
            [
                PendingOtelLog(account=account, generation_id=gid, received_at=now, conversation=c)
                for gid, c in sorted(waiting.items())
            ],
            ignore_conflicts=True,
        )
        # The span may have been stored while this was on its way in.
        found, _ = attach_stages(account, {gid: stages[gid] for gid in waiting})
        if found:
            PendingOtelLog.objects.filter(account=account, generation_id__in=found).delete()
    return result


def _pending(account, generation_ids):
    now = timezone.now()
    horizon = now - timedelta(hours=settings.OTLP_PENDING_HOURS)
    rows = PendingOtelLog.objects.filter(
        account=account, generation_id__in=generation_ids, received_at__gte=horizon
    ).values_list("generation_id", "conversation")
    return dict(rows)


_last_sweep = 0.0


def _drop_expired():
    """Pending halves past their lifetime go, at most once a minute per process: one indexed
    DELETE on received_at."""
    global _last_sweep
    if time.monotonic() - _last_sweep < 60:
        return
    _last_sweep = time.monotonic()
    horizon = timezone.now() - timedelta(hours=settings.OTLP_PENDING_HOURS)
    PendingOtelLog.objects.filter(received_at__lt=horizon).delete()
