"""/settings/tokens/: members' personal API read tokens, admins' ingest tokens of the
account; a token is shown once, and revoking it refuses the next request."""

import pytest

from billing.models import Role
from logs.models import ApiToken, IngestToken
from tests.factories import make_generation, make_record, post_records
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db


def test_a_member_creates_uses_and_revokes_a_personal_token(as_role, client):
    member = as_role(Role.MEMBER)
    page = member.post("/settings/tokens/personal", {"personal-name": "laptop"})
    assert page.status_code == 200
    raw = page.context["new_token"]
    html = page.content.decode()
    assert raw in html and 'data-testid="copy-token"' in html
    token = ApiToken.objects.get()
    assert token.name == "laptop" and token.user.username == "member"
    assert raw not in str(ApiToken.objects.values().get())  # stored hashed
    listed = member.get("/settings/tokens/").content.decode()
    assert raw not in listed and token.hint in listed and "laptop" in listed
    assert "Ingest tokens" not in listed  # members manage only their own
    generation = make_generation()
    url = f"/api/v1/generation?id={generation.generation_id}"
    member.logout()
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    member = as_role(Role.MEMBER)
    assert member.post(f"/settings/tokens/personal/{seal(token.pk)}/revoke").status_code == 302
    member.logout()
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_token_needs_a_name(as_role):
    page = as_role(Role.MEMBER).post("/settings/tokens/personal", {"personal-name": "  "})
    assert page.status_code == 400 and "name" in page.context["personal_form"].errors
    assert not ApiToken.objects.exists()


def test_an_admin_manages_the_accounts_ingest_tokens(as_role, client):
    admin = as_role(Role.ADMIN)
    page = admin.post("/settings/tokens/ingest", {"ingest-name": "gateway eu"})
    raw = page.context["new_token"]
    token = IngestToken.objects.get()
    assert token.account.external_id == page.context["account"].external_id
    assert token.created_by.username == "admin"
    listed = admin.get("/settings/tokens/").content.decode()
    assert "gateway eu" in listed and token.hint in listed and ">admin<" in listed
    admin.logout()
    assert post_records(client, raw, make_record()).status_code == 200
    admin = as_role(Role.ADMIN)
    assert admin.post(f"/settings/tokens/ingest/{seal(token.pk)}/revoke").status_code == 302
    admin.logout()
    assert post_records(client, raw, make_record()).status_code == 401


def test_tokens_of_others_are_not_found(as_role, members, outsider):
    theirs = ApiToken.issue(user=outsider, name="x")[0]
    elsewhere = IngestToken.issue(name="y", account=outsider.memberships.get().account)[0]
    admin = as_role(Role.ADMIN)
    assert admin.post(f"/settings/tokens/personal/{seal(theirs.pk)}/revoke").status_code == 404
    assert admin.post(f"/settings/tokens/ingest/{seal(elsewhere.pk)}/revoke").status_code == 404
    assert admin.post("/settings/tokens/ingest/garbage/revoke").status_code == 404
    assert not ApiToken.objects.filter(revoked=True).exists()
    assert not IngestToken.objects.filter(revoked=True).exists()
