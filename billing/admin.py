from django.contrib import admin

from .models import Account, FeeRate, Membership, ModelPrice, PriceVersion, Rating, RatingDetail


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


class RatingDetailInline(admin.TabularInline):
    model = RatingDetail
    extra = 0
    can_delete = False
    readonly_fields = [
        "position",
        "fee_item_code",
        "rate",
        "origin_amount",
        "discount_amount",
        "bill_amount",
        "extra",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
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
        "extra",
    ]
    inlines = [RatingDetailInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
