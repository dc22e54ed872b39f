"""The whole OpenID Connect sign-in in Chromium against a real provider (django-oauth-toolkit,
tests/oidc/conftest.py): the button, the provider's own sign-in page, the callback with its
state, code and PKCE verifier, and who gets in."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model

from billing.models import Account, AuditAction, AuditEntry, Invitation, Membership, Role
from billing.team import invitations

from .conftest import IN_DOMAIN, INVITED, MEMBER, NAME, STRANGER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_user_model()


@pytest.fixture
def new_page(browser, live_server, prices, oidc):
    contexts = []

    def _page():
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/accounts/login/")
        return page

    yield _page
    for context in contexts:
        context.close()


def _through_provider(page, oidc, person):
    """Clicks the button and signs in on the provider's own page as `person`."""
    username, _, password = person
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    page.wait_for_url(f"{oidc.origin}/accounts/login/**")
    page.fill("#provider-username", username)
    page.fill("#provider-password", password)
    page.click("button[type=submit]")


def test_an_invited_email_joins_with_the_invitations_role(new_page, oidc, live_server, account_a):
    invitation, _ = invitations.invite(None, account_a, INVITED[1].upper(), Role.MEMBER)
    page = new_page()
    _through_provider(page, oidc, INVITED)
    page.wait_for_url(f"{live_server.url}/logs/**")
    user = User.objects.get(email__iexact=INVITED[1])
    assert page.locator(".username").inner_text() == user.username
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).account == account_a
    assert Membership.objects.get(user=user).role == Role.MEMBER
    assert Invitation.objects.get(pk=invitation.pk).state == "accepted"
    accepted = AuditEntry.objects.filter(action=AuditAction.INVITATION_ACCEPTED, actor=user)
    assert accepted.count() == 1
    signed_in = AuditEntry.objects.get(action=AuditAction.SIGNIN_SUCCEEDED)
    assert (signed_in.actor, signed_in.account, signed_in.details) == (
        user,
        account_a,
        {"method": "oidc"},
    )


def test_an_allowed_domain_joins_as_viewer(new_page, oidc, live_server, account_a, account_b):
    Account.objects.filter(pk=account_a.pk).update(allowed_email_domains="other.test, acme.test")
    page = new_page()
    _through_provider(page, oidc, IN_DOMAIN)
    page.wait_for_url(f"{live_server.url}/logs/**")
    user = User.objects.get(email=IN_DOMAIN[1])
    memberships = Membership.objects.filter(user=user)
    assert [(m.account, m.role) for m in memberships] == [(account_a, Role.VIEWER)]
    joined = AuditEntry.objects.get(action=AuditAction.MEMBER_JOINED, actor=user)
    assert joined.account == account_a


def test_a_stranger_is_refused_and_no_user_is_made(new_page, oidc, live_server, account_a):
    Account.objects.filter(pk=account_a.pk).update(allowed_email_domains="acme.test")
    users_before = User.objects.count()
    page = new_page()
    _through_provider(page, oidc, STRANGER)
    page.wait_for_url(f"{live_server.url}/accounts/oidc/callback/**")
    assert page.get_by_role("heading").inner_text() == "No access yet"
    assert STRANGER[1] in page.locator("main").inner_text()
    assert page.locator(".topbar .brand").is_visible()  # the site's layout
    assert User.objects.count() == users_before
    assert not User.objects.filter(email=STRANGER[1]).exists()
    # One entry for the attempt, with no account (only /admin/ shows it).
    refused = AuditEntry.objects.get()
    assert refused.action == AuditAction.SIGNIN_REFUSED and refused.account is None
    assert refused.actor_name == STRANGER[1] and refused.details["reason"] == "not_invited"
    page.goto(f"{live_server.url}/logs/")
    assert urlsplit(page.url).path == "/accounts/login/"


def test_a_tampered_state_is_refused_and_the_real_one_then_signs_in(
    new_page, oidc, live_server, owner
):
    User.objects.filter(pk=owner.pk).update(email=MEMBER[1])
    page = new_page()
    start = f"{live_server.url}/accounts/oidc/login/**"

    def _tamper(route):
        # Our redirect to the provider, its state changed on the way: the provider echoes
        # the changed state back to the callback.
        response = route.fetch(max_redirects=0)
        location = urlsplit(response.headers["location"])
        query = dict(parse_qsl(location.query))
        query["state"] = query["state"][::-1]
        tampered = location._replace(query=urlencode(query)).geturl()
        route.fulfill(response=response, headers={**response.headers, "location": tampered})

    page.route(start, _tamper)
    _through_provider(page, oidc, MEMBER)
    page.wait_for_url(f"{live_server.url}/accounts/oidc/callback/**")
    page.unroute(start)
    assert page.get_by_role("heading").inner_text() == "Sign-in failed"
    failed = AuditEntry.objects.get()
    assert failed.action == AuditAction.SIGNIN_FAILED and failed.details["method"] == "oidc"
    page.goto(f"{live_server.url}/logs/")
    assert urlsplit(page.url).path == "/accounts/login/"

    # The provider remembers its own sign-in: the button now comes straight back, with a
    # state this browser started, and the member is in.
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    page.wait_for_url(f"{live_server.url}/logs/**")
    assert page.locator(".username").inner_text() == "owner"
    assert AuditEntry.objects.filter(action=AuditAction.SIGNIN_SUCCEEDED, actor=owner).count() == 1


def test_signing_out_offers_the_providers_sign_out_which_ends_its_session_too(
    new_page, oidc, live_server, owner
):
    User.objects.filter(pk=owner.pk).update(email=MEMBER[1])
    page = new_page()
    _through_provider(page, oidc, MEMBER)
    page.wait_for_url(f"{live_server.url}/logs/**")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_test_id("signed-out").wait_for()
    # Signed out of ZenLogs (in another tab, the list asks to sign in), not of the provider.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/logs/")
    assert urlsplit(other.url).path == "/accounts/login/"
    other.close()
    page.get_by_test_id("provider-sign-out").click()
    # The provider ends its own session and sends the browser back to the sign-in page...
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    # ...so its button now asks for the provider's password again.
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    page.wait_for_url(f"{oidc.origin}/accounts/login/**")
    assert page.locator("#provider-password").is_visible()
