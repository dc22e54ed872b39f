import logging
import zoneinfo
from urllib.parse import unquote

from django.db import DatabaseError
from django.utils import timezone
from django.utils.cache import patch_cache_control

from .views import UNAVAILABLE, database_unavailable

log = logging.getLogger(__name__)

# No inline script or style anywhere: htmx and our JS are static files, so a payload that
# slips past escaping still cannot run. Pygments output uses classes, not style attributes.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class PrivateCacheMiddleware:
    """Cache-Control: private, no-store on every answer that does not set its own: pages of
    a signed-in user, their downloads and exports, the raw metadata API (with a bearer
    token there is no session to tell it apart) and their error pages alike. Nothing the
    site renders is meant for a shared cache or the browser's disk; one rule here, rather
    than a decorator each view must remember. Static files never reach it (WhiteNoise
    answers them first, with their own long-lived headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class UserTimezoneMiddleware:
    """Shows times in the browser's zone. static/zenlogs/app.js stores it in the `tz` cookie;
    without JavaScript (or before the first page has set it) times are shown in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # app.js writes the zone URL-encoded ("America%2FNew_York").
        name = unquote(request.COOKIES.get("tz", ""))[:64]
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        request.timezone = zone or timezone.get_default_timezone()
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Turns a database outage into 503 with Retry-After instead of a 500 and a traceback.

    On the API every database error is a 503: gateways retry a 503, and a request that failed
    on the database wrote nothing (ingest runs in one transaction). In the console only
    connection-level errors are, so a bug still shows up as a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        on_api = request.path.startswith(("/api/", "/v1/"))  # /v1/: the OTLP receiver
        if isinstance(exception, UNAVAILABLE) or (on_api and isinstance(exception, DatabaseError)):
            log.warning("%s %s: database unavailable: %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None
