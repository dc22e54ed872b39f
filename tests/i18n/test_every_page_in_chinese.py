"""Every page of the console in zh-Hans, with no English UI text left: the list (every filter
and the bounds given, live on and paused, errors, empty, paged), the details page in both
modes and with a stage not captured, billing, usage, the settings pages, sign-in and its
lockout, and the error pages. English is found by the English catalogue's own phrases
(tests/i18n/english.py), so a string marked but shown untranslated is caught by its words."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from billing.models import Account, Membership, Role
from billing.settlement import credit
from tests.factories import KEY_A, make_record, store
from tests.i18n.english import english_left, english_phrases, phrase_pattern

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
PAYLOADS = Path(__file__).parent.parent / "payloads"
GENERATION = "GENI18NFULL000000001"
FILTERS = [
    ("model", "anthropic/claude-sonnet-4"),
    ("model", "openai/gpt-4.1"),
    ("provider", "anthropic"),
    ("finish_reason", "stop"),
    ("api_key", KEY_A),
    ("page_size", "25"),
]
BOUNDS = [("cost_min", "0"), ("latency_max", "100000"), ("input_tokens_min", "1")]


@pytest.fixture(scope="module")
def pattern():
    return phrase_pattern(english_phrases())


def _payload(name):
    text = (PAYLOADS / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture
def data(owner, account_a):
    # The account's name is data that pages show: a Chinese one, not taken for English UI.
    account_a.name = "研发部"
    account_a.save()
    second = Account.objects.create(external_id="2533ACzzSECOND000001", name="Second")
    Membership.objects.create(user=owner, account=second, role=Role.OWNER)
    credit(account_a, "reward", "0.50", note="Welcome credit")
    credit(account_a, "purchased", "25.00", note="Invoice INV-1")
    full = make_record(generationId=GENERATION, streamed=True)
    full["stages"] = {
        "user_request": {"headers": {"x-a": "1"}, "body": _payload("openai_chat_request.json")},
        "user_response": {"headers": {}, "body": _payload("openai_chat_stream.txt")},
    }
    store(
        full,
        make_record(modelSlug="openai/gpt-4.1", providerSlug="openai", finishReason="length"),
        make_record(cancelled=True, finishReason=None),
        make_record(nativeFeeTokens={"prompt": 12_345_678, "completion": 1}),
    )


def _pages(client):
    first = client.get("/logs/?page_size=1", **ZH)
    older = first.context["older_cursor"]
    return {
        "list": "/logs/",
        "list-every-filter": "/logs/?" + urlencode([*FILTERS, *BOUNDS]),
        "list-live": "/logs/?" + urlencode([*FILTERS, ("live", "1")]),
        "list-live-paused": "/logs/?live=1&sort=-cost",
        "list-errors": "/logs/?cost_min=x&cost_max=-1&from=nonsense&q=a",
        "list-no-match": "/logs/?q=nothingmatchesthis",
        "list-older-page": f"/logs/?page_size=1&cursor={older}&live=1",
        "list-all-time": "/logs/?range=all",
        "details-pretty": f"/logs/{GENERATION}/",
        "details-json": f"/logs/{GENERATION}/?view=json",
        "details-raw-text": f"/logs/{GENERATION}/?text=raw",
        "details-not-captured": f"/logs/{GENERATION}/?request_stage=origin_request",
        "details-bad-link": f"/logs/{GENERATION}/?view=nonsense",
        "billing": "/billing/",
        "billing-bad-link": "/billing/?cursor=nonsense",
        "usage": "/billing/usage/",
        "usage-by-key": "/billing/usage/?by=api_key",
        "usage-bad-link": "/billing/usage/?by=nonsense",
        "password-change": "/accounts/password/",
        "password-changed": "/accounts/password/done/",
        "not-found": "/no/such/page/",
    }


def _assert_chinese(name, body, pattern):
    assert '<html lang="zh-hans">' in body, name
    left = english_left(body, pattern)
    assert left == [], f"{name}: English UI text left: {left[:10]}"


def test_every_signed_in_page_is_in_chinese(owner_client, data, pattern):
    for name, url in _pages(owner_client).items():
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = owner_client.get(url, **ZH, **headers)
            assert response.status_code in (200, 400, 404), (name, response.status_code)
            body = response.content.decode()
            if headers:
                left = english_left(body, pattern)
                assert left == [], f"{name} (partial): English UI text left: {left[:10]}"
            else:
                _assert_chinese(name, body, pattern)


def test_an_empty_account_and_a_wrong_password_are_in_chinese(client, outsider, pattern):
    client.force_login(outsider)
    body = client.get("/logs/", **ZH).content.decode()
    assert "暂无日志" in body
    _assert_chinese("empty list", body, pattern)
    body = client.get("/billing/", **ZH).content.decode()
    _assert_chinese("empty ledger", body, pattern)
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "a", "new_password2": "b"},
        **ZH,
    )
    _assert_chinese("password change errors", wrong.content.decode(), pattern)


def test_sign_in_and_its_lockout_are_in_chinese(owner, pattern):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    _assert_chinese("sign-in", client.get("/accounts/login/").content.decode(), pattern)
    answers = [
        client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    _assert_chinese("wrong password", answers[0].content.decode(), pattern)
    locked = answers[-1].content.decode()
    assert "登录失败次数过多" in locked
    _assert_chinese("lockout", locked, pattern)


def test_the_error_pages_are_in_chinese(owner, pattern, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    refused = client.post("/accounts/switch/", {"account": "x"}, **ZH)
    assert refused.status_code == 403
    _assert_chinese("403", refused.content.decode(), pattern)
    with translation.override("zh-hans"):
        for name in ("500.html", "503.html"):
            _assert_chinese(name, render_to_string(name), pattern)


def test_the_same_pages_in_english_are_found_english(owner_client, data, pattern):
    # The check above can fail: in English it finds the catalogue's phrases all over a page.
    body = owner_client.get(f"/logs/{GENERATION}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = {phrase for phrase, _text in english_left(body, pattern)}
    assert {"Logs", "Token Counting", "Performance Metrics", "Copy as cURL"} <= found
    assert '<html lang="en">' in body


def test_the_settings_pages_and_the_invitation_mail_are_in_chinese(owner_client, data, pattern):
    from django.core import mail

    from tests.conftest import _member

    invited = owner_client.post(
        "/settings/members/invite", {"email": "new@example.test", "role": "member"}, **ZH
    )
    assert invited.status_code == 200
    _assert_chinese("members, a link just made", invited.content.decode(), pattern)
    (message,) = mail.outbox
    assert "受邀加入" in message.subject and "邀请你以成员身份加入" in message.body
    link = invited.context["invite_link"]
    created = owner_client.post("/settings/tokens/personal", {"name": "ci"}, **ZH)
    _assert_chinese("tokens, one just made", created.content.decode(), pattern)
    for name, url in {
        "members": "/settings/members/",
        "tokens": "/settings/tokens/",
        "audit": "/settings/audit/",
        "audit-filtered": "/settings/audit/?action=invitation.sent",
        "audit-bad-link": "/settings/audit/?cursor=nonsense",
        "invitation-unknown": "/invitations/nonsense/",
    }.items():
        response = owner_client.get(url, **ZH)
        assert response.status_code in (200, 400, 404), (name, response.status_code)
        _assert_chinese(name, response.content.decode(), pattern)
    owner_client.logout()
    joining = owner_client.get(link.removeprefix("http://testserver"), **ZH)
    assert joining.status_code == 200
    _assert_chinese("invitation", joining.content.decode(), pattern)
    viewer = _member("viewer", "2533AC0Q5MIe14613672", role=Role.VIEWER)
    owner_client.force_login(viewer)
    refused = owner_client.get("/settings/members/", **ZH)
    assert refused.status_code == 403
    _assert_chinese("403 for a role", refused.content.decode(), pattern)


def test_the_openid_connect_pages_are_in_chinese(rf, pattern):
    from django.contrib.auth.forms import AuthenticationForm
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/accounts/login/")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        for oidc_only in (False, True):
            form = AuthenticationForm(request, data={"username": "a", "password": "b"})
            form.is_valid()
            context = {"oidc_name": "Okta", "oidc_only": oidc_only, "form": form, "next": ""}
            page = render_to_string("registration/login.html", context, request=request)
            assert "使用 Okta 登录" in page
            _assert_chinese(f"sign-in with OIDC (only: {oidc_only})", page, pattern)
        for reason in ("not_invited", "no_email", "ambiguous", "inactive", "unavailable", "x"):
            context = {"reason": reason, "provider_name": "Okta", "email": "a@b.test"}
            context["domain"] = "b.test"
            page = render_to_string("registration/oidc_refused.html", context, request=request)
            _assert_chinese(f"OIDC refused ({reason})", page, pattern)
        context = {"provider_name": "Okta", "provider_url": "https://okta.test/logout?x=1"}
        page = render_to_string("registration/signed_out.html", context, request=request)
        assert "同时退出 Okta" in page
        _assert_chinese("signed out after OIDC", page, pattern)
