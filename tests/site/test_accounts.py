"""Signing in, switching accounts, and what each account's members can see."""

import pytest

from billing.models import Account, Membership
from tests.factories import ACCOUNT_B, KEY_B, make_record, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(owner, outsider):
    """The owner belongs to both accounts (A sorts first, so it is the default); the outsider
    only to B."""
    Account.objects.filter(external_id=ACCOUNT_B).update(name="Beta")
    Account.objects.filter(external_id="2533AC0Q5MIe14613672").update(name="Alpha")
    Membership.objects.create(
        user=owner, account=Account.objects.get(external_id=ACCOUNT_B), role="owner"
    )
    store(
        make_record(generationId="IN-A"),
        make_record(generationId="IN-B", accountId=ACCOUNT_B, apiKeyId=KEY_B),
    )
    return owner


def _ids(response):
    return [g.generation_id for g in response.context["rows"]]


def test_a_member_of_several_accounts_switches_in_the_header(owner_client, both):
    page = owner_client.get("/logs/")
    assert _ids(page) == ["IN-A"]
    assert b'name="account"' in page.content  # the switcher is shown
    b = Account.objects.get(external_id=ACCOUNT_B)
    # The switcher names accounts by their external id, never by a row id.
    assert f'<option value="{b.external_id}"'.encode() in page.content
    assert f'value="{b.pk}"'.encode() not in page.content
    switched = owner_client.post(
        "/accounts/switch/", {"account": b.external_id, "next": "/logs/?model=x"}
    )
    assert switched.status_code == 302 and switched["Location"] == "/logs/"
    assert _ids(owner_client.get("/logs/")) == ["IN-B"]
    # The details page of either account still opens: both are the user's.
    assert owner_client.get("/logs/IN-A/").status_code == 200


def _switch(client, account_id, next_url):
    return client.post("/accounts/switch/", {"account": account_id, "next": next_url})


def test_switching_on_another_accounts_generation_goes_to_the_new_accounts_list(owner_client, both):
    # On A's generation (A active), switching to B: the page would still open, as the user's,
    # under a header naming B; the switch goes to B's list instead, its filters left behind.
    for next_url in ["/logs/IN-A/?view=json&model=x", "/logs/IN-A/raw/user_request"]:
        switched = _switch(owner_client, ACCOUNT_B, next_url)
        assert switched.status_code == 302 and switched["Location"] == "/logs/"
    assert _ids(owner_client.get("/logs/")) == ["IN-B"]
    # An id that names no generation of the new account, or none at all, the same.
    assert _switch(owner_client, ACCOUNT_B, "/logs/NOPE/")["Location"] == "/logs/"


def test_switching_on_the_chosen_accounts_generation_stays_on_it(owner_client, both):
    switched = _switch(owner_client, ACCOUNT_B, "/logs/IN-B/?view=json")
    assert switched["Location"] == "/logs/IN-B/"
    # Other pages are kept, as before.
    assert _switch(owner_client, ACCOUNT_B, "/billing/usage/?by=key")["Location"] == (
        "/billing/usage/"
    )


def test_the_details_page_names_the_generations_account(owner_client, both):
    page = owner_client.get("/logs/IN-A/").content.decode()
    assert 'data-testid="generation-account">Alpha<' in page
    assert "other-account-note" not in page
    _switch(owner_client, ACCOUNT_B, "/logs/")
    # Still the user's, so it opens; the page says whose it is, as the header now names Beta.
    page = owner_client.get("/logs/IN-A/").content.decode()
    assert 'data-testid="generation-account">Alpha<' in page
    assert "This generation is in the account Alpha, not the one chosen in the header." in page


def test_switching_to_an_account_you_are_not_in_is_404(outsider_client, both):
    a = Account.objects.get(external_id="2533AC0Q5MIe14613672")
    assert outsider_client.post("/accounts/switch/", {"account": a.external_id}).status_code == 404
    assert outsider_client.get("/logs/IN-A/").status_code == 404


def test_switch_ignores_an_offsite_next(owner_client, both):
    b = Account.objects.get(external_id=ACCOUNT_B)
    response = owner_client.post(
        "/accounts/switch/", {"account": b.external_id, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/logs/"


@pytest.mark.parametrize("account", ["", "\x00", "a" * 65])
def test_a_malformed_account_switch_is_400_naming_the_field(owner_client, both, account):
    response = owner_client.post("/accounts/switch/", {"account": account})
    assert response.status_code == 400
    assert response.content.decode().startswith("Invalid account switch: account:")


@pytest.mark.parametrize("account", ["abc", "1.5", "1", "-1", "99999999999999999999999"])
def test_an_account_id_that_names_none_of_yours_is_404(owner_client, both, account):
    assert owner_client.post("/accounts/switch/", {"account": account}).status_code == 404


def test_login_with_username_and_password(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/logs/"
    bad = client.post("/accounts/login/", {"username": "owner", "password": "nope"})
    assert b"didn't match" in bad.content


def test_session_and_csrf_cookies_are_httponly(client, owner):
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw"})
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"
    page = client.get("/logs/")
    csrf = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    assert csrf is not None and csrf["httponly"]


def test_times_are_shown_in_the_users_zone(owner_client, owner):
    store(make_record(generationId="TZ1", createdAt="2025-08-22T02:49:18+00:00"))
    owner_client.cookies["tz"] = "Asia%2FTokyo"  # as app.js writes it
    body = owner_client.get("/logs/", {"range": "all"}).content.decode()
    assert "2025-08-22 11:49:18" in body and "Asia/Tokyo" in body
    owner_client.cookies["tz"] = "Not/AZone"
    body = owner_client.get("/logs/", {"range": "all"}).content.decode()
    assert "2025-08-22 02:49:18" in body


def test_a_user_in_no_account_gets_a_404_not_a_crash(client, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("lonely", password="pw")
    client.force_login(user)
    assert client.get("/logs/").status_code == 404
