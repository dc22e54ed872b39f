"""Sign-in through the company's OpenID Connect provider. mozilla-django-oidc runs the flow:
the authorization code with PKCE (S256), the state and nonce kept in the session and each
used once, the ID token's signature checked against the provider's published keys, its
expiry and nonce. README "Sign-in through OpenID Connect" says why this library.

What is ours, on top of it:
- discovery: the library takes each endpoint as a setting. `library_setting` answers those
  from the issuer's /.well-known/openid-configuration (which must name the same issuer) and
  gives OIDC_CLIENT_ID and OIDC_CLIENT_SECRET for the library's own names; the ID token must
  also name that issuer and this client (`OIDCBackend.verify_token`), which the library does
  not check.
- who comes in (`admit`): a user who already is a member of an account, by email; otherwise
  only through a pending invitation for that email (with its role) or an account's allowed
  email domains (as viewer). Anyone else is refused with a page in the site's layout, and no
  user is made.
- OIDC_ONLY: passwords off for everyone but superusers (`PasswordsOffBackend`).
- the audit log: refusals and failures are recorded here; a sign-in that succeeds, by the
  user_logged_in receiver as every other one is.
- signing out (`SignOutView`): a user who came through the provider is offered a link that
  signs them out of it too (RP-Initiated Logout), when the provider publishes where.
"""

import hashlib
import logging
import time
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from ..models import AuditAction, Membership, Role
from . import audit, invitations

log = logging.getLogger(__name__)

# The library's settings for the provider's endpoints, and where discovery names each.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# A provider moves its endpoints rarely; an hour bounds how long a move goes unnoticed.
DISCOVERY_SECONDS = 3600
_discovered = {}  # issuer -> (monotonic time read, document)


class ProviderUnavailable(Exception):
    """The issuer's discovery document could not be read or does not fit."""


def enabled():
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET)


def provider_name():
    return settings.OIDC_NAME or urlsplit(settings.OIDC_ISSUER).hostname


def discovery(issuer):
    """The issuer's OpenID Provider metadata (OpenID Connect Discovery 1.0), kept an hour."""
    now = time.monotonic()
    kept = _discovered.get(issuer)
    if kept and now - kept[0] < DISCOVERY_SECONDS:
        return kept[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        # Discovery 4.3: metadata naming another issuer must not be used.
        raise ProviderUnavailable(f"{url} does not name the issuer {issuer}")
    missing = [key for key in ENDPOINTS.values() if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"{url} names no {', '.join(missing)}")
    _discovered[issuer] = (now, document)
    return document


def library_setting(name, *default):
    """What mozilla-django-oidc reads with get_settings: the endpoints from discovery, the
    client from our settings, everything else from settings as the library would."""
    if name in ENDPOINTS:
        return discovery(settings.OIDC_ISSUER)[ENDPOINTS[name]]
    if name == "OIDC_RP_CLIENT_ID":
        return settings.OIDC_CLIENT_ID
    if name == "OIDC_RP_CLIENT_SECRET":
        return settings.OIDC_CLIENT_SECRET
    return import_from_settings(name, *default)


def sign_in_options(request):
    """Context processor: the sign-in page's "Sign in with <name>" and whether passwords
    are off (only while OIDC is configured)."""
    if not enabled():
        return {}
    return {"oidc_name": provider_name(), "oidc_only": settings.OIDC_ONLY}


# ----------------------------------------------------------------------------- who comes in


def _free_username(email):
    taken = get_user_model().objects.filter
    base = email.lower()[:140]
    username, n = base, 1
    while taken(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def _one_admission_at_a_time(email):
    """Holds, until the transaction ends, the right to admit this email. Two first sign-ins of
    one person (a double click on the provider's consent, two tabs) would otherwise both find
    no user and both make one: the second a duplicate that leaves every later sign-in of the
    email refused as ambiguous, or a 500 on the username both picked. On PostgreSQL a
    transaction-scoped advisory lock keyed by the email; SQLite's transactions already take
    the write lock at BEGIN (settings: transaction_mode IMMEDIATE), one at a time."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"zenlogs oidc admit {email.lower()}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


@transaction.atomic
def admit(request, email):
    """(user, None) for the user this verified email signs in as, or (None, reason).

    A user with this email who is a member of an account signs in. Anyone else joins only
    through a pending invitation for the email (with its role), or else every account whose
    allowed email domains include the email's (as viewer); the user is made then, and only
    then, with no usable password."""
    _one_admission_at_a_time(email)
    users = list(get_user_model().objects.filter(email__iexact=email).order_by("pk")[:2])
    if len(users) > 1:
        return None, "ambiguous"
    user = users[0] if users else None
    if user is not None and not user.is_active:
        return None, "inactive"
    if user is not None and Membership.objects.filter(user=user).exists():
        return user, None
    invitation = invitations.pending_for_email(email)
    accounts = [] if invitation else invitations.accounts_allowing(email)
    if invitation is None and not accounts:
        return None, "not_invited"
    if user is None:
        user = get_user_model().objects.create_user(_free_username(email), email=email)
    if invitation is not None:
        invitations.accept(invitation, user, request)
    for account in accounts:
        Membership.objects.create(user=user, account=account, role=Role.VIEWER)
        audit.record(
            request,
            account,
            AuditAction.MEMBER_JOINED,
            user,
            actor=user,
            role=Role.VIEWER,
            email=email,
            through="allowed email domain",
        )
    return user, None


# ----------------------------------------------------------------------------- backends


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(library_setting)

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, passwords included, and the library
        # reads the endpoints here: that waits for authenticate(), so a password sign-in
        # never asks the provider.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback's call is ours: it alone carries the nonce from the session.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        if not (request.GET.get("code") and request.GET.get("state")):
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if payload.get("iss") != settings.OIDC_ISSUER or settings.OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token names another issuer or another client")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: userinfo about another subject must not be used.
            raise SuspiciousOperation("userinfo names another subject than the ID token")
        email = str(claims.get("email") or "").strip()
        local, at, domain = email.rpartition("@")
        if not (local and at and domain) or claims.get("email_verified") in (False, "false"):
            return self._refuse("no_email", email)
        user, reason = admit(self.request, email)
        return user if user is not None else self._refuse(reason, email)

    def _refuse(self, reason, email):
        self.request.oidc_refusal = (reason, email)
        return None


class PasswordsOffBackend:
    """OIDC_ONLY=1: a password is refused for anyone but a superuser, before it is checked.

    PermissionDenied stops Django's authenticate() at this backend, so it covers every form
    that signs in with a password (the sign-in page, /admin/), and it is a failed sign-in for
    the lockout like a wrong password. No get_user: it signs no one in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.OIDC_ONLY or password is None:
            return None
        users = get_user_model()._default_manager
        field = get_user_model().USERNAME_FIELD
        if not users.filter(**{field: username}, is_superuser=True).exists():
            raise PermissionDenied("password sign-in is off (OIDC_ONLY)")
        return None


# ----------------------------------------------------------------------------- views


def refused(request, reason, email=""):
    """The page for a sign-in through the provider that did not end signed in, in the site's
    layout, after recording it: 403 when we refused the person, 502 when the provider could
    not be reached, 400 when the answer did not match a sign-in started here."""
    status = {"failed": 400, "unavailable": 502}.get(reason, 403)
    failed = reason in ("failed", "unavailable")
    action = AuditAction.SIGNIN_FAILED if failed else AuditAction.SIGNIN_REFUSED
    user = get_user_model().objects.filter(email__iexact=email).first() if email else None
    audit.record(
        request, None, action, actor=user or email, method="oidc", reason=reason, email=email
    )
    context = {
        "reason": reason,
        "email": email,
        "domain": email.rpartition("@")[2],
        "provider_name": provider_name(),
    }
    return render(request, "registration/oidc_refused.html", context, status=status)


# Neither answer may be kept: the redirect carries a one-time state, the refusal an email.
@method_decorator(never_cache, name="dispatch")
class LoginView(OIDCAuthenticationRequestView):
    """/accounts/oidc/login/: to the provider, with a fresh state, nonce and PKCE challenge
    kept in the session."""

    get_settings = staticmethod(library_setting)

    def __init__(self, **kwargs):
        # The library reads the authorization endpoint here; get() does, where an
        # unreachable provider can still be answered with a page.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("OpenID Connect is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as exc:
            log.warning("OpenID Connect discovery failed: %s", exc)
            return refused(request, "unavailable")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


@method_decorator(never_cache, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):
    """/accounts/oidc/callback/: the provider's answer. The library checks the state against
    the session, trades the code (with the PKCE verifier) for the tokens and checks the ID
    token; OIDCBackend decides who that is."""

    get_settings = staticmethod(library_setting)

    def get(self, request):
        if not enabled():
            raise Http404("OpenID Connect is not configured")
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A state this browser never started (or already used), or a bad ID token.
            log.warning("OpenID Connect callback refused: %s", exc)
            return self.login_failure()
        except requests.HTTPError as exc:
            # The provider refused the code: used twice, or the PKCE verifier did not match.
            log.warning("OpenID Connect token exchange refused: %s", exc)
            return self.login_failure()
        except (ProviderUnavailable, requests.RequestException) as exc:
            log.warning("OpenID Connect provider unreachable: %s", exc)
            return refused(request, "unavailable")

    def login_failure(self):
        reason, email = getattr(self.request, "oidc_refusal", ("failed", ""))
        return refused(self.request, reason, email)


# ----------------------------------------------------------------------------- signing out


def provider_sign_out_url(request):
    """Where a user who signed in through the provider signs out of it too: its
    end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0), with the ID token of this
    sign-in as the hint and the way back to our sign-in page; None for a sign-in by password,
    a provider that publishes no such endpoint, or one that cannot be reached (signing out
    of ZenLogs never waits on the provider: its discovery is the one kept an hour)."""
    id_token = request.session.get("oidc_id_token")
    if not (id_token and enabled()):
        return None
    try:
        endpoint = discovery(settings.OIDC_ISSUER).get("end_session_endpoint")
    except ProviderUnavailable as exc:
        log.warning("OpenID Connect discovery failed at sign-out: %s", exc)
        return None
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if urlsplit(endpoint).query else '?'}{query}"


@method_decorator(never_cache, name="dispatch")
class SignOutView(auth_views.LogoutView):
    """/accounts/logout/ (POST): Django's sign-out. A user who came through the provider then
    gets a page saying so, with a link that signs them out of the provider as well: a link,
    not a redirect, because the sign-out is a form and the page's CSP (form-action 'self')
    lets a form lead only here; and the person may well want to stay signed in to the
    provider's other applications."""

    def post(self, request, *args, **kwargs):
        provider_url = provider_sign_out_url(request)  # before the session, and the token, go
        response = super().post(request, *args, **kwargs)
        if provider_url is None:
            return response
        context = {"provider_name": provider_name(), "provider_url": provider_url}
        return render(request, "registration/signed_out.html", context)
