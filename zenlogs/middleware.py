import zoneinfo
from urllib.parse import unquote

from django.utils import timezone

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
