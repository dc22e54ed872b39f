"""Users change their own password with Django's views, linked from the header."""

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client


def test_header_links_to_the_password_change_page(owner_client):
    page = owner_client.get("/logs/").content.decode()
    assert 'href="/accounts/password/"' in page


def test_password_change_needs_sign_in(client, db):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_changes_their_password_and_signs_in_with_the_new_one(owner_client, client):
    page = owner_client.get("/accounts/password/")
    assert page.status_code == 200
    assert "Old password" in page.content.decode()
    response = owner_client.post(
        "/accounts/password/",
        {
            "old_password": "pw",
            "new_password1": "tangerine-ledger-42",
            "new_password2": "tangerine-ledger-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    assert owner_client.get("/accounts/password/done/").status_code == 200
    user = get_user_model().objects.get(username="owner")
    assert user.check_password("tangerine-ledger-42")
    # Still signed in here: Django rotates the session hash on a password change.
    assert owner_client.get("/logs/").status_code == 200


def test_wrong_old_password_and_weak_new_password_are_named(owner_client):
    response = owner_client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your old password was entered incorrectly" in text
    assert get_user_model().objects.get(username="owner").check_password("pw")
    response = owner_client.post(
        "/accounts/password/",
        {"old_password": "pw", "new_password1": "123", "new_password2": "123"},
    )
    text = response.content.decode()
    assert "This password is too short" in text
    assert "This password is entirely numeric" in text


# ----------------------------------------------------------------------------- lockout
# The current password is guessed as a sign-in's is: its failures count on the sign-in
# lockout (5 per username and address, 15 minutes, 429), and a locked pair is refused.

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.2"
NEW = "tangerine-ledger-42"


def _change(client, old_password, address=HOME):
    return client.post(
        "/accounts/password/",
        {"old_password": old_password, "new_password1": NEW, "new_password2": NEW},
        REMOTE_ADDR=address,
    )


def _sign_in(address=HOME, password="wrong"):
    return Client().post(
        "/accounts/login/", {"username": "owner", "password": password}, REMOTE_ADDR=address
    )


def _still_pw():
    return get_user_model().objects.get(username="owner").check_password("pw")


def test_wrong_current_passwords_lock_the_change_out_even_with_the_right_one(owner_client):
    statuses = [_change(owner_client, f"guess-{n}").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = _change(owner_client, "pw")
    assert refused.status_code == 429
    assert 14 * 60 < int(refused["Retry-After"]) <= 15 * 60
    page = refused.content.decode()
    assert "Too many wrong passwords. Try again in 15 minutes" in page
    # The site's layout and the change form, not a bare page or the sign-in form.
    assert '<form method="post" action="/accounts/password/">' in page
    assert 'href="/logs/"' in page
    assert _still_pw()
    # Recorded without any of the passwords typed.
    stored = AccessAttempt.objects.get(username="owner").post_data
    assert "guess-" not in stored and NEW not in stored


def test_password_change_failures_share_the_sign_in_count(owner_client, owner):
    assert [_sign_in().status_code for _ in range(3)] == [200] * 3
    assert [_change(owner_client, "nope").status_code for _ in range(2)] == [200, 429]
    # Locked for signing in too: it is the same password being guessed.
    assert _sign_in(password="pw").status_code == 429


def test_a_sign_in_lockout_refuses_the_password_change(owner_client, owner):
    assert [_sign_in().status_code for _ in range(5)][-1] == 429
    assert _change(owner_client, "pw").status_code == 429
    assert _still_pw()


def test_another_address_may_still_change_the_password(owner_client):
    for _ in range(5):
        _change(owner_client, "nope")
    response = _change(owner_client, "pw", address=ELSEWHERE)
    assert response.status_code == 302
    assert not _still_pw()


def test_the_right_password_clears_the_count(owner_client):
    for _ in range(4):
        _change(owner_client, "nope")
    assert _change(owner_client, "pw").status_code == 302
    assert not AccessAttempt.objects.filter(username="owner", ip_address=HOME).exists()
