"""Sign-in through OpenID Connect, without a browser: the button only when configured,
OIDC_ONLY, the redirect to the provider (PKCE, state, nonce), discovery, who is let in,
and the settings."""

import base64
import hashlib
import html as html_module
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import RequestFactory
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from billing.models import Account, AuditEntry, Membership, Role
from billing.team import invitations
from billing.team import oidc as oidc_module
from billing.team.oidc import OIDCBackend, admit
from tests.factories import at_once
from zenlogs import settings as zenlogs_settings

from .conftest import NAME

pytestmark = pytest.mark.django_db

User = get_user_model()
LOGIN = "/accounts/login/"


@pytest.fixture
def configured(settings):
    """OIDC configured with a provider that is never asked (no test here reaches it)."""
    settings.OIDC_ISSUER = "https://sso.example.test"
    settings.OIDC_CLIENT_ID = "zenlogs"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_NAME = ""
    return settings


def _signed_in(client):
    return "_auth_user_id" in client.session


def test_no_button_and_no_oidc_urls_while_oidc_is_unset(client):
    page = client.get(LOGIN)
    assert "Sign in with" not in page.content.decode()
    assert 'id="id_password"' in page.content.decode()
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_button_is_offered_when_configured_named_by_the_issuer_or_oidc_name(client, configured):
    page = client.get(f"{LOGIN}?next=/billing/").content.decode()
    assert 'href="/accounts/oidc/login/?next=/billing/"' in page
    assert ">Sign in with sso.example.test</a>" in page
    assert 'id="id_password"' in page  # passwords stay
    configured.OIDC_NAME = NAME
    assert f">Sign in with {NAME}</a>" in client.get(LOGIN).content.decode()


def test_oidc_only_hides_the_password_form_and_refuses_a_members_password(
    client, configured, owner
):
    configured.OIDC_ONLY = True
    page = client.get(LOGIN).content.decode()
    assert 'id="id_password"' not in page and "Sign in with" in page
    response = client.post(LOGIN, {"username": "owner", "password": "pw"})
    assert response.status_code == 200 and not _signed_in(client)
    assert "Password sign-in is turned off" in response.content.decode()
    # Refused before the password is looked at, and counted like a wrong one.
    assert AccessAttempt.objects.get(username="owner").failures_since_start == 1
    assert client.post("/admin/login/", {"username": "owner", "password": "pw"}).status_code == 200
    assert not _signed_in(client)


def test_oidc_only_still_lets_a_superuser_sign_in_with_a_password(client, configured):
    configured.OIDC_ONLY = True
    User.objects.create_superuser("root", password="root-pw")
    response = client.post(LOGIN, {"username": "root", "password": "root-pw"})
    assert response.status_code == 302 and _signed_in(client)


def test_the_redirect_to_the_provider_carries_pkce_state_and_nonce(client, oidc):
    response = client.get("/accounts/oidc/login/?next=/billing/")
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oidc.issuer}/authorize/"
    query = dict(parse_qsl(location.query))
    assert query["response_type"] == "code" and query["client_id"] == oidc.client_id
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == "S256"
    flow = client.session["oidc_states"][query["state"]]
    assert flow["nonce"] == query["nonce"] and len(query["nonce"]) >= 32
    digest = hashlib.sha256(flow["code_verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert client.session["oidc_login_next"] == "/billing/"


def test_discovery_naming_another_issuer_is_not_used(client, oidc, settings):
    settings.OIDC_ISSUER = oidc.issuer + "/"  # the provider names itself without the slash
    response = client.get("/accounts/oidc/login/")
    assert response.status_code == 502
    assert "cannot be reached" in response.content.decode()


def _signed_in_through_provider(client, user, id_token="head.claims.signature"):
    client.force_login(user)
    session = client.session
    session["oidc_id_token"] = id_token
    session.save()


def test_signing_out_after_the_provider_offers_its_sign_out_too(client, oidc, owner):
    _signed_in_through_provider(client, owner)
    response = client.post("/accounts/logout/")
    assert response.status_code == 200 and not _signed_in(client)
    assert "no-store" in response["Cache-Control"]  # it holds the ID token
    html = response.content.decode()
    assert "You are signed out of ZenLogs" in html
    link = urlsplit(
        html_module.unescape(re.search(r'href="([^"]+)" data-testid="provider-sign-out"', html)[1])
    )
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{oidc.issuer}/logout/"
    assert dict(parse_qsl(link.query)) == {
        "id_token_hint": "head.claims.signature",
        "client_id": oidc.client_id,
        "post_logout_redirect_uri": "http://testserver/accounts/login/",
    }


def test_signing_out_of_a_password_sign_in_or_with_the_provider_away_is_as_ever(
    client, configured, owner, monkeypatch
):
    client.force_login(owner)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not _signed_in(client)

    def away(issuer):
        raise oidc_module.ProviderUnavailable(issuer)

    monkeypatch.setattr(oidc_module, "discovery", away)
    _signed_in_through_provider(client, owner)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not _signed_in(client)


def test_a_refused_callback_is_not_counted_by_the_lockout(rf, configured):
    for _ in range(6):
        assert (
            authenticate(rf.get("/accounts/oidc/callback/"), nonce="n", code_verifier="v") is None
        )
    assert not AccessAttempt.objects.exists()
    assert not AuditEntry.objects.exists()  # the callback view records its own


# ----------------------------------------------------------------------------- who comes in


def _request():
    request = RequestFactory().get("/accounts/oidc/callback/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    return request


def test_a_member_signs_in_whatever_the_domains_say(owner, account_b):
    User.objects.filter(pk=owner.pk).update(email="owner@a.test")
    account_b.allowed_email_domains = "a.test"
    account_b.save()
    assert admit(_request(), "OWNER@a.test") == (owner, None)
    assert list(Membership.objects.filter(user=owner).values_list("account", flat=True)) == [
        Account.objects.get(memberships__user=owner).pk
    ]


def test_a_user_without_membership_invitation_or_domain_is_refused_and_nothing_is_made(
    account_a,
):
    User.objects.create_user("lone", email="lone@b.test")
    users = User.objects.count()
    assert admit(_request(), "lone@b.test") == (None, "not_invited")
    assert admit(_request(), "new@b.test") == (None, "not_invited")
    assert User.objects.count() == users and not Membership.objects.filter(user__username="lone")


def test_an_invitation_wins_over_a_domain(account_a, account_b):
    account_b.allowed_email_domains = "acme.test"
    account_b.save()
    invitations.invite(None, account_a, "kim@acme.test", Role.ADMIN)
    user, _ = admit(_request(), "kim@acme.test")
    assert [(m.account, m.role) for m in Membership.objects.filter(user=user)] == [
        (account_a, Role.ADMIN)
    ]
    assert user.username == "kim@acme.test" and user.email == "kim@acme.test"


def test_two_users_with_one_email_are_refused(account_a):
    User.objects.create_user("one", email="twin@a.test")
    User.objects.create_user("two", email="TWIN@a.test")
    assert admit(_request(), "twin@a.test") == (None, "ambiguous")


@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_of_one_email_at_once_make_one_user(account_a, monkeypatch):
    # Both callbacks arrive before either has committed: each would find no user and make
    # one. The pause after the read holds the race open; admission takes one at a time.
    account_a.allowed_email_domains = "acme.test"
    account_a.save()
    allowing = invitations.accounts_allowing

    def slowly(email):
        time.sleep(0.3)
        return allowing(email)

    monkeypatch.setattr(invitations, "accounts_allowing", slowly)
    results = at_once(*[lambda: admit(_request(), "kim@acme.test")] * 2)
    user = User.objects.get(email__iexact="kim@acme.test")
    assert results == [(user, None), (user, None)]
    assert list(Membership.objects.filter(user=user).values_list("account", "role")) == [
        (account_a.pk, Role.VIEWER)
    ]


@pytest.mark.parametrize(
    ("iss", "aud", "accepted"),
    [
        ("https://sso.example.test", "zenlogs", True),
        ("https://sso.example.test", ["other", "zenlogs"], True),
        ("https://other.example.test", "zenlogs", False),
        ("https://sso.example.test", ["other"], False),
    ],
)
def test_an_id_token_must_name_the_issuer_and_this_client(
    configured, monkeypatch, iss, aud, accepted
):
    # The library has checked the signature, expiry and nonce by then, not these two.
    payload = {"iss": iss, "aud": aud, "sub": "1"}
    monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda *a, **k: payload)
    if accepted:
        assert OIDCBackend().verify_token("token", nonce="n") == payload
    else:
        with pytest.raises(SuspiciousOperation):
            OIDCBackend().verify_token("token", nonce="n")


def test_an_email_the_provider_calls_unverified_is_refused(configured, monkeypatch, account_a):
    account_a.allowed_email_domains = "acme.test"
    account_a.save()
    backend = OIDCBackend()
    backend.request = _request()
    claims = {"sub": "1", "email": "eve@acme.test", "email_verified": False}
    monkeypatch.setattr(backend, "get_userinfo", lambda *args: claims)
    assert backend.get_or_create_user("access", "id", {"sub": "1"}) is None
    assert backend.request.oidc_refusal == ("no_email", "eve@acme.test")
    assert not User.objects.filter(email="eve@acme.test").exists()


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"OIDC_ISSUER": "https://sso.example.test"},
            "missing: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET",
        ),
        (
            {
                "OIDC_ISSUER": "http://sso.example.test",
                "OIDC_CLIENT_ID": "c",
                "OIDC_CLIENT_SECRET": "s",
            },
            "OIDC_ISSUER must be an https:// URL",
        ),
    ],
)
def test_bad_oidc_settings_name_the_variable(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        zenlogs_settings._oidc()


def test_oidc_is_off_by_default(monkeypatch):
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert set(zenlogs_settings._oidc().values()) == {""}
