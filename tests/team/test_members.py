"""/settings/members/: the member list, invitations (page and invite_member), accepting a
link, roles and the last owner."""

import html as html_module
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing.models import Account, Invitation, Membership, Role
from billing.team import invitations
from billing.team import views as team_views
from tests.factories import ACCOUNT_A

pytestmark = pytest.mark.django_db


def _role(username):
    return Membership.objects.get(user__username=username, account__external_id=ACCOUNT_A).role


def _token(link):
    return link.rstrip("/").rsplit("/", 1)[1]


def test_the_page_lists_members_with_email_role_and_last_sign_in(as_role, members):
    members[Role.MEMBER].email = "m@example.com"
    members[Role.MEMBER].last_login = timezone.now()
    members[Role.MEMBER].save()
    page = as_role(Role.ADMIN).get("/settings/members/")
    assert page.status_code == 200
    html = page.content.decode()
    for role in Role:
        assert f'data-member="{members[role].username}"' in html
    assert "m@example.com" in html and "never" in html
    # An admin may not touch owners: their row has no role form or Remove button.
    assert f"/settings/members/{members[Role.OWNER].username}/role" not in html


def _listed(html):
    return re.findall(r'data-member="([^"]+)"', html)


def _next(html):
    found = re.search(r'href="([^"]+)" data-testid="members-next"', html)
    return found and html_module.unescape(found.group(1))


def test_members_come_a_page_at_a_time_by_username_and_can_be_found(
    as_role, members, outsider, monkeypatch
):
    monkeypatch.setattr(team_views, "MEMBERS_PAGE_SIZE", 2)
    members[Role.MEMBER].email = "m@example.com"
    members[Role.MEMBER].save()
    client = as_role(Role.ADMIN)
    first = client.get("/settings/members/").content.decode()
    assert _listed(first) == ["admin", "member"]
    assert _next(first) == "/settings/members/?after=member"
    second = client.get(_next(first)).content.decode()
    assert _listed(second) == ["owner", "viewer"]  # never the outsider, of account B
    assert _next(second) is None and 'href="/settings/members/"' in second  # First page
    # Found by username, email or name, paged the same way.
    assert _listed(client.get("/settings/members/", {"q": "VIEW"}).content.decode()) == ["viewer"]
    assert _listed(client.get("/settings/members/", {"q": "example"}).content.decode()) == [
        "member"
    ]
    none = client.get("/settings/members/", {"q": "outsider"}).content.decode()
    assert _listed(none) == [] and "No member matches." in none
    # A refused change answers with the first page at its own URL: the links lead to the list.
    refused = client.post("/settings/members/viewer/role", {"role": "emperor"})
    assert refused.status_code == 400
    assert _next(refused.content.decode()) == "/settings/members/?after=member"


def test_a_bad_find_is_a_400_naming_the_field(as_role):
    response = as_role(Role.ADMIN).get("/settings/members/", {"q": "x" * 151})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<code>q</code>" in html and _listed(html) == []


def test_an_admin_invites_by_email_and_sees_the_link_once(as_role):
    client = as_role(Role.ADMIN)
    page = client.post("/settings/members/invite", {"email": "new@example.com", "role": "viewer"})
    assert page.status_code == 200
    link = page.context["invite_link"]
    assert link.startswith("http://testserver/invitations/zl_inv_")
    assert link in page.content.decode()
    (message,) = mail.outbox
    assert message.to == ["new@example.com"] and link in message.body
    invitation = Invitation.objects.get()
    assert invitation.role == "viewer" and invitation.created_by.username == "admin"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    # Stored hashed: the token is nowhere in the row.
    assert _token(link) not in str(Invitation.objects.values().get())
    again = client.get("/settings/members/").content.decode()
    assert link not in again and "new@example.com" in again  # pending, link gone


def test_an_invitation_needs_a_valid_email_and_only_an_owner_invites_owners(as_role):
    client = as_role(Role.ADMIN)
    bad = client.post("/settings/members/invite", {"email": "nope", "role": "member"})
    assert bad.status_code == 400 and "email" in bad.context["invite_form"].errors
    owner = client.post("/settings/members/invite", {"email": "a@example.com", "role": "owner"})
    assert owner.status_code == 400 and "role" in owner.context["invite_form"].errors
    assert not Invitation.objects.exists() and not mail.outbox
    ok = as_role(Role.OWNER).post(
        "/settings/members/invite", {"email": "a@example.com", "role": "owner"}
    )
    assert ok.status_code == 200 and Invitation.objects.get().role == "owner"


def test_invite_member_prints_the_link_on_its_last_line(owner, settings):
    settings.SITE_URL = "https://logs.example.com/"
    out = StringIO()
    call_command("invite_member", ACCOUNT_A, "cli@example.com", "--role", "admin", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith("https://logs.example.com/invitations/zl_inv_")
    invitation = invitations.find(_token(link))
    assert invitation.email == "cli@example.com" and invitation.role == "admin"
    assert mail.outbox[0].to == ["cli@example.com"]
    with pytest.raises(Exception, match="ACCOUNT_ID"):
        call_command("invite_member", "NOSUCHACCOUNT", "x@example.com", stdout=StringIO())
    with pytest.raises(Exception, match="EMAIL"):
        call_command("invite_member", ACCOUNT_A, "not-an-email", stdout=StringIO())


def test_a_new_user_accepts_by_choosing_username_and_password(client, owner):
    account = Account.objects.get(external_id=ACCOUNT_A)
    _, link = invitations.invite(None, account, "new@example.com", Role.MEMBER)
    url = link.replace("http://127.0.0.1:8000", "")
    assert client.get(url).status_code == 200
    weak = client.post(url, {"username": "newbie", "password1": "123", "password2": "123"})
    assert weak.status_code == 400 and "password1" in weak.context["form"].errors
    taken = client.post(url, {"username": "owner", "password1": "x", "password2": "x"})
    assert "username" in taken.context["form"].errors
    good = "a long and unusual passphrase"
    joined = client.post(url, {"username": "newbie", "password1": good, "password2": good})
    assert joined.status_code == 302 and joined["Location"] == "/logs/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new@example.com" and user.check_password(good)
    assert _role("newbie") == "member"
    assert client.get("/logs/").status_code == 200  # signed in
    client.logout()
    used = client.get(url)
    assert used.status_code == 410 and "already used" in used.content.decode()


def test_an_existing_user_signs_in_then_joins(client, outsider, owner):
    account = Account.objects.get(external_id=ACCOUNT_A)
    _, link = invitations.invite(None, account, "outsider@example.com", Role.VIEWER)
    url = link.replace("http://127.0.0.1:8000", "")
    page = client.get(url).content.decode()
    assert f"/accounts/login/?next={url}" in page
    client.force_login(outsider)
    assert client.post(url).status_code == 302
    assert _role("outsider") == "viewer"
    assert Invitation.objects.get().accepted_by == outsider


def test_revoked_expired_and_unknown_links_say_so(client, as_role, owner):
    account = Account.objects.get(external_id=ACCOUNT_A)
    revoked, revoked_link = invitations.invite(None, account, "r@example.com", Role.MEMBER)
    expired, expired_link = invitations.invite(None, account, "e@example.com", Role.MEMBER)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    admin = as_role(Role.ADMIN)
    page = admin.get("/settings/members/").content.decode()
    assert "r@example.com" in page and "e@example.com" not in page  # pending only
    from zenlogs.sealed import seal

    assert admin.post(f"/settings/invitations/{seal(revoked.pk)}/revoke").status_code == 302
    admin.logout()
    for link, word in ((revoked_link, "revoked"), (expired_link, "expired")):
        answer = client.get(link.replace("http://127.0.0.1:8000", ""))
        assert answer.status_code == 410 and word in answer.content.decode()
        posted = client.post(
            link.replace("http://127.0.0.1:8000", ""),
            {"username": "x1", "password1": "a long passphrase", "password2": "a long passphrase"},
        )
        assert posted.status_code == 410
    assert client.get("/invitations/zl_inv_nothing/").status_code == 404
    assert not get_user_model().objects.filter(username="x1").exists()


def test_pending_for_email_and_accept_are_single_use(owner, outsider):
    account = Account.objects.get(external_id=ACCOUNT_A)
    invitation, _ = invitations.invite(None, account, "Outsider@Example.com", Role.ADMIN)
    assert invitations.pending_for_email("outsider@example.com") == invitation
    membership = invitations.accept(invitation, outsider)
    assert membership.role == "admin" and membership.account == account
    assert invitations.pending_for_email("outsider@example.com") is None
    with pytest.raises(invitations.InvitationNotValid):
        invitations.accept(invitation, outsider)


def test_an_admin_changes_roles_but_not_owners(as_role, members):
    admin = as_role(Role.ADMIN)
    assert admin.post("/settings/members/member/role", {"role": "viewer"}).status_code == 302
    assert _role("member") == "viewer"
    assert admin.post("/settings/members/member/role", {"role": "owner"}).status_code == 403
    assert admin.post("/settings/members/owner/role", {"role": "viewer"}).status_code == 403
    assert admin.post("/settings/members/owner/remove").status_code == 403
    bad = admin.post("/settings/members/member/role", {"role": "boss"})
    assert bad.status_code == 400 and "role" in bad.context["role_error"]
    assert admin.post("/settings/members/nobody/role", {"role": "viewer"}).status_code == 404
    assert _role("owner") == "owner" and _role("member") == "viewer"


def test_an_owner_makes_and_removes_owners_but_never_the_last(as_role, members):
    owner = as_role(Role.OWNER)
    demote = owner.post("/settings/members/owner/role", {"role": "admin"})
    assert demote.status_code == 400 and "last owner" in demote.content.decode()
    remove = owner.post("/settings/members/owner/remove")
    assert remove.status_code == 400 and "last owner" in remove.content.decode()
    assert owner.post("/settings/members/admin/role", {"role": "owner"}).status_code == 302
    assert owner.post("/settings/members/owner/role", {"role": "member"}).status_code == 302
    assert _role("owner") == "member" and _role("admin") == "owner"


def test_removing_a_member_ends_their_access(as_role, members, client):
    assert as_role(Role.ADMIN).post("/settings/members/member/remove").status_code == 302
    assert not Membership.objects.filter(user=members[Role.MEMBER]).exists()
    client.force_login(members[Role.MEMBER])
    assert client.get("/logs/").status_code == 404


def test_create_user_takes_a_role_default_member(db):
    call_command(
        "create_user", "ann", "--account", "ACCNEW01", "--password", "x", stdout=StringIO()
    )
    call_command(
        "create_user", "bob", "--account", "ACCNEW01", "--role", "admin", stdout=StringIO()
    )
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"ann": "member", "bob": "admin"}
    # Run again without --role, an existing membership keeps its role.
    call_command(
        "create_user", "bob", "--account", "ACCNEW01", "--password", "y", stdout=StringIO()
    )
    assert Membership.objects.get(user__username="bob").role == "admin"


def test_accounts_allowing_an_email_domain(owner, outsider):
    Account.objects.filter(external_id=ACCOUNT_A).update(
        allowed_email_domains="example.com, @Corp.example\nother.org"
    )
    assert [a.external_id for a in invitations.accounts_allowing("x@corp.EXAMPLE")] == [ACCOUNT_A]
    assert [a.external_id for a in invitations.accounts_allowing("y@other.org")] == [ACCOUNT_A]
    assert invitations.accounts_allowing("z@sub.example.com") == []
    assert invitations.accounts_allowing("no-at-sign") == []


def test_email_url_names_an_smtp_server():
    from django.core.exceptions import ImproperlyConfigured

    from zenlogs.settings import _email

    tls = _email("submission://mailer:p%40ss@smtp.example.com")
    assert tls["EMAIL_HOST"] == "smtp.example.com" and tls["EMAIL_PORT"] == 587
    assert tls["EMAIL_HOST_USER"] == "mailer" and tls["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert tls["EMAIL_USE_TLS"] and not tls["EMAIL_USE_SSL"]
    ssl = _email("smtps://smtp.example.com")
    assert ssl["EMAIL_PORT"] == 465 and ssl["EMAIL_USE_SSL"]
    assert ssl["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        _email("http://smtp.example.com")
