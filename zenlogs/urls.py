from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from billing import language
from billing import views as billing_views
from billing.team import oidc
from logs import api
from logs.otlp import views as otlp_views
from zenlogs import views as site_views

handler500 = "zenlogs.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/logs/", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", oidc.SignOutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        site_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/language/", language.switch_language, name="switch_language"),
    # The strings of static/zenlogs/app.js, as a script file (the CSP allows no inline one).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    # Sign-in through OpenID Connect (404 unless OIDC_ISSUER and its client are set).
    path("accounts/oidc/login/", oidc.LoginView.as_view(), name="oidc_login"),
    path("accounts/oidc/callback/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("accounts/switch/", billing_views.switch_account, name="switch_account"),
    path("healthz", site_views.healthz, name="healthz"),
    path("api/openapi.json", api.openapi_json, name="api_openapi"),
    path("api/v1/generation", api.generation_detail, name="api_generation"),
    path("api/v1/generations", api.generations_ingest, name="api_generations"),
    # OTLP/HTTP's default paths, so OTEL_EXPORTER_OTLP_ENDPOINT=https://host works as it is.
    path("v1/traces", otlp_views.traces, name="otlp_traces"),
    path("v1/logs", otlp_views.logs, name="otlp_logs"),
    path("logs/", include("logs.urls")),
    path("billing/", include("billing.urls")),
    path("", include("billing.team.urls")),
    path("admin/", admin.site.urls),
]
