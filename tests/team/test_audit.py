"""The audit log: each action it covers leaves exactly one entry, and /settings/audit/
shows an account's entries, filtered and paged like the logs."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from billing.models import Account, AuditAction, AuditEntry, Role
from billing.team import audit, invitations
from tests.factories import ACCOUNT_A, make_generation
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db


def _only(action):
    """The one entry of that action (fails on none or more than one)."""
    (entry,) = AuditEntry.objects.filter(action=action)
    return entry


def test_sign_ins_succeeded_failed_and_locked_out(client, members):
    assert client.post("/accounts/login/", {"username": "member", "password": "pw"}).status_code
    entry = _only(AuditAction.SIGNIN_SUCCEEDED)
    assert entry.actor == members[Role.MEMBER] and entry.ip_address == "127.0.0.1"
    assert entry.account.external_id == ACCOUNT_A and entry.details == {"method": "password"}
    client.logout()
    for _ in range(4):
        client.post("/accounts/login/", {"username": "member", "password": "wrong"})
    assert AuditEntry.objects.filter(action=AuditAction.SIGNIN_FAILED).count() == 4
    # The fifth failure starts the lockout; a later attempt is refused by it.
    client.post("/accounts/login/", {"username": "member", "password": "wrong"})
    assert _only(AuditAction.SIGNIN_LOCKED_OUT).actor_name == "member"
    assert (
        client.post("/accounts/login/", {"username": "member", "password": "pw"}).status_code == 429
    )
    assert AuditEntry.objects.filter(action=AuditAction.SIGNIN_LOCKED_OUT).count() == 2
    assert AuditEntry.objects.filter(action=AuditAction.SIGNIN_FAILED).count() == 4
    # A username nobody has: one entry, in no account (only /admin/ shows it).
    client.post("/accounts/login/", {"username": "ghost", "password": "x"})
    ghost = AuditEntry.objects.get(actor_name="ghost")
    assert ghost.account is None and ghost.actor is None


def test_password_changed(client, members):
    client.force_login(members[Role.VIEWER])
    new = "a long and unusual passphrase"
    client.post(
        "/accounts/password/",
        {"old_password": "pw", "new_password1": new, "new_password2": new},
    )
    assert _only(AuditAction.PASSWORD_CHANGED).actor == members[Role.VIEWER]


def test_invitation_sent_accepted_and_revoked(as_role, client):
    admin = as_role(Role.ADMIN)
    link = admin.post(
        "/settings/members/invite", {"email": "a@example.com", "role": "member"}
    ).context["invite_link"]
    sent = _only(AuditAction.INVITATION_SENT)
    assert sent.actor_name == "admin" and sent.details == {
        "email": "a@example.com",
        "role": "member",
    }
    assert sent.object_type == "invitation" and sent.object_ref == "a@example.com"
    other, _ = invitations.invite(None, sent.account, "b@example.com", Role.VIEWER)
    admin.post(f"/settings/invitations/{seal(other.pk)}/revoke")
    assert _only(AuditAction.INVITATION_REVOKED).details == {"email": "b@example.com"}
    admin.logout()
    good = "a long and unusual passphrase"
    client.post(link, {"username": "ann", "password1": good, "password2": good})
    accepted = _only(AuditAction.INVITATION_ACCEPTED)
    assert accepted.actor_name == "ann" and accepted.account == sent.account


def test_role_changed_and_member_removed(as_role):
    admin = as_role(Role.ADMIN)
    admin.post("/settings/members/member/role", {"role": "viewer"})
    changed = _only(AuditAction.ROLE_CHANGED)
    assert changed.object_ref == "member"
    assert changed.details == {"old_role": "member", "new_role": "viewer"}
    admin.post("/settings/members/member/role", {"role": "viewer"})  # no change, no entry
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 1
    admin.post("/settings/members/viewer/remove")
    assert _only(AuditAction.MEMBER_REMOVED).object_ref == "viewer"


def test_token_created_and_revoked(as_role):
    admin = as_role(Role.ADMIN)
    admin.post("/settings/tokens/ingest", {"ingest-name": "gw"})
    created = _only(AuditAction.TOKEN_CREATED)
    assert created.details == {"kind": "ingest"} and created.object_ref.startswith("gw (")
    from logs.models import IngestToken

    admin.post(f"/settings/tokens/ingest/{seal(IngestToken.objects.get().pk)}/revoke")
    assert _only(AuditAction.TOKEN_REVOKED).object_ref == created.object_ref


def test_csv_export_with_its_filters_and_raw_download(as_role):
    generation = make_generation(
        stages={"user_request": {"headers": {"content-type": "application/json"}, "body": {}}}
    )
    client = as_role(Role.MEMBER)
    response = client.get("/logs/export.csv?q=hello&range=24h")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    export = _only(AuditAction.EXPORT)
    assert export.details == {
        "format": "csv",
        "filters": {"q": ["hello"], "range": ["24h"]},
    }
    client.get(f"/logs/{generation.generation_id}/raw/user_request")
    download = _only(AuditAction.STAGE_DOWNLOADED)
    assert download.object_ref == generation.generation_id
    assert download.details == {"stage": "user_request"}
    shown = as_role(Role.ADMIN).get("/settings/audit/").content.decode()
    assert "q=hello range=24h" in shown and "Raw stage downloaded" in shown


def test_jsonl_export_plan_and_credit_commands(owner):
    call_command(
        "export_generations",
        "--account",
        ACCOUNT_A,
        "--q",
        "hello",
        "--cost-min",
        "0.5",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    export = _only(AuditAction.EXPORT)
    assert export.details == {"format": "jsonl", "filters": {"q": "hello", "cost_min": "0.5"}}
    assert export.ip_address is None and export.actor is None
    call_command("set_plan", ACCOUNT_A, "subscription", stdout=StringIO())
    plan = _only(AuditAction.PLAN_CHANGED)
    assert plan.details["new"] == "subscription" and plan.details["via"] == "command"
    call_command("credit", ACCOUNT_A, "12.50", "--wallet", "purchased", stdout=StringIO())
    assert _only(AuditAction.CREDIT_ADDED).details["amount"] == "12.50"


def test_a_plan_change_in_the_admin(client, owner):
    admin = get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    client.force_login(admin)
    account = Account.objects.get(external_id=ACCOUNT_A)
    response = client.post(
        f"/admin/billing/account/{account.pk}/change/",
        {
            "external_id": ACCOUNT_A,
            "name": account.name,
            "plan": "subscription",
            "allowed_email_domains": "example.com",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    plan = _only(AuditAction.PLAN_CHANGED)
    assert plan.actor == admin and plan.details["via"] == "admin"
    # The audit log itself is read-only there.
    assert client.get("/admin/billing/auditentry/").status_code == 200
    assert client.get("/admin/billing/auditentry/add/").status_code == 403


def test_admins_read_their_accounts_log_filtered_and_paged(as_role, members, outsider):
    account = Account.objects.get(external_id=ACCOUNT_A)
    client = as_role(Role.ADMIN)
    AuditEntry.objects.all().delete()  # the sign-in just recorded: this test counts entries
    start = timezone.now() - timedelta(hours=1)
    for n in range(55):
        entry = audit.record(None, account, AuditAction.EXPORT, actor=members[Role.MEMBER])[0]
        entry.created_at = start + timedelta(seconds=n)
        entry.save()
    audit.record(None, account, AuditAction.ROLE_CHANGED, "viewer", actor=members[Role.OWNER])
    audit.record(None, outsider.memberships.get().account, AuditAction.EXPORT, actor=outsider)
    first = client.get("/settings/audit/")
    assert first.status_code == 200
    assert len(first.context["entries"]) == 50
    assert first.context["entries"][0].action == AuditAction.ROLE_CHANGED  # newest first
    cursor = first.context["older_cursor"]
    older = client.get(f"/settings/audit/?cursor={cursor}")
    assert len(older.context["entries"]) == 6 and older.context["older_cursor"] is None
    partial = client.get(f"/settings/audit/?cursor={cursor}", HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and html.count('data-action="export"') == 6
    seen = {e.pk for e in first.context["entries"]} | {e.pk for e in older.context["entries"]}
    assert seen == set(AuditEntry.objects.filter(account=account).values_list("pk", flat=True))
    by_owner = client.get("/settings/audit/?actor=owner").context["entries"]
    assert [e.action for e in by_owner] == [AuditAction.ROLE_CHANGED]
    roles = client.get("/settings/audit/?action=member.role_changed").context["entries"]
    assert len(roles) == 1
    assert client.get("/settings/audit/?actor=outsider").context["entries"] == []
    bad = client.get("/settings/audit/?action=nonsense&cursor=garbage")
    assert bad.status_code == 400 and {"action", "cursor"} <= set(bad.context["params"].errors)
