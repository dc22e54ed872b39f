"""Site-wide views that belong to no app: the health check, the database-outage answers and
the error pages' handlers (the pages themselves are templates/404.html, 403.html, 500.html)."""

import logging
import sys
import threading

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from billing.models import AuditAction
from billing.team import audit

from .lockout import PasswordChangeForm, client_address

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
HEALTH_TIMEOUT_SECONDS = 1.0

# Errors that mean "the database cannot be reached" rather than "this code is wrong".
UNAVAILABLE = (OperationalError, InterfaceError)


def _probe(result):
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            result.append(cursor.fetchone() == (1,))
    except DatabaseError:
        result.append(False)
    finally:
        connection.close()


def _database_answers():
    """True when SELECT 1 succeeds within HEALTH_TIMEOUT_SECONDS.

    The query runs in a thread of its own so a server that accepts the TCP connection but
    never answers (or a connect that hangs) costs the caller one second, not libpq's
    connect_timeout; that thread opens and closes its own connection."""
    result = []
    thread = threading.Thread(target=_probe, args=(result,), name="healthz", daemon=True)
    thread.start()
    thread.join(HEALTH_TIMEOUT_SECONDS)
    return bool(result and result[0])


@never_cache
@require_GET
def healthz(request):
    # No sign-in and nothing but the database's state: load balancers poll it.
    if _database_answers():
        return JsonResponse({"database": "ok"})
    return JsonResponse(
        {"database": "unavailable"},
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def database_unavailable(request):
    """503 for a request that failed on the database: JSON on the API, a plain page in the
    console. Nothing here touches the database (no session, user or account context)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "the database is unavailable; retry later"}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """handler500: a database outage that surfaced outside a view (in a middleware, say) still
    answers 503; anything else is the usual 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE) or (
        isinstance(exc, DatabaseError) and request.path.startswith("/api/")
    ):
        return database_unavailable(request)
    # 500.html is rendered with no context (no request, user or database), as Django does.
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's 403 page, in its layout. Django's own page, which names
    the reason, stays for DEBUG=1."""
    if settings.DEBUG:
        return csrf.csrf_failure(request, reason)
    return render(request, "403.html", {"csrf_failed": True}, status=403)


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        # The right password clears the count, as a successful sign-in does
        # (AXES_RESET_ON_SUCCESS).
        reset_lockout(ip=client_address(self.request), username=self.request.user.get_username())
        audit.record(self.request, None, AuditAction.PASSWORD_CHANGED, actor=self.request.user)
        return response
