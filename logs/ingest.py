"""Stores validated generation records: the one write path behind the ingest API, the
import command and the demo data.

A batch is one transaction. Records are inserted with ON CONFLICT (generation_id) DO
NOTHING ... RETURNING, so concurrent posts of the same batch yield one row per
generationId without a check-then-insert race, and we know exactly which rows are ours.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Account, Rating, RatingDetail
from billing.rating import PriceBook
from billing.settlement import settle
from zenlogs.bulk import insert_ignoring_conflicts, insert_rows

from .metadata import dumps, parse_record
from .models import ApiKey, Generation, StagePayload
from .redact import redact_headers, redact_text, redact_value
from .rollups import add_facets, add_to_rollups

CREATED = "created"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass
class Outcome:
    index: int
    generation_id: str | None
    status: str
    errors: list = field(default_factory=list)
    content_differs: bool | None = None

    def as_dict(self):
        out = {"index": self.index, "generationId": self.generation_id, "status": self.status}
        if self.status == REJECTED:
            out["errors"] = self.errors
        if self.status == DUPLICATE:
            out["contentDiffers"] = self.content_differs
        return out


def ingest(records, *, price_book=None):
    """Validates and stores records (parsed JSON objects). Returns one Outcome per record, in
    input order. Valid records are stored even when others are rejected; a record is either
    stored whole (generation, stages, rating) or not at all."""
    outcomes = [None] * len(records)
    parsed = []
    for index, obj in enumerate(records):
        record, errors = parse_record(obj)
        if errors:
            gid = obj.get("generationId") if isinstance(obj, dict) else None
            # Echo the id back to help the client match it, but never a megabyte of it.
            gid = gid[:128] if isinstance(gid, str) else None
            outcomes[index] = Outcome(index, gid, REJECTED, errors)
        else:
            parsed.append((index, record))
    if parsed:
        with transaction.atomic():
            _store(parsed, outcomes, price_book or PriceBook())
    return outcomes


def _foreign_key_error(index, record):
    return Outcome(
        index,
        record.generation_id,
        REJECTED,
        [{"field": "apiKeyId", "message": "belongs to another account"}],
    )


def _store(parsed, outcomes, price_book):
    # Keys already owned by another account are rejected before anything is written, so a
    # rejected record creates no account either. (The check after creating keys below
    # catches the rare race of two first sightings at once.)
    owners = dict(
        ApiKey.objects.filter(external_id__in={r.api_key_id for _, r in parsed}).values_list(
            "external_id", "account__external_id"
        )
    )
    valid = []
    for index, record in parsed:
        if owners.get(record.api_key_id, record.account_id) != record.account_id:
            outcomes[index] = _foreign_key_error(index, record)
        else:
            valid.append((index, record))
    parsed = valid
    if not parsed:
        return
    accounts = _ensure_accounts({r.account_id for _, r in parsed})
    keys = _ensure_api_keys({(r.api_key_id, r.account_id) for _, r in parsed}, accounts)

    first_seen = {}
    rows = []
    for index, record in parsed:
        key = keys[record.api_key_id]
        if key.account_id != accounts[record.account_id].pk:
            outcomes[index] = _foreign_key_error(index, record)
            continue
        if record.generation_id in first_seen:
            # Repeated inside one batch: the first occurrence wins, as across batches.
            first = first_seen[record.generation_id][1]
            outcomes[index] = Outcome(
                index,
                record.generation_id,
                DUPLICATE,
                content_differs=first.content_hash != record.content_hash,
            )
            continue
        first_seen[record.generation_id] = (index, record)
        rows.append((index, record, _generation(record, accounts, key, price_book)))

    # A fixed order keeps two concurrent batches from deadlocking on each other's rows.
    rows.sort(key=lambda row: row[1].generation_id)
    created_ids = _insert_generations([g for _, _, g in rows])
    stages, ratings, details = [], [], []
    duplicates, created = [], []
    for index, record, generation in rows:
        pk = created_ids.get(record.generation_id)
        if pk is None:
            duplicates.append((index, record))
            continue
        generation.pk = pk
        created.append(generation)
        outcomes[index] = Outcome(index, record.generation_id, CREATED)
        stages.extend(_stage_rows(pk, record))
        pending = getattr(generation, "_pending_rating", None)
        if pending is not None:
            rating, rating_details = pending
            ratings.append((pk, *rating))
            details.extend((pk, *detail) for detail in rating_details)
    if duplicates:
        stored = dict(
            Generation.objects.filter(
                generation_id__in=[r.generation_id for _, r in duplicates]
            ).values_list("generation_id", "content_hash")
        )
        for index, record in duplicates:
            differs = stored.get(record.generation_id) != record.content_hash
            outcomes[index] = Outcome(
                index, record.generation_id, DUPLICATE, content_differs=differs
            )
    insert_rows(StagePayload, STAGE_FIELDS, stages)
    insert_rows(Rating, RATING_FIELDS, ratings)
    insert_rows(RatingDetail, DETAIL_FIELDS, details)
    settle(created)
    add_to_rollups(created)
    add_facets(created)


STAGE_FIELDS = ("generation", "stage", "headers", "body", "body_format", "size_bytes", "truncated")
RATING_FIELDS = (
    "generation",
    "price_version",
    "service_code",
    "origin_amount",
    "discount_amount",
    "bill_amount",
    "rated_by_us",
    "extra",
)
DETAIL_FIELDS = (
    "rating",
    "position",
    "fee_item_code",
    "rate",
    "origin_amount",
    "discount_amount",
    "bill_amount",
    "extra",
)


def _ensure_accounts(external_ids):
    ordered = sorted(external_ids)
    Account.objects.bulk_create(
        [Account(external_id=x, name=x) for x in ordered], ignore_conflicts=True
    )
    return {a.external_id: a for a in Account.objects.filter(external_id__in=ordered)}


def _ensure_api_keys(pairs, accounts):
    ordered = sorted(pairs)
    ApiKey.objects.bulk_create(
        [ApiKey(external_id=k, account=accounts[a]) for k, a in ordered], ignore_conflicts=True
    )
    return {
        k.external_id: k for k in ApiKey.objects.filter(external_id__in=[k for k, _ in ordered])
    }


def _generation(record, accounts, key, price_book):
    fields = dict(record.fields)
    fields["native_tokens"] = redact_value(fields.get("native_tokens"))
    fields["extra_metadata"] = redact_value(fields.get("extra_metadata") or {})
    generation = Generation(
        generation_id=record.generation_id,
        account=accounts[record.account_id],
        api_key=key,
        content_hash=record.content_hash,
        **fields,
    )
    generation.compute_token_totals()
    # A record that reports its own nonpaymentAmount was settled by the gateway.
    generation.gateway_settled = "nonpayment_amount" in record.fields
    _rate(generation, record, price_book)
    return generation


def _rate(generation, record, price_book):
    """The gateway's figures win wherever it sent them; a record without ratingResponses is
    rated on arrival; a model without a price keeps an unknown (NULL) cost.
    Leaves the rating as row tuples (RATING_FIELDS and DETAIL_FIELDS without the key) on
    generation._pending_rating."""
    if record.rating is not None:
        r = record.rating
        origin, discount, bill = r["origin_amount"], r["discount_amount"], r["bill_amount"]
        rating = (r["price_version"], r["service_code"], origin, discount, bill, False, r["extra"])
        details = [
            (
                d["position"],
                d["fee_item_code"],
                d["rate"],
                d["origin_amount"],
                d["discount_amount"],
                d["bill_amount"],
                d["extra"],
            )
            for d in r["details"]
        ]
    else:
        result = price_book.rate(
            generation.model_slug, generation.fee_tokens(), at=generation.created_at
        )
        if result is None:
            rating = None
        else:
            origin, discount, bill = (
                result.origin_amount,
                result.discount_amount,
                result.bill_amount,
            )
            rating = (result.price_version, result.service_code, origin, discount, bill, True, {})
            details = [
                (
                    i,
                    line.fee_item_code,
                    line.rate,
                    line.origin_amount,
                    line.discount_amount,
                    line.bill_amount,
                    {},
                )
                for i, line in enumerate(result.lines)
            ]
    if rating is not None:
        generation._pending_rating = (rating, details)
        if generation.origin_amount is None:
            generation.origin_amount = origin
        if generation.discount_amount is None:
            generation.discount_amount = discount
        if generation.bill_amount is None:
            generation.bill_amount = bill
    if generation.bill_amount is not None:
        if generation.nonpayment_amount is None:
            generation.nonpayment_amount = Decimal(0)
        if generation.real_amount is None:
            generation.real_amount = generation.bill_amount - generation.nonpayment_amount


def _stage_rows(generation_pk, record):
    limit = settings.INGEST_MAX_STAGE_BYTES
    rows = []
    for stage in record.stages:
        body = stage.body
        if not stage.has_body or body is None:
            text, body_format = "", StagePayload.BodyFormat.NONE
        elif isinstance(body, str):
            # A string body is kept as text: SSE streams, or JSON the gateway sent unparsed.
            text, body_format = redact_text(body), StagePayload.BodyFormat.TEXT
        else:
            text, body_format = dumps(redact_value(body)), StagePayload.BodyFormat.JSON
        encoded = text.encode()
        size = len(encoded)
        truncated = size > limit
        if truncated:
            # Kept, cut at the limit and flagged: never silently dropped.
            text = encoded[:limit].decode(errors="ignore")
        rows.append(
            (
                generation_pk,
                stage.stage,
                redact_headers(stage.headers),
                text,
                body_format,
                size,
                truncated,
            )
        )
    return rows


_INSERT_FIELDS = [f for f in Generation._meta.concrete_fields if not f.primary_key]
_INSERT_NAMES = [f.name for f in _INSERT_FIELDS]
_INSERT_ATTNAMES = [f.attname for f in _INSERT_FIELDS]


def _insert_generations(generations):
    """Inserts the generations, skipping ids already stored (the first write wins).
    Returns {generation_id: pk} for the rows this call created."""
    now = timezone.now()
    rows = []
    for g in generations:
        g.ingested_at = now
        rows.append(tuple(getattr(g, name) for name in _INSERT_ATTNAMES))
    inserted = insert_ignoring_conflicts(
        Generation, _INSERT_NAMES, rows, "generation_id", ("id", "generation_id")
    )
    return {gid: pk for pk, gid in inserted}
