"""Resisting guessing: which address a request comes from, and the page a locked-out sign-in
gets. django-axes calls both (settings AXES_CLIENT_IP_CALLABLE, AXES_LOCKOUT_CALLABLE); the
API's bad-token limit counts by the same address. The password change's current password is
guessed the same way and counts on the same lockout (PasswordChangeForm)."""

import ipaddress
import math
from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
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


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, its current password checked by authenticate() as a sign-in's is, so
    the sign-in lockout covers it: a wrong one is a failure for the user's username from
    this address, on the same count as wrong sign-ins (guessing one password is guessing
    the other), and while that pair is locked out even the right one is refused (429).
    Without it a stolen session could guess the password without limit."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        found = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if found is None or found.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


def login_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, with 429 and when to try again; the password change page for a
    signed-in user whose current password was guessed wrong too often.

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
    context = {"locked_out_until": shown, "retry_minutes": math.ceil(seconds / 60)}
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "password_change":
        context["form"] = PasswordChangeForm(request.user)
        template = "registration/password_change_form.html"
    else:
        context["form"] = AuthenticationForm(request)
        context["next"] = request.POST.get("next") or request.GET.get("next", "")
        template = "registration/login.html"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def not_a_password(request, credentials=None):
    """AXES_WHITELIST_CALLABLE: True for a sign-in that carries no password, the OpenID
    Connect callback's (its credentials are the flow's nonce and PKCE verifier). Axes then
    neither counts nor refuses it: a refused email is no password guess, and the provider
    does its own guessing defence."""
    return credentials is not None and "password" not in credentials
