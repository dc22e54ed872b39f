"""DEPLOY_HTTPS=1: what a site served only over HTTPS needs, and Django's deploy check."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HTTPS_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REDIRECT_EXEMPT",
)


def _run(args, **env):
    environment = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50), **env}
    # The test process's own switches are not the deployment's (Playwright needs this one).
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings_under(**env):
    code = (
        "import json, django; from django.conf import settings;"
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'zenlogs.settings');"
        "django.setup();"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {HTTPS_SETTINGS!r}}}))"
    )
    result = _run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_reports_no_issues_with_https_on():
    result = _run(["manage.py", "check", "--deploy"], DEPLOY_HTTPS="1", DEBUG="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_names_the_https_settings_when_it_is_off():
    result = _run(["manage.py", "check", "--deploy"], DEPLOY_HTTPS="0", DEBUG="0")
    # Warnings only: the command still exits 0, but it lists what HTTPS would turn on.
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_https_deployment_turns_on_secure_cookies_redirect_hsts_and_the_proxy_header():
    on = _settings_under(DEPLOY_HTTPS="1", DEBUG="0")
    assert on["SESSION_COOKIE_SECURE"] is True
    assert on["CSRF_COOKIE_SECURE"] is True
    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SECURE_HSTS_SECONDS"] == 31_536_000
    assert on["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_without_https_deployment_nothing_redirects():
    off = _settings_under(DEPLOY_HTTPS="0", DEBUG="0")
    assert off["SECURE_SSL_REDIRECT"] is False
    assert off["SECURE_HSTS_SECONDS"] == 0


@pytest.fixture
def https_deployment(settings):
    for name, value in _settings_under(DEPLOY_HTTPS="1", DEBUG="0").items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    return settings


def test_plain_http_is_redirected_to_https(client, https_deployment):
    response = client.get("/logs/?range=7d")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/logs/?range=7d"


def test_https_through_the_proxy_gets_hsts_and_secure_cookies(client, owner, https_deployment):
    response = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response.cookies["csrftoken"]["secure"] is True
    response = client.post(
        "/accounts/login/",
        {"username": "owner", "password": "pw"},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True


def test_health_check_answers_on_plain_http_for_load_balancers(db, client, https_deployment):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}
