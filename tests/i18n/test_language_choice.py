"""Which language the console answers in: the browser's Accept-Language, unless the language
cookie says otherwise; the header's switcher sets that cookie and, for a signed-in user, their
profile, from which signing in elsewhere sets it again. Dates stay ISO in the list, numbers
keep their separators, and the charts write days the language's way."""

import json
import re

import pytest

from billing.models import UserProfile
from tests.factories import make_record, store

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
COOKIE = "django_language"


def _lang(response):
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def test_the_browser_language_is_followed_and_the_cookie_wins_over_it(client, owner_client):
    assert _lang(client.get("/accounts/login/")) == "en"
    chinese = client.get("/accounts/login/", **ZH)
    assert _lang(chinese) == "zh-hans" and chinese["Content-Language"] == "zh-hans"
    assert "<h1>登录</h1>" in chinese.content.decode()
    # The switcher names each language in its own words, in any language.
    assert 'lang="en">English</option>' in chinese.content.decode()
    assert 'lang="zh-hans">简体中文</option>' in client.get("/accounts/login/").content.decode()
    assert _lang(owner_client.get("/logs/", HTTP_ACCEPT_LANGUAGE="zh-TW")) == "zh-hans"
    client.cookies[COOKIE] = "en"
    assert _lang(client.get("/accounts/login/", **ZH)) == "en"


def test_the_switcher_stores_the_choice_on_the_user_and_in_the_cookie(owner_client, owner):
    body = owner_client.get("/billing/").content.decode()
    assert 'action="/accounts/language/"' in body and 'name="next" value="/billing/"' in body
    response = owner_client.post(
        "/accounts/language/", {"language": "zh-hans", "next": "/billing/?cursor=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/billing/?cursor=x"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "zh-hans" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert UserProfile.objects.get(user=owner).language == "zh-hans"
    assert _lang(owner_client.get("/billing/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"
    # And back.
    owner_client.post("/accounts/language/", {"language": "en", "next": "/billing/"})
    assert UserProfile.objects.get(user=owner).language == "en"
    assert _lang(owner_client.get("/billing/", **ZH)) == "en"


def test_the_switcher_on_the_sign_in_page_sets_the_cookie_only(client):
    response = client.post(
        "/accounts/language/", {"language": "zh-hans", "next": "/accounts/login/"}
    )
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[COOKIE].value == "zh-hans"
    assert not UserProfile.objects.exists()
    assert _lang(client.get("/accounts/login/")) == "zh-hans"


def test_a_bad_switch_is_a_400_naming_the_field_and_a_foreign_next_goes_home(client):
    bad = client.post("/accounts/language/", {"language": "fr", "next": "/logs/"})
    assert bad.status_code == 400 and "language:" in bad.content.decode()
    assert COOKIE not in bad.cookies
    assert client.get("/accounts/language/").status_code == 405
    away = client.post("/accounts/language/", {"language": "en", "next": "https://evil.test/"})
    assert away["Location"] == "/logs/"


def test_signing_in_elsewhere_brings_the_stored_language(client, owner):
    UserProfile.objects.create(user=owner, language="zh-hans")
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "zh-hans"
    assert _lang(client.get("/logs/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"


def test_a_user_who_left_it_to_the_browser_gets_no_cookie_at_sign_in(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw"})
    assert response.status_code == 302 and COOKIE not in response.cookies


def test_in_chinese_numbers_keep_separators_and_list_times_stay_iso(owner_client, owner):
    store(make_record(nativeFeeTokens={"prompt": 12_345_678, "completion": 1234}))
    body = owner_client.get("/logs/?range=30d", **ZH).content.decode()
    assert ">12,345,678</button>" in body and ">1,234</td>" in body
    times = re.findall(r'<td class="ts"><time datetime="[^"]+">([^<]+)</time>', body)
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t) for t in times)
    # The histogram's labels under 30 days of daily bars: the month and day, in Chinese.
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', body)
    assert any(re.fullmatch(r"\d{1,2}月\d{1,2}日", t) for t in ticks), ticks
    english = owner_client.get("/logs/?range=30d", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', english)
    assert any(re.fullmatch(r"[A-Z][a-z]{2}\.? \d{1,2}", t) for t in ticks), ticks


def test_the_usage_chart_writes_days_in_chinese(owner_client):
    store(make_record())
    body = owner_client.get("/billing/usage/", **ZH).content.decode()
    axis = re.search(r'<svg class="x-ticks".*?</svg>', body, re.S).group(0)
    labels = re.findall(r">([^<]+)</text>", axis)
    assert labels and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", label) for label in labels), labels
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", body)


def test_the_scripts_strings_come_from_a_catalogue_script_file(client):
    page = client.get("/accounts/login/", **ZH).content.decode()
    assert re.search(r'<script src="/jsi18n/" defer></script>\s*<script src="[^"]*app\.js"', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (CSP)
    catalogue = client.get("/jsi18n/", **ZH)
    assert catalogue.status_code == 200
    assert "javascript" in catalogue["Content-Type"]
    copied = json.dumps("已复制")[1:-1]  # as the catalogue writes it, in JSON
    assert copied in catalogue.content.decode()
    assert copied not in client.get("/jsi18n/").content.decode()
