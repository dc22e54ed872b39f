"""ZenLogs settings. Everything that differs between machines comes from the environment,
read through small helpers that fail loudly with the variable's name."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _env_int(name, default, minimum=0):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def _env_list(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _database(url):
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ImproperlyConfigured("DATABASE_URL: a sqlite URL needs a path, sqlite:///path")
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # gunicorn workers and the threaded test server write concurrently: WAL lets readers
        # go on during a write, IMMEDIATE takes the write lock at BEGIN so two writers queue on
        # the busy timeout instead of failing with "database is locked" at their first write.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # A file, not :memory:, so a test's threads (live server, concurrent clients) share one
        # database; named by process so two test runs on one machine never collide.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
    elif engine != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"DATABASE_URL must be sqlite:///path or postgres://..., got engine {engine!r}"
        )
    return config


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=1 for a development key)")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": _database(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'zenlogs.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "template_partials",
    "axes",
    "billing",
    "logs",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A sign-in's answer sets the language cookie from the user's profile.
    "billing.language.LanguageCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zenlogs.middleware.ContentSecurityPolicyMiddleware",
    "zenlogs.middleware.PrivateCacheMiddleware",
    "zenlogs.middleware.UserTimezoneMiddleware",
    # Inside the timezone middleware, so a lockout page shows its time in the user's zone.
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception sees a view's database error before any other.
    "zenlogs.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "zenlogs.urls"
WSGI_APPLICATION = "zenlogs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "billing.context_processors.account_context",
                "billing.team.oidc.sign_in_options",
                "logs.context_processors.labels",
            ],
        },
    }
]

# Checked where a user picks a password (the password change form, createsuperuser); the
# commands that set one for a user (create_user, load_demo's demo/demo) are the operator's call.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out sign-in before any password is checked. Then OIDC_ONLY's
# gate, which refuses a password for anyone but a superuser before it is checked; then
# passwords; then the OpenID Connect callback's (billing/team/oidc.py), which answers nothing
# else and asks the provider nothing while OIDC is unset.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "billing.team.oidc.PasswordsOffBackend",
    "django.contrib.auth.backends.ModelBackend",
    "billing.team.oidc.OIDCBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/logs/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# The console speaks English and Simplified Chinese (README, "Languages"): the language
# cookie (set by the header's switcher, and at sign-in from the user's stored choice:
# billing.language), else the browser's Accept-Language. The catalogues are in
# zenlogs/locale/ (the .po files; `make` builds the .mo files, zenlogs/translations.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "zenlogs" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and DEBUG serve static files straight from the finders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF token travels in hx-headers on <body>, read from the template, never by JS from the
# cookie, so the cookie can be HttpOnly.
CSRF_COOKIE_HTTPONLY = True
# A refused form gets the site's 403 page (DEBUG=1 keeps Django's, which says why).
CSRF_FAILURE_VIEW = "zenlogs.views.csrf_failure"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language cookie, set by the switcher and at sign-in; no script reads it.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# DEPLOY_HTTPS=1: the site is served only over HTTPS, usually behind a proxy that terminates
# TLS and says so in X-Forwarded-Proto. Only set it behind such a proxy, which must overwrite
# the header a client sends: otherwise a client could claim HTTPS.
DEPLOY_HTTPS = _env_bool("DEPLOY_HTTPS", False)
if DEPLOY_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # A site that is HTTPS-only on every subdomain for a year qualifies for the browsers'
    # preload list; the header only allows submitting the domain, it submits nothing.
    SECURE_HSTS_PRELOAD = True
    # Load balancers probe the health check on the plain-HTTP port of each instance.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The client's address for the sign-in lockout and the API's bad-token limit: REMOTE_ADDR, or
# behind N proxies that each append to X-Forwarded-For, the N-th address from its right (the
# ones to its left are whatever the client sent). See zenlogs/lockout.py.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)

# Sign-in lockout (django-axes): 5 failures for one username from one address lock that pair
# out for 15 minutes; other usernames and addresses are unaffected. A refused attempt is not
# counted, so the lockout ends when the page says it does, 15 minutes after the 5th failure.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "zenlogs.lockout.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "zenlogs.lockout.client_address"
# Only passwords are counted: an OpenID Connect sign-in refused for its email is no guess,
# and counting it would lock a whole office's address out of single sign-on.
AXES_WHITELIST_CALLABLE = "zenlogs.lockout.not_a_password"
# A failed password change is recorded with its form's fields; none of them in clear.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
]

# The API refuses an address that sent this many bad bearer tokens within one clock minute.
API_BAD_TOKEN_LIMIT = 20

# Ingestion limits (the ingest API and import command share them).
INGEST_MAX_RECORDS = _env_int("INGEST_MAX_RECORDS", 10_000, minimum=1)
INGEST_MAX_BYTES = _env_int("INGEST_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
INGEST_MAX_STAGE_BYTES = _env_int("INGEST_MAX_STAGE_BYTES", 10 * 1024 * 1024, minimum=1024)
INGEST_MAX_DEPTH = _env_int("INGEST_MAX_DEPTH", 64, minimum=4)
# OTLP: how long a conversation (log record) waits for its span before it is dropped.
OTLP_PENDING_HOURS = _env_int("OTLP_PENDING_HOURS", 24, minimum=1)
# Django's default, 2.5 MB. It bounds request.body and request.POST, which only the
# console's forms (a few KB) and the admin use: the ingest API reads its own stream up to
# INGEST_MAX_BYTES and answers 413 as JSON beyond, so raising this for the API's sake would
# only let any form post buffer 50 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
REDACT_EXTRA_HEADERS = [h.lower() for h in _env_list("REDACT_EXTRA_HEADERS", [])]

# The details page shows a stage body up to this size; beyond it, a truncated view and a
# download link.
DETAIL_MAX_BODY_BYTES = _env_int("DETAIL_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)

LOG_RETENTION_DAYS = _env_int("LOG_RETENTION_DAYS", 0)

# How often a live log list (live=1) asks for new generations, in milliseconds. The product
# promises them within 5 s; tests make it shorter.
LIVE_POLL_MS = 5000


def _oidc():
    """OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: all three, or none (the default:
    passwords only)."""
    values = {
        name: os.environ.get(name, "").strip()
        for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
    }
    missing = [name for name, value in values.items() if not value]
    if len(missing) == 3:
        return values
    if missing:
        raise ImproperlyConfigured(
            "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together; "
            f"missing: {', '.join(missing)}"
        )
    from urllib.parse import urlsplit

    issuer = urlsplit(values["OIDC_ISSUER"])
    loopback = issuer.hostname in {"127.0.0.1", "localhost", "::1"}
    # The issuer is compared as written with the one its discovery document and ID tokens
    # name (OpenID Connect Discovery 4.3), and only HTTPS keeps the client secret secret.
    if not (issuer.scheme == "https" or (issuer.scheme == "http" and loopback)):
        raise ImproperlyConfigured(
            f"OIDC_ISSUER must be an https:// URL, got {values['OIDC_ISSUER']!r}"
        )
    if issuer.query or issuer.fragment or not issuer.hostname:
        raise ImproperlyConfigured(
            f"OIDC_ISSUER must be the issuer's URL without query or fragment, "
            f"got {values['OIDC_ISSUER']!r}"
        )
    return values


# Sign-in through OpenID Connect (billing/team/oidc.py, mozilla-django-oidc). The sign-in page
# offers "Sign in with OIDC_NAME" when the three are set.
OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET = _oidc().values()
OIDC_NAME = os.environ.get("OIDC_NAME", "").strip()
OIDC_ONLY = _env_bool("OIDC_ONLY", False)
if OIDC_ONLY and not OIDC_ISSUER:
    raise ImproperlyConfigured("OIDC_ONLY=1 needs OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET")
# What mozilla-django-oidc is told beyond the provider's endpoints and the client, which
# billing/team/oidc.py hands it from the issuer's discovery document and the settings above.
OIDC_RP_SCOPES = "openid email profile"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
# Kept in the session for signing out of the provider too (billing.team.oidc.SignOutView).
OIDC_STORE_ID_TOKEN = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
OIDC_TIMEOUT = 10


# Email (invitations): Django's console backend, printing mail to the log, unless EMAIL_URL
# (smtp://user:password@host:587, smtps://... for TLS from the start) or the usual EMAIL_*
# variables name an SMTP server.
def _email(url):
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a usable URL: {exc}") from None
    if parts.scheme not in {"smtp", "smtps", "submission"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"EMAIL_URL must be smtp://, smtps:// or submission://user:password@host:port, "
            f"got scheme {parts.scheme!r}"
        )
    ssl = parts.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if ssl else 587 if parts.scheme == "submission" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": ssl,
        "EMAIL_USE_TLS": parts.scheme == "submission" or "tls=1" in parts.query,
    }


EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = _env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
if os.environ.get("EMAIL_URL"):
    globals().update(_email(os.environ["EMAIL_URL"]))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ZenLogs <zenlogs@localhost>")
# Where links made outside a request point (invite_member's invitation link).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
