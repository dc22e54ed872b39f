"""Stores validated generation records: the one write path behind the ingest API, the
import command and the demo data.

A batch is one transaction. Records are inserted with ON CONFLICT (generation_id) DO
NOTHING ... RETURNING, so concurrent posts of the same batch yield one row per
generationId without a check-then-insert race, and we know exactly which rows are ours.
"""

import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from django.db import IntegrityError, connection, connections, transaction

from billing.models import Account, Charge, LedgerEntry, Rating, Wallet
from billing.rating import PriceBook
from billing.settlement import settle
from logs.ingest.parse import read_record, record_id
from logs.ingest.redact import redact_json
from logs.ingest.rollups import add_facets, rollup_rows, write_rollups
from logs.models import (
    ApiKey,
    Facet,
    Generation,
    GenerationKey,
    HourlyRollup,
    SearchText,
    StagePayload,
    fee_tokens,
    token_totals,
)
from logs.search import ROW_FIELDS as SEARCH_ROW_FIELDS
from logs.search import search_row
from zenlogs import partitions
from zenlogs.bulk import insert_ignoring_conflicts, insert_rows, next_ids

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


def ingest(records, *, price_book=None, account_id=None, charge=True, replay=False):
    """Validates and stores records: raw JSON bytes (one record each, as the API and the
    import read them) or parsed objects. Returns one Outcome per record, in input order.
    Valid records are stored even when others are rejected; a record is either stored whole
    (generation, stages, rating) or not at all.

    account_id: an account token's account, where every record is stored whatever its
    accountId says. charge=False rates the records (an estimate, marked notCharged in
    ratingResponses) without settling them against the wallets: OTLP traffic is the team's
    own spend with its providers. replay: the records are a history being played back (the
    demo), settled as of their createdAt (billing.settlement.settle)."""
    with collector_paused():
        return _ingest(records, price_book, account_id, charge, replay)


def analyze_ingested_tables():
    """Fresh planner statistics, on PostgreSQL, for every table ingest() writes. A bulk load
    ends before autovacuum looks at them, and until then the planner guesses, badly for a
    filtered list page at 10M rows. Seconds to run, whatever the table size (it samples)."""
    if connection.vendor != "postgresql":
        return
    # Generations and their ratings first and second: each takes longer than all the rest
    # together (a partitioned table is sampled as a whole and then partition by partition).
    written = (Generation, Rating, StagePayload, SearchText, Charge, LedgerEntry, HourlyRollup)
    # The small ones too: a table the planner has never measured is sized from its pages.
    written += (Account, ApiKey, Facet, Wallet)
    tables = [connection.ops.quote_name(m._meta.db_table) for m in written]
    if connection.in_atomic_block:
        # Another connection would wait on this transaction's locks (a test's, say).
        _analyze(connection, tables)
        return
    # Two connections, so the two big tables are sampled at once, on two cores the load has
    # just left idle: a little over half the time of one.
    halves = [tables[0::2], tables[1::2]]
    with ThreadPoolExecutor(len(halves)) as pool:
        list(pool.map(_analyze_apart, halves, [connection.alias] * len(halves)))


def _analyze(conn, tables):
    with conn.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _analyze_apart(tables, alias):
    # A thread's own connection, closed when done: Django opens one per thread.
    try:
        _analyze(connections[alias], tables)
    finally:
        connections[alias].close()


_pause_lock = threading.Lock()
_pausers = 0
_was_enabled = True


@contextmanager
def collector_paused():
    """Python's cycle collector off while a batch is ingested. A batch allocates hundreds of
    thousands of objects, none of them in cycles, and the collector kept rescanning them:
    a share of ingestion time (bench/README.md). Counted, so concurrent threads leave it off
    until the last one finishes; what refcounting cannot free waits for the next pass."""
    global _pausers, _was_enabled
    with _pause_lock:
        _pausers += 1
        if _pausers == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()


def _ingest(records, price_book, account_id, charge, replay=False):
    outcomes = [None] * len(records)
    parsed = []
    for index, item in enumerate(records):
        record, errors = read_record(item)
        if errors:
            outcomes[index] = Outcome(index, record_id(item), REJECTED, errors)
        else:
            if account_id is not None:
                record.account_id = account_id
            parsed.append((index, record))
    if parsed:
        price_book = price_book or PriceBook()
        days = {partitions.day_of(record.fields["created_at"]) for _, record in parsed}
        # Before the batch's transaction: a partition made here is committed and visible
        # to every writer at once, and making one never waits on a batch in flight.
        partitions.ensure(days)
        try:
            with transaction.atomic():
                _store(parsed, outcomes, price_book, charge, replay)
        except (IntegrityError, psycopg.errors.CheckViolation) as error:
            # "no partition of relation ... found for row": a prune dropped a day this
            # process thought it had (a late record for a pruned day). Make it; once.
            if "no partition" not in str(error):
                raise
            partitions.forget()
            partitions.ensure(days)
            with transaction.atomic():
                _store(parsed, outcomes, price_book, charge, replay)
    return outcomes


def _foreign_key_error(index, record):
    return Outcome(
        index,
        record.generation_id,
        REJECTED,
        [{"field": "apiKeyId", "message": "belongs to another account"}],
    )


def _store(parsed, outcomes, price_book, charge=True, replay=False):
    # Keys already owned by another account are rejected before anything is written, so a
    # rejected record creates no account either. (The check after creating keys below
    # catches the rare race of two first sightings at once.)
    known = {
        k.external_id: k
        for k in ApiKey.objects.filter(
            external_id__in={r.api_key_id for _, r in parsed}
        ).select_related("account")
    }
    owners = {external_id: k.account.external_id for external_id, k in known.items()}
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
    keys = _ensure_api_keys({(r.api_key_id, r.account_id) for _, r in parsed}, accounts, known)

    first_seen = {}
    rows = []
    for index, record in parsed:
        key = keys[record.api_key_id]
        account = accounts[record.account_id]
        if key.account_id != account.pk:
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
        rows.append((index, record, _generation(record, account, key, price_book, charge)))

    # A fixed order keeps two concurrent batches from deadlocking on each other's rows.
    rows.sort(key=lambda row: row[1].generation_id)
    created_ids = _insert_generations([g for _, _, g in rows])
    stages, ratings, search_rows = [], [], []
    duplicates, created = [], []
    for index, record, generation in rows:
        pk = created_ids.get(record.generation_id)
        if pk is None:
            duplicates.append((index, record))
            continue
        generation.pk = pk
        created.append(generation)
        outcomes[index] = Outcome(index, record.generation_id, CREATED)
        account_id, created_at = generation.account_id, generation.created_at
        stages.extend(stage_row(pk, s, account_id, created_at) for s in record.stages)
        if generation.pending_rating is not None:
            ratings.append((pk, *generation.pending_rating, account_id, created_at))
        if record.stages:
            searchable = search_row(
                pk,
                account_id,
                created_at,
                {s.stage: (s.text, s.body_format, s.truncated) for s in record.stages},
            )
            if searchable is not None:
                search_rows.append(searchable)
    if duplicates:
        # From the registry: it answers even for a copy stored under another createdAt,
        # or one whose log retention has since pruned.
        stored = dict(
            GenerationKey.objects.filter(
                generation_id__in=[r.generation_id for _, r in duplicates]
            ).values_list("generation_id", "content_hash")
        )
        for index, record in duplicates:
            differs = stored.get(record.generation_id) != record.content_hash
            outcomes[index] = Outcome(
                index, record.generation_id, DUPLICATE, content_differs=differs
            )
    insert_rows(StagePayload, STAGE_FIELDS, stages)
    # The search text, read from the stages by the details page's parsers, in the same
    # transaction: a generation is searchable as soon as it is stored.
    insert_rows(SearchText, SEARCH_ROW_FIELDS, search_rows)
    insert_rows(Rating, RATING_FIELDS, ratings)
    rollups = rollup_rows(created)
    # Last, and in this order: the wallet rows (settlement) and the current hour's rollup
    # rows are the only rows concurrent batches of one account contend for, and their
    # locks are held until commit. Taking them at the end keeps that serialised stretch
    # short, so two batches of one account still mostly run side by side. A facet's row is
    # locked only on the day's first sight of it, so it goes with them.
    add_facets(created)
    if charge:
        settle(created, replay=replay)
    write_rollups(rollups)


def stage_row(pk, stage, account_id, created_at):
    """One StagePayload row for insert_rows, in STAGE_FIELDS' order (the write path and
    logs.ingest.attach both write stages; one place keeps the order)."""
    return (
        pk,
        stage.stage,
        stage.headers,
        stage.text,
        stage.body_format,
        stage.size_bytes,
        stage.truncated,
        account_id,
        created_at,
    )


STAGE_FIELDS = (
    "generation",
    "stage",
    "headers",
    "body",
    "body_format",
    "size_bytes",
    "truncated",
    "account",
    "created_at",
)
RATING_FIELDS = (
    "generation",
    "price_version",
    "service_code",
    "origin_amount",
    "discount_amount",
    "bill_amount",
    "rated_by_us",
    "extra",
    "details",
    "account",
    "created_at",
)


def _ensure_accounts(external_ids):
    # Read first, create only what is missing: nearly every batch names accounts and keys
    # seen before, and each statement skipped is a round trip of every batch (the
    # per-batch share of an OTLP export's cost, bench/README.md).
    ordered = sorted(external_ids)
    found = {a.external_id: a for a in Account.objects.filter(external_id__in=ordered)}
    missing = [x for x in ordered if x not in found]
    if missing:
        Account.objects.bulk_create(
            [Account(external_id=x, name=x) for x in missing], ignore_conflicts=True
        )
        found.update((a.external_id, a) for a in Account.objects.filter(external_id__in=missing))
    return found


def _ensure_api_keys(pairs, accounts, known):
    """The batch's keys by external id: `known` (read by the caller, before any account was
    made) and those created now."""
    ordered = sorted(pairs)
    found = dict(known)
    missing = [(k, a) for k, a in ordered if k not in found]
    if missing:
        ApiKey.objects.bulk_create(
            [ApiKey(external_id=k, account=accounts[a]) for k, a in missing],
            ignore_conflicts=True,
        )
        created = ApiKey.objects.filter(external_id__in=[k for k, _ in missing])
        found.update((k.external_id, k) for k in created)
    return found


_INSERT_FIELDS = [f for f in Generation._meta.concrete_fields if not f.primary_key]
_INSERT_NAMES = [f.name for f in _INSERT_FIELDS]
_INSERT_ATTNAMES = [f.attname for f in _INSERT_FIELDS]
_DEFAULTS = {f.attname: f.get_default() for f in _INSERT_FIELDS}


class NewGeneration:
    """A generation on its way in, readable as attributes the way settlement and the rollups
    read a Generation. Building a Generation instance per record cost more than parsing the
    record. Its column values by attname are its __dict__, so reading one is a plain
    attribute lookup: a __getattr__ into a separate dict ran ~40 times a record, a share of
    a load's Python time. The few attributes that are not columns live beside them."""

    def __init__(self, values, account, api_key):
        self.__dict__ = values
        self.pk = None
        self.account = account
        self.api_key = api_key
        self.gateway_settled = False
        self.pending_rating = None

    def fee_tokens(self):
        values = self.__dict__
        return fee_tokens(values.__getitem__, values["other_fee_tokens"])

    def row(self):
        values = self.__dict__
        return tuple([values[name] for name in _INSERT_ATTNAMES])


def _generation(record, account, key, price_book, charge=True):
    values = {**_DEFAULTS, **record.fields}
    values["native_tokens"] = redact_json(values["native_tokens"])
    values["extra_metadata"] = redact_json(values["extra_metadata"]) or None
    values["generation_id"] = record.generation_id
    values["account_id"] = account.pk
    values["api_key_id"] = key.pk
    values["content_hash"] = record.content_hash
    values["input_tokens"], values["output_tokens"] = token_totals(values.__getitem__)
    generation = NewGeneration(values, account, key)
    # A record that reports its own nonpaymentAmount was settled by the gateway.
    generation.gateway_settled = "nonpayment_amount" in record.fields
    _rate(generation, record, price_book, charge)
    return generation


def _detail(code, rate, origin, discount, bill, extra=None):
    """One stored line of Rating.details."""
    line = {
        "fee_item_code": code,
        "rate": rate,
        "origin_amount": origin,
        "discount_amount": discount,
        "bill_amount": bill,
    }
    if extra:
        line["extra"] = extra
    return line


# ratingResponses' mark on an estimate that no wallet was drawn for (ingest(charge=False)).
NOT_CHARGED = {"notCharged": True}


def _rate(generation, record, price_book, charge=True):
    """The gateway's figures win wherever it sent them; a record without ratingResponses is
    rated on arrival; a model without a price keeps an unknown (NULL) cost.
    Leaves the rating as a row tuple (RATING_FIELDS without the key) on
    generation.pending_rating."""
    if record.rating is not None:
        r = record.rating
        origin, discount, bill = r["origin_amount"], r["discount_amount"], r["bill_amount"]
        rating = (r["price_version"], r["service_code"], origin, discount, bill, False, r["extra"])
        details = [
            _detail(
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
            extra = {} if charge else dict(NOT_CHARGED)
            rating = (
                result.price_version,
                result.service_code,
                origin,
                discount,
                bill,
                True,
                extra,
            )
            details = [
                _detail(
                    line.fee_item_code,
                    line.rate,
                    line.origin_amount,
                    line.discount_amount,
                    line.bill_amount,
                )
                for line in result.lines
            ]
    if rating is not None:
        generation.pending_rating = (*rating, details)
        if generation.origin_amount is None:
            generation.origin_amount = origin
        if generation.discount_amount is None:
            generation.discount_amount = discount
        if generation.bill_amount is None:
            generation.bill_amount = bill
    if generation.bill_amount is not None and charge:
        # Not charged: nothing was collected or left unpaid, so both stay absent.
        if generation.nonpayment_amount is None:
            generation.nonpayment_amount = Decimal(0)
        if generation.real_amount is None:
            generation.real_amount = generation.bill_amount - generation.nonpayment_amount


KEY_FIELDS = ("generation_id", "stored_id", "account", "created_at", "content_hash")


def _insert_generations(generations):
    """Stores the generations whose ids are new (the first write wins). Returns
    {generation_id: pk} for the rows this call created.

    Each id is first claimed in the GenerationKey registry, whose primary key is the one
    place the database can hold generation_id unique across every partition; ids drawn
    beforehand tie the claim to the row. A concurrent batch with the same ids waits on our
    uncommitted claims and then skips them, so 8 clients posting one batch store it once."""
    ids = next_ids(Generation, len(generations))
    claimed = {
        gid
        for (gid,) in insert_ignoring_conflicts(
            GenerationKey,
            KEY_FIELDS,
            [
                (g.generation_id, pk, g.account_id, g.created_at, g.content_hash)
                for g, pk in zip(generations, ids, strict=True)
            ],
            "generation_id",
            ("generation_id",),
        )
    }
    created = {}
    rows = []
    for generation, pk in zip(generations, ids, strict=True):
        if generation.generation_id in claimed:
            created[generation.generation_id] = pk
            rows.append((pk, *generation.row()))
    insert_rows(Generation, ["id", *_INSERT_NAMES], rows)
    return created
