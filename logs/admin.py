from django.contrib import admin

from .models import ApiKey, ApiToken, Generation, IngestToken


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "account"]
    search_fields = ["external_id", "name"]
    list_select_related = ["account"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["generation_id", "account", "model_slug", "created_at", "bill_amount"]
    search_fields = ["=generation_id"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "api_key"]
    # At millions of rows the changelist's COUNT(*) is the slow part; don't show it.
    show_full_result_count = False


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "hint", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]
