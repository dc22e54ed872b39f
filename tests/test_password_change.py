"""Users change their own password with Django's views, linked from the header."""

from django.contrib.auth import get_user_model


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
