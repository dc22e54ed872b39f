from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from zenlogs.jsonutil import DecimalJSONDecoder, DecimalJSONEncoder
from zenlogs.keyset import KeysetQuerySet

# Money: 10 decimal places leaves room below the micro-dollar for rates; amounts are
# rounded to 6 places by the rating engine (see billing/rating.py).
MONEY = {"max_digits": 24, "decimal_places": 10}

# The fee items a price table can carry. Token items are priced in USD per million tokens;
# count items (web_search, image) in USD per unit.
TOKEN_FEE_ITEMS = (
    "prompt",
    "completion",
    "input_cache_read",
    "input_cache_write",
    "input_cache_write_5_min",
    "input_cache_write_1_h",
    "internal_reasoning",
    "audio",
)
COUNT_FEE_ITEMS = ("web_search", "image")
FEE_ITEMS = TOKEN_FEE_ITEMS + COUNT_FEE_ITEMS
# How a rate is labelled wherever it is shown (the cost popover, the details page).
RATE_UNITS = {
    **dict.fromkeys(TOKEN_FEE_ITEMS, "$/M tokens"),
    "web_search": "$/request",
    "image": "$/image",
}
INPUT_FEE_ITEMS = (
    "prompt",
    "input_cache_read",
    "input_cache_write",
    "input_cache_write_5_min",
    "input_cache_write_1_h",
)
OUTPUT_FEE_ITEMS = ("completion", "internal_reasoning", "audio")


class AccountQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Account(models.Model):
    class Plan(models.TextChoices):
        PAY_AS_YOU_GO = "pay_as_you_go", "Pay as you go"
        SUBSCRIPTION = "subscription", "Subscription"

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.PAY_AS_YOU_GO)
    created_at = models.DateTimeField(auto_now_add=True)
    # A first sign-in through the company's OpenID Connect provider with an email in one of
    # these domains joins the account as a viewer (no invitation needed).
    allowed_email_domains = models.TextField(
        blank=True,
        help_text="Email domains whose people may join as viewers on their first single "
        "sign-on, one per line or comma-separated (example.com).",
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["external_id"]

    def __str__(self):
        return f"{self.name or self.external_id} ({self.external_id})"

    @property
    def is_subscription(self):
        return self.plan == self.Plan.SUBSCRIPTION

    def email_domains(self):
        """allowed_email_domains as a set of lower-case domains."""
        words = self.allowed_email_domains.replace(",", " ").split()
        return {word.strip().lstrip("@").lower() for word in words if word.strip("@")}


class Role(models.TextChoices):
    """What a member may do, each role everything the one before may (billing/team/
    permissions.py holds the rules)."""

    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"

    @property
    def rank(self):
        return ROLE_RANKS[self]


ROLE_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} in {self.account} ({self.role})"

    def at_least(self, role):
        return ROLE_RANKS[Role(self.role)] >= ROLE_RANKS[Role(role)]


class UserProfile(models.Model):
    """Per-user preferences that Django's User has no column for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # The console's language the user chose; blank follows the browser.
    language = models.CharField(max_length=16, blank=True)

    def __str__(self):
        return f"profile of {self.user}"


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        """Neither accepted nor revoked, and not yet expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now or timezone.now(),
        )


class Invitation(models.Model):
    """A single-use link to join an account with a role. Only the token's sha256 is kept:
    the link is shown once and mailed, never stored (billing/team/invitations.py)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="invitation_account")]

    def __str__(self):
        return f"{self.email} to {self.account} as {self.role}"

    @property
    def audit_label(self):
        return self.email

    @property
    def state(self):
        """pending, accepted, revoked or expired: what the link says when opened."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditAction(models.TextChoices):
    SIGNIN_SUCCEEDED = "signin.succeeded", "Sign-in succeeded"
    SIGNIN_FAILED = "signin.failed", "Sign-in failed"
    SIGNIN_LOCKED_OUT = "signin.locked_out", "Sign-in locked out"
    SIGNIN_REFUSED = "signin.refused", "Sign-in refused"
    PASSWORD_CHANGED = "password.changed", "Password changed"
    INVITATION_SENT = "invitation.sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    MEMBER_JOINED = "member.joined", "Member joined"
    ROLE_CHANGED = "member.role_changed", "Role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    TOKEN_CREATED = "token.created", "Token created"
    TOKEN_REVOKED = "token.revoked", "Token revoked"
    EXPORT = "export", "Export"
    STAGE_DOWNLOADED = "stage.downloaded", "Raw stage downloaded"
    PLAN_CHANGED = "plan.changed", "Plan changed"
    CREDIT_ADDED = "credit.added", "Credit added"


class AuditEntryQuerySet(KeysetQuerySet):
    def for_account(self, account):
        return self.filter(account=account)


class AuditEntry(models.Model):
    """One thing someone did, per account: append-only (nothing in the application updates
    or deletes an entry; the admin shows them read-only). Written by billing.team.audit."""

    # Null only for what belongs to no account: a failed sign-in for a username no user has.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The username as it was (or as typed, for a failed sign-in): it outlives the user.
    actor_name = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_ref = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="audit_account_time"),
            models.Index(
                fields=["account", "action", "created_at", "id"], name="audit_account_action"
            ),
            models.Index(
                fields=["account", "actor_name", "created_at", "id"], name="audit_account_actor"
            ),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action}"


class PriceVersionQuerySet(models.QuerySet):
    def in_effect_at(self, when):
        return self.filter(effective_from__lte=when).order_by("-effective_from", "-id")


class PriceVersion(models.Model):
    """A whole price table. Ratings copy the rates they used, so publishing a new version
    never changes an old rating."""

    version = models.CharField(max_length=32, unique=True)
    effective_from = models.DateTimeField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PriceVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self):
        return self.version


class ModelPrice(models.Model):
    price_version = models.ForeignKey(
        PriceVersion, on_delete=models.CASCADE, related_name="model_prices"
    )
    model_slug = models.CharField(max_length=200)
    model_name = models.CharField(max_length=200, blank=True)
    provider_slug = models.CharField(max_length=100)
    service_code = models.CharField(max_length=300, blank=True)
    # Share of each line's origin amount taken off (0.1 = 10% off).
    discount_rate = models.DecimalField(max_digits=7, decimal_places=6, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["price_version", "model_slug"], name="unique_model_price"
            )
        ]
        ordering = ["model_slug"]

    def __str__(self):
        return f"{self.model_slug} @ {self.price_version}"

    def get_service_code(self):
        return self.service_code or (
            f"{self.provider_slug}#{self.provider_slug}/{self.provider_slug}_endpoint"
            f"#{self.model_slug}"
        )


class FeeRate(models.Model):
    model_price = models.ForeignKey(ModelPrice, on_delete=models.CASCADE, related_name="rates")
    fee_item_code = models.CharField(max_length=40, choices=[(f, f) for f in FEE_ITEMS])
    # USD per million tokens for token items, USD per unit for count items.
    rate = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_price", "fee_item_code"], name="unique_fee")
        ]
        ordering = ["fee_item_code"]

    def __str__(self):
        return f"{self.fee_item_code}: {self.rate}"


class Rating(models.Model):
    """The ratingResponses object of a generation: as the gateway sent it, or as our rating
    engine produced it on arrival."""

    # No database foreign keys on the rows ingestion writes per generation (the generation
    # itself, its stages, rating, charge and ledger entry): they are written together in
    # one transaction by one code path, after the account, key and wallets they point to,
    # and PostgreSQL checks each key with a query per row at commit. Those checks took a
    # large share of PostgreSQL's time per record, and again for the keys left after the
    # first went (bench/README.md). Deletes still cascade and PROTECT still holds, through Django.
    generation = models.OneToOneField(
        "logs.Generation",
        on_delete=models.CASCADE,
        related_name="rating",
        primary_key=True,
        db_constraint=False,
    )
    # The generation's account and created_at, copied, as on logs.StagePayload: ratings are
    # partitioned like generations on PostgreSQL, and reads name both.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    created_at = models.DateTimeField()
    price_version = models.CharField(max_length=32, blank=True)
    service_code = models.CharField(max_length=300, blank=True)
    origin_amount = models.DecimalField(**MONEY)
    discount_amount = models.DecimalField(**MONEY)
    bill_amount = models.DecimalField(**MONEY)
    rated_by_us = models.BooleanField(default=False)
    # ratingDetails, in order: one {"fee_item_code", "rate", "origin_amount",
    # "discount_amount", "bill_amount"} object per fee item (plus "extra", the keys we do not
    # model, when there are any), amounts as exact Decimals. A column rather than a table:
    # the lines are only ever read with their rating, and a row per line was three more
    # rows, index entries and COPY lines per ingested generation.
    details = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, default=list, blank=True
    )
    # Keys of ratingResponses we do not model, kept so the raw metadata round-trips.
    extra = models.JSONField(
        encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder, default=dict, blank=True
    )

    def __str__(self):
        return f"rating of {self.generation_id}"

    def save(self, *args, **kwargs):
        if self.created_at is None:  # see logs.StagePayload.save
            self.account_id = self.generation.account_id
            self.created_at = self.generation.created_at
        super().save(*args, **kwargs)


class Wallet(models.Model):
    """One of a pay-as-you-go account's two balances. Balances only change together with a
    LedgerEntry, under a row lock, and never go below zero."""

    class Kind(models.TextChoices):
        REWARD = "reward", "Reward Credits"
        PURCHASED = "purchased", "Purchased Credits"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wallets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    balance = models.DecimalField(**MONEY, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Reward before purchased, in lock order too: settlement draws in this order.
        ordering = ["account_id", "-kind"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="unique_wallet"),
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.account.external_id} {self.get_kind_display()}: {self.balance}"


class LedgerEntryQuerySet(KeysetQuerySet):
    def for_account(self, account):
        return self.filter(account=account)


class LedgerEntry(models.Model):
    """An immutable line of a wallet's history: a credit (+) or a charge's draw (-)."""

    class Type(models.TextChoices):
        CREDIT = "credit", "Credit"
        CHARGE = "charge", "Charge"

    # ledger_time leads with the account, so the account needs no index of its own.
    # No database foreign keys: see Rating.generation.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="ledger",
        db_index=False,
        db_constraint=False,
    )
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    entry_type = models.CharField(max_length=10, choices=Type.choices)
    amount = models.DecimalField(**MONEY)  # signed: credits positive, charges negative
    balance_after = models.DecimalField(**MONEY)
    # DO_NOTHING: the money trail outlives the logs. Retention deletes the generation and
    # the line keeps pointing at it by id (see Charge.generation). No index: nothing looks
    # lines up by generation (the ledger is read by account and time), and a deleted
    # generation leaves its lines alone, so the index was one more insert per charge.
    generation = models.ForeignKey(
        "logs.Generation",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,  # see Rating.generation
        db_index=False,
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="ledger_time")]
        verbose_name_plural = "ledger entries"

    def __str__(self):
        return f"{self.entry_type} {self.amount} ({self.wallet.get_kind_display()})"


class Charge(models.Model):
    """The settlement of one generation's bill. Its primary key is the generation, so a
    generation can be settled once and only once."""

    class Status(models.TextChoices):
        SETTLED = "settled", "Settled"
        UNPAID = "unpaid", "Unpaid"

    class Source(models.TextChoices):
        WALLETS = "wallets", "Our wallets"
        GATEWAY = "gateway", "Settled by the gateway"

    # DO_NOTHING: retention deletes generations (prune_generations) and keeps their
    # charges, so what was billed stays on record; generation_id then names a log that is
    # gone, and charge.generation raises DoesNotExist. Read the generation's public id with
    # a subquery or a LEFT JOIN from the generation, never an inner join from here.
    generation = models.OneToOneField(
        "logs.Generation",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="charge",
        db_constraint=False,  # see Rating.generation
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="charges",
        db_constraint=False,  # see Rating.generation
    )
    bill_amount = models.DecimalField(**MONEY)
    reward_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    purchased_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    nonpayment_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WALLETS)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"charge {self.bill_amount} for {self.generation_id} ({self.status})"

    @property
    def real_amount(self):
        return self.bill_amount - self.nonpayment_amount
