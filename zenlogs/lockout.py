"""Resisting guessing: which address a request comes from, and the page a locked-out sign-in
gets. django-axes calls both (settings AXES_CLIENT_IP_CALLABLE, AXES_LOCKOUT_CALLABLE); the
API's bad-token limit counts by the same address."""

import ipaddress
import math
from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone


def _ip(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request):
    """The client's IP address, or None when it is unknown.

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies stand in front: each appends the address
    it was reached from to X-Forwarded-For, so the client is the N-th entry from the right.
    Entries further left are whatever the client sent and are never believed."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [entry for entry in header.split(",") if entry.strip()]
        if len(forwarded) >= count:
            return _ip(forwarded[-count])
    return _ip(request.META.get("REMOTE_ADDR", ""))


def login_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, with 429 and when to try again.

    It depends only on the username typed and the address, never on whether that user
    exists, so a lockout tells a guesser nothing about which usernames are real. The form is
    shown empty for the same reason."""
    now = timezone.now()
    cool_off = get_cool_off(request)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    last_failure = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=address,
        attempt_time__gt=now - cool_off,
    ).aggregate(last=Max("attempt_time"))["last"]
    # Refused attempts are not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so
    # the lockout ends one cool-off after the last counted failure.
    until = (last_failure or now) + cool_off
    seconds = max(1, math.ceil((until - now).total_seconds()))
    # The clock time shown is rounded up, so trying at that minute always works.
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_out_until": shown,
        "retry_minutes": math.ceil(seconds / 60),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
