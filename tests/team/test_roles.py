"""The role rules, URL by URL: one test walks the whole URL configuration and asks every URL
as every role, checking the answer against RULES. A URL added without a rule fails it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from billing.models import Membership, Role
from billing.team import invitations
from billing.team.permissions import CAPABILITIES, role_allows
from logs.models import ApiToken, IngestToken
from tests.factories import make_generation
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db

ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]

# Route (as written in the URL configuration) -> who may use it. A capability
# (billing/team/permissions.py) means: the roles that have it get an answer, the others the
# 403 page. "anyone": no role needed (public, or sign-in pages). "signed_in": any role.
# "token": answers to a bearer token, not to a role (401 here, where none is sent).
# "staff": Django's admin, for staff users only, whatever their role.
RULES = {
    "": "anyone",
    "accounts/login/": "anyone",
    "accounts/oidc/login/": "anyone",
    "accounts/oidc/callback/": "anyone",
    "accounts/logout/": "signed_in",
    "accounts/password/": "signed_in",
    "accounts/password/done/": "signed_in",
    "accounts/switch/": "signed_in",
    "accounts/language/": "anyone",
    "jsi18n/": "anyone",
    "healthz": "anyone",
    "api/openapi.json": "anyone",
    "api/v1/generation": "read_logs",
    "api/v1/generations": "token",
    "v1/traces": "token",
    "v1/logs": "token",
    "logs/": "read_logs",  # the list, and the prefix of the next three
    "logs/export.csv": "download",
    "logs/<str:generation_id>/": "read_logs",
    "logs/<str:generation_id>/raw/<str:stage>": "download",
    "logs/<str:generation_id>/cost": "read_logs",
    "billing/": "billing",
    "billing/usage/": "read_logs",
    "settings/members/": "manage_members",
    "settings/members/invite": "manage_members",
    "settings/members/<str:username>/role": "manage_members",
    "settings/members/<str:username>/remove": "manage_members",
    "settings/invitations/<str:invitation_id>/revoke": "manage_members",
    "invitations/<str:token>/": "anyone",
    "settings/tokens/": "personal_tokens",
    "settings/tokens/personal": "personal_tokens",
    "settings/tokens/personal/<str:token_id>/revoke": "personal_tokens",
    "settings/tokens/ingest": "ingest_tokens",
    "settings/tokens/ingest/<str:token_id>/revoke": "ingest_tokens",
    "settings/audit/": "audit_log",
    "admin/": "staff",
}


def _routes(patterns, prefix=""):
    """(route, pattern) for every URL; Django's admin, a URL set of its own with one rule,
    counts as one route."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if RULES.get(route) == "staff":
                yield route, entry
            else:
                yield from _routes(entry.url_patterns, route)
        else:
            assert isinstance(entry, URLPattern)
            yield route, entry


def _url(route, values):
    path = route
    for name, value in values.items():
        path = path.replace(f"<str:{name}>", value)
    assert "<" not in path, f"no sample value for a parameter of {route!r}"
    return "/" + path


def test_every_url_answers_every_role_as_the_rules_say(client, members):
    generation = make_generation(
        stages={"user_request": {"headers": {"content-type": "application/json"}, "body": {}}}
    )
    account = members[Role.OWNER].memberships.get().account
    invitation, _ = invitations.invite(None, account, "new@example.com", Role.MEMBER)
    values = {
        "generation_id": generation.generation_id,
        "stage": "user_request",
        "username": "nobody-such",
        "invitation_id": seal(invitation.pk),
        # A link that names no invitation: a signed-in POST to a real one would accept it.
        "token": "zl_inv_" + "x" * 43,
        "token_id": seal(2**40),
    }
    routes = list(_routes(get_resolver().url_patterns))
    missing = [route for route, _ in routes if route not in RULES]
    assert not missing, f"URLs without a rule in RULES: {missing}"
    assert {route for route, _ in routes} == set(RULES), "RULES names a URL that is gone"

    wrong = []
    for role in ROLES:
        client.force_login(members[role])
        for route, _ in routes:
            rule = RULES[route]
            url = _url(route, values)
            # Each URL both ways: a POST-only view is refused (403) before its method is.
            for method in (client.get, client.post):
                status = method(url).status_code
                if rule in ("anyone", "signed_in"):
                    ok = status != 403 and status < 500
                elif rule == "token":
                    ok = status in (401, 405)
                elif rule == "staff":
                    ok = status == 302  # to the admin's own sign-in: none of them is staff
                elif role_allows(role, rule):
                    ok = status != 403 and status < 500
                else:
                    ok = status == 403
                if not ok:
                    wrong.append((role.value, method.__name__, url, rule, status))
            if rule in CAPABILITIES and not role_allows(role, rule):
                # The htmx partial of a refused page is refused too.
                status = client.get(url, HTTP_HX_REQUEST="true").status_code
                if status != 403:
                    wrong.append((role.value, "htmx get", url, rule, status))
            if route == "accounts/logout/":
                client.force_login(members[role])  # signed out by the POST
        client.logout()
    assert not wrong, wrong
    # The requests carried no form data: no role changed, no token was made.
    assert {m.user.username: m.role for m in Membership.objects.select_related("user")} == {
        user.username: role for role, user in members.items()
    }
    assert not ApiToken.objects.exists() and not IngestToken.objects.exists()


def test_the_navigation_shows_only_what_the_role_may_use(as_role):
    links = {
        "/billing/": "billing",
        "/settings/members/": "manage_members",
        "/settings/tokens/": "personal_tokens",
        "/settings/audit/": "audit_log",
    }
    for role in ROLES:
        html = as_role(role).get("/billing/usage/").content.decode()
        nav = html.split('<nav class="mainnav">')[1].split("</nav>")[0]
        for href, capability in links.items():
            assert (f'href="{href}"' in nav) == role_allows(role, capability), (role, href)


def test_a_forbidden_page_is_the_403_page_in_the_layout(as_role):
    page = as_role(Role.VIEWER).get("/billing/", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 403
    assert 'class="topbar"' in html and "Your role in this account (viewer)" in html


def test_a_viewer_sees_no_download_export_or_curl(as_role):
    generation = make_generation(
        stages={"user_request": {"headers": {"content-type": "application/json"}, "body": {}}}
    )
    for role, shown in ((Role.VIEWER, False), (Role.MEMBER, True)):
        client = as_role(role)
        detail = client.get(f"/logs/{generation.generation_id}/").content.decode()
        assert ("Download raw" in detail) == shown
        assert ("Copy as cURL" in detail) == shown
        assert ('data-testid="export-csv"' in client.get("/logs/").content.decode()) == shown


def test_a_personal_token_reads_only_while_its_owner_may_hold_one(client, members):
    generation = make_generation()
    raw = ApiToken.issue(user=members[Role.MEMBER], name="t")[1]
    url = f"/api/v1/generation?id={generation.generation_id}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    Membership.objects.filter(user=members[Role.MEMBER]).update(role=Role.VIEWER)
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404
    # Signed in, a viewer reads the same generation's raw metadata (the details page's).
    client.force_login(members[Role.MEMBER])
    assert client.get(url).status_code == 200
