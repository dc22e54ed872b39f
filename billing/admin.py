from django.contrib import admin
from django.db.models import F, OuterRef, Subquery
from django.forms.models import BaseInlineFormSet

from logs.models import Generation

from .models import (
    Account,
    AuditAction,
    AuditEntry,
    Charge,
    FeeRate,
    Invitation,
    LedgerEntry,
    Membership,
    ModelPrice,
    PriceVersion,
    Rating,
    Wallet,
)
from .team import audit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "plan", "created_at"]
    list_filter = ["plan"]
    search_fields = ["external_id", "name"]
    inlines = [MembershipInline]
    fields = ["external_id", "name", "plan", "allowed_email_domains"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A plan change made here is in the audit log as one made by set_plan is.
        if change and "plan" in form.changed_data:
            audit.record(
                request,
                obj,
                AuditAction.PLAN_CHANGED,
                obj.external_id,
                old=Account.Plan(form.initial["plan"]).label,
                new=obj.plan,
                via="admin",
            )


class ModelPriceInline(admin.TabularInline):
    model = ModelPrice
    extra = 0
    fields = ["model_slug", "model_name", "provider_slug", "discount_rate", "service_code"]
    show_change_link = True


@admin.register(PriceVersion)
class PriceVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "effective_from", "created_at"]
    inlines = [ModelPriceInline]


class FeeRateInline(admin.TabularInline):
    model = FeeRate
    extra = 0


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = ["model_slug", "price_version", "provider_slug", "discount_rate"]
    list_filter = ["price_version", "provider_slug"]
    search_fields = ["model_slug", "model_name"]
    inlines = [FeeRateInline]


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnly, admin.ModelAdmin):
    # Ratings are records of what was charged: viewable, never edited.
    list_display = ["generation", "price_version", "bill_amount", "rated_by_us"]
    readonly_fields = [
        "generation",
        "price_version",
        "service_code",
        "origin_amount",
        "discount_amount",
        "bill_amount",
        "rated_by_us",
        "details",
        "extra",
    ]


# ----------------------------------------------------------------------------- wallets
# Balances change only through billing.settlement (credit, settle), which writes a ledger line
# under a row lock with every change; editing a balance here would break that, so wallets,
# ledger entries and charges are read-only. Credit with `manage.py credit`.

LEDGER_INLINE_LIMIT = 50


class _NewestEntries(BaseInlineFormSet):
    def get_queryset(self):
        # Sliced here, after the inline has filtered by wallet: a wallet's history grows
        # without bound, and slicing earlier would stop the inline from filtering at all.
        if not hasattr(self, "_newest"):
            self._newest = super().get_queryset()[:LEDGER_INLINE_LIMIT]
        return self._newest


class LedgerEntryInline(_ReadOnly, admin.TabularInline):
    model = LedgerEntry
    formset = _NewestEntries
    ordering = ["-created_at", "-id"]
    fields = ["created_at", "entry_type", "amount", "balance_after", "generation_ref", "note"]
    readonly_fields = fields
    verbose_name_plural = f"ledger (newest {LEDGER_INLINE_LIMIT})"
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(_generation_ref=F("generation__generation_id"))
        )

    @admin.display(description="generation")
    def generation_ref(self, entry):
        return getattr(entry, "_generation_ref", None) or "—"


@admin.register(Wallet)
class WalletAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["account", "kind", "balance", "updated_at"]
    list_filter = ["kind"]
    list_select_related = ["account"]
    search_fields = ["account__external_id", "account__name"]
    readonly_fields = ["account", "kind", "balance", "updated_at"]
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "wallet_kind",
        "entry_type",
        "amount",
        "balance_after",
        "generation_ref",
        "note",
    ]
    list_filter = ["entry_type", "wallet__kind"]
    list_select_related = ["account", "wallet"]
    search_fields = ["account__external_id", "note"]
    ordering = ["-created_at", "-id"]
    # The ledger grows with every request: no COUNT(*) of the whole table on each page.
    show_full_result_count = False

    def get_queryset(self, request):
        # The generation's public id without loading the generation row and its JSON.
        return (
            super().get_queryset(request).annotate(_generation_ref=F("generation__generation_id"))
        )

    @admin.display(description="wallet", ordering="wallet__kind")
    def wallet_kind(self, entry):
        return entry.wallet.get_kind_display()

    @admin.display(description="generation")
    def generation_ref(self, entry):
        return getattr(entry, "_generation_ref", None) or "—"


@admin.register(Charge)
class ChargeAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "generation_ref",
        "account",
        "bill_amount",
        "reward_amount",
        "purchased_amount",
        "nonpayment_amount",
        "status",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["account"]
    search_fields = ["generation__generation_id", "account__external_id"]
    ordering = ["-created_at"]
    show_full_result_count = False

    def get_queryset(self, request):
        # A subquery, not F("generation__generation_id"): that is an inner join, and a
        # charge outlives its generation when retention prunes the log.
        public_id = Generation.objects.filter(pk=OuterRef("generation_id")).values("generation_id")
        return super().get_queryset(request).annotate(_generation_ref=Subquery(public_id))

    @admin.display(description="generation", ordering="_generation_ref")
    def generation_ref(self, charge):
        ref = getattr(charge, "_generation_ref", None)
        return ref or f"{charge.generation_id} (log no longer kept)"


# ----------------------------------------------------------------------------- teams


@admin.register(AuditEntry)
class AuditEntryAdmin(_ReadOnly, admin.ModelAdmin):
    # Append-only: the admin shows entries and changes none (_ReadOnly).
    list_display = ["created_at", "account", "actor_name", "ip_address", "action", "object_ref"]
    list_filter = ["action"]
    list_select_related = ["account"]
    search_fields = ["account__external_id", "actor_name", "object_ref"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    readonly_fields = [
        "created_at",
        "account",
        "actor",
        "actor_name",
        "ip_address",
        "action",
        "object_type",
        "object_ref",
        "details",
    ]


@admin.register(Invitation)
class InvitationAdmin(_ReadOnly, admin.ModelAdmin):
    # Invitations are made on /settings/members/ or with invite_member, where the link is
    # shown; the admin cannot show it (only its hash is kept).
    list_display = ["email", "account", "role", "created_at", "expires_at", "state"]
    list_select_related = ["account"]
    search_fields = ["email", "account__external_id"]
    exclude = ["token_hash"]
