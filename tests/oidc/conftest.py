"""A real OpenID Connect provider for the session: django-oauth-toolkit's, run by
tests/oidc/provider/serve.py in a second process with its own SQLite database, RSA key and
users, and a confidential client registered for this test server's callback. Started once,
on the first test that asks for it."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "Acme SSO"


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str

    @property
    def origin(self):
        return self.issuer.rsplit("/o", 1)[0]


# The provider's people: [username, email, password].
INVITED = ["ivy", "ivy@invited.test", "ivy-pw"]
IN_DOMAIN = ["dana", "dana@acme.test", "dana-pw"]
STRANGER = ["sam", "sam@elsewhere.test", "sam-pw"]
MEMBER = ["olive", "owner@a.test", "olive-pw"]


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc-provider")
    provider = {
        "client_id": "zenlogs-test",
        "client_secret": "zenlogs-test-secret-" + os.urandom(8).hex(),
    }
    config = {
        **provider,
        "redirect_uri": f"{live_server.url}/accounts/oidc/callback/",
        "post_logout_redirect_uri": f"{live_server.url}/accounts/login/",
        "users": [INVITED, IN_DOMAIN, STRANGER, MEMBER],
    }
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(PROVIDER_DB=str(folder / "provider.sqlite3"), PROVIDER_CONFIG=json.dumps(config))
    with open(folder / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc.provider.serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            issuer = process.stdout.readline().strip()
            if not issuer:
                process.wait(timeout=10)
                stderr.seek(0)
                pytest.fail(f"the test OpenID Connect provider did not start:\n{stderr.read()}")
            yield Provider(issuer=issuer, **provider)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def oidc(settings, oidc_provider):
    """This test server signs in through the provider, as "Sign in with Acme SSO"."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_NAME = NAME
    return oidc_provider
