import hashlib
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import FEE_ITEMS, INPUT_FEE_ITEMS, MONEY, OUTPUT_FEE_ITEMS, Account, Rating
from zenlogs.jsonutil import DecimalJSONDecoder, DecimalJSONEncoder
from zenlogs.keyset import KeysetQuerySet


class ApiKey(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "external_id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.external_id})" if self.name else self.external_id


class GenerationQuerySet(KeysetQuerySet):
    _with_rating = False

    def with_rating(self):
        """Each generation comes with its rating (or None), read by a second query that names
        the rows' accounts and time span. select_related would join on the generation's id
        alone, which on PostgreSQL finds a rating by probing every partition of ratings;
        this reads only the partitions of the rows' days, by their primary key."""
        clone = self._chain()
        clone._with_rating = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._with_rating = self._with_rating
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._with_rating and self._iterable_class is models.query.ModelIterable:
            attach_ratings(self._result_cache)

    def for_account(self, account):
        return self.filter(account=account)

    def for_user(self, user):
        return self.filter(account__in=Account.objects.for_user(user))

    def since(self, when):
        return self.filter(created_at__gte=when)

    def until(self, when):
        return self.filter(created_at__lt=when)

    def public_id(self, generation_id, accounts=None):
        """The generation a gateway calls generation_id, through the GenerationKey registry
        (generations have no index of their own on generation_id, see GenerationKey). The
        key is read here, one primary-key lookup, so the query that follows names its id and
        created_at as constants and PostgreSQL prunes to one daily partition while planning:
        as subqueries it pruned only when the query ran, after planning every partition
        (planning time that grows with each day kept).

        `accounts` (the ones the caller may see; None for every account) scopes the key
        itself, so another account's id is not found here, exactly like an unknown one: the
        same single query, never a second one that would tell by its time that the id exists
        elsewhere."""
        if "\x00" in generation_id:
            # No stored id holds a NUL (ingestion's ID_RE), and PostgreSQL refuses one in a
            # text parameter: a DataError, which was a 500 on the details page and a 503 on
            # the API.
            return self.none()
        key = GenerationKey.objects.filter(generation_id=generation_id)
        if accounts is not None:
            key = key.filter(account__in=accounts)
        found = list(key.values_list("stored_id", "created_at")[:1])
        if not found:
            return self.none()
        stored_id, created_at = found[0]
        return self.filter(id=stored_id, created_at=created_at)

    def public_id_for(self, user, generation_id):
        """The user's generation a gateway calls generation_id: another account's id is not
        found, with the same work as an unknown one (public_id)."""
        accounts = Account.objects.for_user(user)
        return self.for_user(user).public_id(generation_id, accounts=accounts)

    def public_ids(self, generation_ids):
        keys = GenerationKey.objects.filter(generation_id__in=list(generation_ids))
        return self.filter(id__in=models.Subquery(keys.values("stored_id")))

    def for_list(self):
        """The columns a list row needs; the raw usage object and extras stay on disk.
        No join to the API key, which a row does not show: without statistics PostgreSQL
        hashed the whole window against that seven-row table and sorted it for one page,
        instead of reading the page's rows off the index."""
        return self.defer("native_tokens", "extra_metadata")


class Generation(models.Model):
    # Unique through Meta.constraints, not unique=True: on PostgreSQL that would add a second,
    # LIKE-pattern index nobody queries, paid for on every insert.
    generation_id = models.CharField(max_length=64)
    # No index of its own: gen_account_time (account, created_at, id) serves every lookup by
    # account, deletes included. No database foreign keys on a generation's account and key:
    # ingestion creates both first in the same transaction, and PostgreSQL's per-row checks
    # were a large share of its time per record (see billing.models.Rating.generation).
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="generations",
        db_index=False,
        db_constraint=False,
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="generations", db_constraint=False
    )
    model_name = models.CharField(max_length=200, blank=True)
    model_slug = models.CharField(max_length=200)
    provider_slug = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    generation_time_ms = models.PositiveIntegerField(null=True, blank=True)
    first_token_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    moderation_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    streamed = models.BooleanField(null=True, blank=True)
    cancelled = models.BooleanField(null=True, blank=True)
    throughput = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    finish_reason = models.CharField(max_length=64, blank=True)
    native_finish_reason = models.CharField(max_length=64, blank=True)
    request_retry_times = models.PositiveIntegerField(null=True, blank=True)
    final_retry = models.BooleanField(null=True, blank=True)

    # nativeFeeTokens, one column per known fee item. NULL means the gateway did not send the
    # key (so the raw metadata round-trips exactly); 0 means it sent 0.
    prompt = models.BigIntegerField(null=True, blank=True)
    completion = models.BigIntegerField(null=True, blank=True)
    input_cache_read = models.BigIntegerField(null=True, blank=True)
    input_cache_write = models.BigIntegerField(null=True, blank=True)
    input_cache_write_5_min = models.BigIntegerField(null=True, blank=True)
    input_cache_write_1_h = models.BigIntegerField(null=True, blank=True)

    # The list's excerpt of a search's match, set on the rows of a search (logs.search). A
    # class default: a row without one must not send the template's failed lookup through
    # dir() of the instance, 0.02 ms a row of a live poll's 50.
    search_excerpt = None
    internal_reasoning = models.BigIntegerField(null=True, blank=True)
    audio = models.BigIntegerField(null=True, blank=True)
    web_search = models.BigIntegerField(null=True, blank=True)
    image = models.BigIntegerField(null=True, blank=True)
    # NULL rather than {} when there are none (nearly always): a NULL costs a bit in the row's
    # null bitmap, '{}' five bytes and alignment. Readers take None as {}.
    other_fee_tokens = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, null=True, blank=True
    )
    # Derived from the columns above at write time: the list sums and shows them on every
    # row, and adding five nullable columns per row at 10M rows is not free.
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)

    native_tokens = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, null=True, blank=True
    )

    # Top-level amounts. NULL origin_amount means the cost is unknown (no price for the model).
    origin_amount = models.DecimalField(**MONEY, null=True, blank=True)
    bill_amount = models.DecimalField(**MONEY, null=True, blank=True)
    discount_amount = models.DecimalField(**MONEY, null=True, blank=True)
    real_amount = models.DecimalField(**MONEY, null=True, blank=True)
    nonpayment_amount = models.DecimalField(**MONEY, null=True, blank=True)

    # Metadata keys we do not model, kept verbatim and merged back into the raw metadata;
    # NULL when there are none, like other_fee_tokens.
    extra_metadata = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, null=True, blank=True
    )
    # sha256 of the canonical record, so a re-sent generationId can say whether it differed.
    content_hash = models.CharField(max_length=64, blank=True)
    # No ingested_at: nothing read it, and it was 8 bytes a row (logs 0007).

    objects = GenerationQuerySet.as_manager()

    class Meta:
        # One index per list filter, each led by the account and ending in the list order,
        # so "newest 50 for this account and model" is an index range scan, never a sort.
        # generation_id is unique through GenerationKey: on PostgreSQL this table is
        # partitioned by created_at, and a partitioned table's unique index must include it.
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="gen_account_time"),
            models.Index(
                fields=["account", "model_slug", "-created_at", "-id"], name="gen_account_model"
            ),
            models.Index(
                fields=["account", "provider_slug", "-created_at", "-id"],
                name="gen_account_provider",
            ),
            models.Index(
                fields=["account", "api_key", "-created_at", "-id"], name="gen_account_key"
            ),
            models.Index(
                fields=["account", "finish_reason", "-created_at", "-id"],
                name="gen_account_finish",
            ),
            # sort=-cost / cost and the cost bounds (logs 0008); the NULLs (unknown costs)
            # sit at one end, read as a segment of their own (zenlogs.keyset.Order).
            models.Index(fields=["account", "-bill_amount", "-id"], name="gen_account_cost"),
        ]

    def __str__(self):
        return self.generation_id

    @property
    def cost_known(self):
        return self.origin_amount is not None

    @property
    def via_opentelemetry(self):
        """Sent over OTLP (logs.otlp), which keeps the span as received under otelSpan."""
        return "otelSpan" in (self.extra_metadata or {})

    def fee_tokens(self):
        return fee_tokens(self.__getattribute__, self.other_fee_tokens)

    def compute_token_totals(self):
        self.input_tokens, self.output_tokens = token_totals(self.__getattribute__)


class GenerationKey(models.Model):
    """The registry of generation ids: one row per generation ever stored, never partitioned,
    so the database itself keeps generation_id unique across every partition of
    generations. Ingestion claims ids here first (INSERT ... ON CONFLICT DO NOTHING), and a
    record re-sent with another createdAt still meets its first copy here.

    It outlives retention, like charges and ledger lines: a record sent again after its log
    was pruned is still a duplicate, never stored and billed twice. About 60 bytes a
    generation. In a distributed (Citus) layout it is the one growing table distributed by
    generation_id rather than account_id; it is only read by key (docs/scaling.md)."""

    generation_id = models.CharField(max_length=64, primary_key=True)
    # The stored generation's primary key, account and created_at, which find it in one
    # partition. Plain values, not foreign keys: the generation may have been pruned.
    stored_id = models.BigIntegerField()
    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    created_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return self.generation_id


def _rows_by_generation(rows_of, generations):
    """{generation id: [rows]} of a table kept beside generations (ratings, stages), from one
    query of `rows_of` (a manager or queryset, ordered as the rows are wanted) per account
    that names the rows' time span, so PostgreSQL reads only those days' partitions:
    select_related and prefetch_related would look each id up in every partition."""
    by_account = {}
    for generation in generations:
        by_account.setdefault(generation.account_id, []).append(generation)
    found = {}
    for account_id, group in by_account.items():
        times = [g.created_at for g in group]
        for row in rows_of.filter(
            account_id=account_id,
            created_at__gte=min(times),
            created_at__lte=max(times),
            generation_id__in=[g.pk for g in group],
        ):
            found.setdefault(row.generation_id, []).append(row)
    return found


def attach_ratings(generations):
    """Sets each generation's rating (None when it has none) from one query per account."""
    found = _rows_by_generation(Rating.objects, generations)
    for generation in generations:
        rating = found.get(generation.pk, (None,))[0]
        Generation.rating.related.set_cached_value(generation, rating)
        if rating is not None:
            Rating.generation.field.set_cached_value(rating, generation)
    return generations


def attach_stages(generations):
    """Fills each generation's stages (as prefetch_related would) from one query per
    account."""
    found = _rows_by_generation(StagePayload.objects.order_by("stage"), generations)
    for generation in generations:
        stages = found.get(generation.pk, [])
        for stage in stages:
            StagePayload.generation.field.set_cached_value(stage, generation)
        generation._prefetched_objects_cache = {
            **getattr(generation, "_prefetched_objects_cache", {}),
            "stages": stages,
        }
    return generations


def fee_tokens(count_of, other):
    """nativeFeeTokens as sent: known items that were present, then unknown ones.
    `count_of(item)` is a fee item's column value (None when absent)."""
    tokens = {}
    for item in FEE_ITEMS:
        count = count_of(item)
        if count is not None:
            tokens[item] = count
    tokens.update(other or {})
    return tokens


def token_totals(count_of):
    """(Input Tokens, Output Tokens) from the fee item columns, as the README defines them."""
    return (
        sum(count_of(item) or 0 for item in INPUT_FEE_ITEMS),
        sum(count_of(item) or 0 for item in OUTPUT_FEE_ITEMS),
    )


# A generation that failed: the gateway's "error" finish reason, or a request that was
# cancelled (the cancelled flag, or "cancelled" as the finish reason, which gateways send
# instead of the flag). The list's finish badges mark these two apart from the rest
# (templatetags.console), the rollups count them (HourlyRollup.errors) and the volume
# histogram stacks them on the succeeded ones. One definition, in Python and in SQL.
FAILED_FINISH_REASONS = ("error", "cancelled")
FAILED = models.Q(cancelled=True) | models.Q(finish_reason__in=FAILED_FINISH_REASONS)


def is_failed(cancelled, finish_reason):
    return bool(cancelled) or finish_reason in FAILED_FINISH_REASONS


class Stage(models.TextChoices):
    USER_REQUEST = "user_request", "User -> ZenMux"
    ORIGIN_REQUEST = "origin_request", "ZenMux -> Origin"
    ORIGIN_RESPONSE = "origin_response", "Origin -> ZenMux"
    USER_RESPONSE = "user_response", "ZenMux -> User"


# The details page's two panels and the stages each can show, the user's own hop first: the
# page shows that one by default, and search indexes the same text the page shows.
SECTIONS = {
    "request": (_("Request"), "request_stage", [Stage.USER_REQUEST, Stage.ORIGIN_REQUEST]),
    "response": (_("Response"), "response_stage", [Stage.USER_RESPONSE, Stage.ORIGIN_RESPONSE]),
}


class StagePayloadQuerySet(models.QuerySet):
    def of(self, generation):
        """The generation's stages. Its account and created_at lead PostgreSQL to the one
        partition of its day, and the primary key there (Django would look the id up in
        every partition)."""
        return self.filter(
            generation=generation,
            account_id=generation.account_id,
            created_at=generation.created_at,
        )


class StagePayload(models.Model):
    """One hop's headers and body, in its own table so list queries never read payloads."""

    class BodyFormat(models.TextChoices):
        JSON = "json", "JSON"
        TEXT = "text", "Text"
        NONE = "none", "None"

    # unique_stage leads with the generation, so it needs no index of its own; and no
    # database foreign key, for the reason given at billing.models.Rating.generation.
    generation = models.ForeignKey(
        Generation,
        on_delete=models.CASCADE,
        related_name="stages",
        db_index=False,
        db_constraint=False,
    )
    # The generation's account and created_at, copied: on PostgreSQL stages are partitioned
    # by created_at like their generation, and a read names both so it touches one
    # partition (and, distributed by account, one node).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    created_at = models.DateTimeField()
    stage = models.CharField(max_length=20, choices=Stage.choices)
    headers = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, default=dict, blank=True
    )
    # JSON bodies are kept as their serialized text: they are only ever shown or downloaded,
    # never queried into, and text is cheaper to write than jsonb.
    body = models.TextField(blank=True)
    body_format = models.CharField(max_length=4, choices=BodyFormat.choices)
    size_bytes = models.BigIntegerField(default=0)
    truncated = models.BooleanField(default=False)

    objects = StagePayloadQuerySet.as_manager()

    class Meta:
        # With account and the partition key in it, so that on PostgreSQL it is the
        # partitioned table's primary key (zenlogs.partitions).
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "stage", "account", "created_at"], name="unique_stage"
            )
        ]

    def __str__(self):
        return f"{self.generation_id} {self.stage}"

    def save(self, *args, **kwargs):
        # Rows written one by one (admin, shell) copy the generation's keys; ingestion
        # writes them itself.
        if self.created_at is None:
            self.account_id = self.generation.account_id
            self.created_at = self.generation.created_at
        super().save(*args, **kwargs)


def _hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def matching(self, raw):
        if not raw:
            return self.none()
        return self.filter(token_hash=_hash_token(raw), revoked=False)


class _Token(models.Model):
    """Tokens are 256-bit random strings, so a plain sha256 is a safe hash to store:
    there is nothing to brute-force that a slow KDF would protect."""

    prefix = ""
    name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=24, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    objects = TokenQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.name or 'token'} ({self.hint}…)"

    @classmethod
    def issue(cls, **fields):
        raw = cls.prefix + secrets.token_urlsafe(32)
        token = cls.objects.create(token_hash=_hash_token(raw), hint=raw[:12], **fields)
        return token, raw


class IngestToken(_Token):
    """What a gateway presents to POST generations. A gateway-wide token (no account) posts
    records for whichever accounts they name; an account's token (create_ingest_token
    --account) stores whatever it sends in its account, whatever the data claims, and is
    the only kind the OTLP receiver (logs.otlp) takes."""

    prefix = "zl_ingest_"
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="ingest_tokens"
    )
    # Who issued it on /settings/tokens/ (nobody for create_ingest_token).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class ApiToken(_Token):
    """A console user's personal read token for the API."""

    prefix = "zl_pat_"
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )


class BadTokenMinuteQuerySet(models.QuerySet):
    def count_failure(self, address, now=None):
        """One more missing, invalid or revoked token from this address this minute."""
        minute = _minute(now or timezone.now())
        current = self.filter(address=address or "", minute=minute)
        if current.update(failures=F("failures") + 1):
            return
        # The address's first failure this minute is the moment to drop finished minutes: one
        # DELETE per address per minute keeps the table at the current minute's rows.
        self.filter(minute__lt=minute).delete()
        try:
            with transaction.atomic():
                self.create(address=address or "", minute=minute, failures=1)
        except IntegrityError:
            # Another worker inserted the row between our UPDATE and INSERT.
            current.update(failures=F("failures") + 1)

    def retry_after(self, address, now=None):
        """Seconds until this address may present a token again; 0 when it may now."""
        now = now or timezone.now()
        minute = _minute(now)
        failures = (
            self.filter(address=address or "", minute=minute)
            .values_list("failures", flat=True)
            .first()
        )
        if failures is None or failures < settings.API_BAD_TOKEN_LIMIT:
            return 0
        return max(1, math.ceil((minute + timedelta(minutes=1) - now).total_seconds()))


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


class BadTokenMinute(models.Model):
    """Bad bearer tokens from one client address in one clock minute, for the API's limit.

    A table, not the cache: the count must be shared by every gunicorn worker and thread, and
    the only cache we run is per-process memory. Django's database cache would share it but
    increments by read-then-write, losing counts under concurrency; here a failure is one
    atomic UPDATE ... SET failures = failures + 1. A fixed minute (rather than a sliding one)
    keeps it to one row per address, at the price of letting up to twice the limit through
    across a minute's boundary, which is still far too slow to guess a 256-bit token."""

    address = models.CharField(max_length=64, blank=True)
    minute = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)

    objects = BadTokenMinuteQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "minute"], name="unique_bad_token_minute")
        ]

    def __str__(self):
        return f"{self.address or 'unknown'} {self.minute:%Y-%m-%d %H:%M}: {self.failures}"


class Facet(models.Model):
    """The distinct models, providers and finish reasons an account has used, kept at
    ingestion so the filter choices never need a DISTINCT over millions of rows."""

    class Kind(models.TextChoices):
        MODEL = "model", "Model"
        PROVIDER = "provider", "Provider"
        FINISH_REASON = "finish_reason", "Finish reason"

    # unique_facet leads with the account, so it needs no index of its own.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="facets", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    # The latest UTC day of a generation's createdAt with this value (not the day it was
    # ingested: prune's cutoff compares createdAt). Ingestion raises it, at most once a day
    # per facet and process (logs.rollups.add_facets); prune_generations drops the facets
    # last seen before its cutoff's day, whose generations are then all gone, without
    # looking at the generations.
    last_seen = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "value"], name="unique_facet")
        ]
        indexes = [models.Index(fields=["last_seen"], name="facet_last_seen")]

    def __str__(self):
        return f"{self.kind}={self.value}"


class RollupQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)

    def dimension(self, name, values=None):
        qs = self.filter(dimension=name)
        return qs if values is None else qs.filter(value__in=values)


class HourlyRollup(models.Model):
    """Per-hour sums for one account, along one dimension at a time ("all", "model",
    "provider", "api_key", "finish_reason"). Summaries and the usage page read these instead
    of scanning generations; ingestion adds to them in the same transaction as the rows they
    count, so they equal the raw sums. Pruning keeps them: they are the usage record billing
    reads, so hours before the retention horizon have rollups and no generations left."""

    # unique_rollup leads with the account, so it needs no index of its own.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="rollups", db_index=False
    )
    hour = models.DateTimeField()
    dimension = models.CharField(max_length=16)
    value = models.CharField(max_length=200, blank=True)
    requests = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    # Wider than an amount: an hour adds up as many as an account sends in it, and at
    # MONEY's 14 whole digits ten of the largest amounts made PostgreSQL refuse the hour's
    # batch for good (numeric field overflow); 28 take more than 10**15 of them.
    cost = models.DecimalField(max_digits=38, decimal_places=10, default=0)
    latency_sum = models.BigIntegerField(default=0)
    latency_count = models.BigIntegerField(default=0)
    throughput_sum = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    throughput_count = models.BigIntegerField(default=0)
    # Of `requests`, those that failed (FAILED: an error or cancelled). Rows written before
    # the column (logs 0010) were filled from the generations still stored then.
    errors = models.BigIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "dimension", "value", "hour"], name="unique_rollup"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.hour:%Y-%m-%d %H}h {self.dimension}={self.value}"


class SearchText(models.Model):
    """A generation's message text, for the log list's search (`q`): what the details page's
    Pretty mode reads from the request and the response, extracted at ingestion by the same
    parsers (logs.search). No row when a generation captured no message text.

    `folded` is `text` lowercased in Python, character for character, so both databases
    match the same way (a case-sensitive substring of `folded`), whatever their locale, and
    an excerpt can cut `text` at the positions found in `folded`. PostgreSQL indexes it with
    a pg_trgm GIN index; SQLite with an FTS5 trigram table kept in step by triggers (logs
    0009). account and created_at copy the generation's, so every search query names an
    account and a time range, and the row can live in the generation's time partition."""

    generation = models.OneToOneField(
        Generation,
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="search_text",
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField()
    text = models.TextField()
    folded = models.TextField()

    def __str__(self):
        return f"{self.generation_id}: {self.text[:40]}"


class PendingOtelLog(models.Model):
    """The conversation half of an OTLP generation (the `gen_ai.client.inference.operation.
    details` log record, or the legacy per-message events) that arrived before its span.
    The span that comes later takes it into its generation's stages and deletes it; one
    still here after OTLP_PENDING_HOURS is dropped (logs.otlp.pending). Keyed by account and
    generation id, so a re-sent log record is stored once and another account's cannot
    touch it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    generation_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(db_index=True)
    # {"system_instructions": [...], "input_messages": [...], "output_messages": [...]}
    conversation = models.JSONField(encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "generation_id"], name="unique_pending_otel_log"
            )
        ]

    def __str__(self):
        return f"pending log of {self.generation_id}"
