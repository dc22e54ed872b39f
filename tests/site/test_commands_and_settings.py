"""Token and user commands print their token alone on the last line; settings fail loudly,
naming the variable."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from billing.models import Account, Membership
from logs.models import ApiToken, IngestToken

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_ingest_token_prints_the_token_last_and_stores_a_hash(client):
    lines = _run("create_ingest_token", "--name", "edge-1")
    token = lines[-1]
    assert token.startswith("zl_ingest_") and len(lines) == 2
    stored = IngestToken.objects.get(name="edge-1")
    assert token not in stored.token_hash and IngestToken.objects.matching(token).exists()
    response = client.post(
        "/api/v1/generations",
        "[]",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400  # authorised; an empty batch is a client error


def test_create_user_creates_the_account_and_membership():
    lines = _run("create_user", "alice", "--account", "ACCNEW01", "--password", "s3cret")
    assert lines == ["Created user alice in new account ACCNEW01 as member."]
    user = get_user_model().objects.get(username="alice")
    assert user.check_password("s3cret")
    assert Membership.objects.filter(user=user, account__external_id="ACCNEW01").exists()
    generated = _run("create_user", "bob", "--account", "ACCNEW01")
    assert generated[0].endswith("Password:") and len(generated[-1]) >= 12
    assert Account.objects.filter(external_id="ACCNEW01").count() == 1


def test_create_api_token_for_a_user(owner):
    token = _run("create_api_token", "owner")[-1]
    assert token.startswith("zl_pat_")
    assert ApiToken.objects.matching(token).get().user == owner
    with pytest.raises(CommandError, match="username"):
        _run("create_api_token", "nobody")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "", "SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DEBUG": "1", "INGEST_MAX_RECORDS": "lots"}, "INGEST_MAX_RECORDS"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_variable(env, message):
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
