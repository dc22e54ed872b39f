"""Sign-in lockout (django-axes): 5 failed sign-ins for one username from one address lock
that username out from that address for 15 minutes, with 429 and when to try again."""

import re
from datetime import UTC, timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

URL = "/accounts/login/"
HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.2"


def _sign_in(client, username, password, address=HOME, url=URL, **data):
    return client.post(
        url, {"username": username, "password": password, **data}, REMOTE_ADDR=address
    )


def _fail(client, username, times=5, address=HOME):
    return [_sign_in(client, username, "wrong", address) for _ in range(times)]


def _alert(response):
    return re.search(r'role="alert">(.*?)</p>', response.content.decode()).group(1)


def _signed_in(client):
    return client.get("/logs/").status_code == 200


def _failed_minutes_ago(minutes, username=None):
    attempts = AccessAttempt.objects.all()
    if username:
        attempts = attempts.filter(username=username)
    last = attempts.latest("attempt_time").attempt_time
    attempts.update(attempt_time=last - timedelta(minutes=minutes))


def test_the_fifth_failure_locks_out_and_the_sixth_is_refused_even_with_the_right_password(
    client, owner
):
    failures = _fail(client, "owner")
    assert [r.status_code for r in failures] == [200, 200, 200, 200, 429]
    assert "didn't match" in _alert(failures[0])
    sixth = _sign_in(client, "owner", "pw")
    assert sixth.status_code == 429
    last = AccessAttempt.objects.get(username="owner").attempt_time
    unlock = last + timedelta(minutes=15)
    shown = unlock.replace(second=0, microsecond=0)
    shown += timedelta(minutes=1 if shown < unlock else 0)
    assert _alert(sixth) == (
        f"Too many failed sign-ins. Try again in 15 minutes, at {shown.astimezone(UTC):%H:%M} UTC."
    )
    assert 14 * 60 < int(sixth["Retry-After"]) <= 15 * 60
    # The sign-in page, styled as ever, not a bare text page.
    assert b'<form method="post" action="/accounts/login/">' in sixth.content
    assert not _signed_in(client)


def test_a_refused_attempt_does_not_extend_the_lockout(client, owner):
    _fail(client, "owner")
    _fail(client, "owner", times=3)
    assert AccessAttempt.objects.get(username="owner").failures_since_start == 5


def test_a_success_resets_the_count(client, owner):
    assert [r.status_code for r in _fail(client, "owner", times=4)] == [200] * 4
    assert _sign_in(client, "owner", "pw").status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert [r.status_code for r in _fail(client, "owner", times=4)] == [200] * 4
    assert _sign_in(client, "owner", "pw").status_code == 302


def test_other_usernames_and_other_addresses_are_not_affected(client, owner, teammate):
    _fail(client, "owner")
    assert _sign_in(client, "teammate", "pw").status_code == 302
    client.logout()
    assert _sign_in(client, "owner", "pw", address=ELSEWHERE).status_code == 302


def test_the_lockout_ends_15_minutes_after_the_fifth_failure(client, owner):
    _fail(client, "owner")
    _failed_minutes_ago(14.5)
    still = _sign_in(client, "owner", "pw")
    assert still.status_code == 429
    assert "Try again in 1 minute, at" in _alert(still)
    _failed_minutes_ago(0.5)
    assert _sign_in(client, "owner", "pw").status_code == 302
    assert _signed_in(client)


def test_the_time_to_try_again_is_shown_in_the_users_zone(client, owner):
    _fail(client, "owner")
    client.cookies["tz"] = "Asia%2FTokyo"
    assert _alert(_sign_in(client, "owner", "pw")).endswith(" JST.")


def test_a_username_that_does_not_exist_is_locked_out_exactly_like_one_that_does(client, owner):
    # Equal lengths, so the pages cannot differ in size either.
    assert len("owner") == len("nobdy")
    real, made_up = _fail(client, "owner"), _fail(client, "nobdy")
    assert [r.status_code for r in real] == [r.status_code for r in made_up]
    assert [_alert(r) for r in real] == [_alert(r) for r in made_up]
    # Both lockouts began at the same moment, half a minute ago, so neither the minutes nor
    # the clock time shown can differ between the two requests.
    _failed_minutes_ago(0.5)
    pages = [_sign_in(client, name, "pw") for name in ("owner", "nobdy")]
    assert [p.status_code for p in pages] == [429, 429]
    assert abs(int(pages[0]["Retry-After"]) - int(pages[1]["Retry-After"])) <= 1

    def without_csrf_tokens(page):
        return re.sub(rb"[A-Za-z0-9]{64}", b"TOKEN", page.content)

    assert without_csrf_tokens(pages[0]) == without_csrf_tokens(pages[1])


def test_the_admin_sign_in_is_locked_out_too(client, db):
    get_user_model().objects.create_superuser("root", password="right")
    admin = "/admin/login/"
    failures = [_sign_in(client, "root", "wrong", url=admin, next="/admin/") for _ in range(5)]
    assert [r.status_code for r in failures] == [200, 200, 200, 200, 429]
    refused = _sign_in(client, "root", "right", url=admin, next="/admin/")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in _alert(refused)
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_force_login_and_signing_in_through_the_form_still_work(client, owner):
    client.force_login(owner)
    assert _signed_in(client)
    client.logout()
    assert _sign_in(client, "owner", "pw").status_code == 302
    assert _signed_in(client)
