"""GET /api/v1/generation: personal token or console session; 401 without; 404 across
accounts."""

import pytest

from logs.models import ApiToken
from tests.factories import ACCOUNT_B, EXAMPLE, KEY_B, example_record, make_generation, store

pytestmark = pytest.mark.django_db
URL = "/api/v1/generation"


def test_personal_token_fetches_own_generation(client, owner, owner_token):
    store(example_record())
    response = client.get(
        URL, {"id": EXAMPLE["generationId"]}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    )
    assert response.status_code == 200
    assert response.json()["generationId"] == EXAMPLE["generationId"]


def test_console_session_fetches_own_generation(owner_client):
    store(example_record())
    response = owner_client.get(URL, {"id": EXAMPLE["generationId"]})
    assert response.status_code == 200
    assert response.json() == EXAMPLE


def test_no_token_is_401(client, owner):
    store(example_record())
    response = client.get(URL, {"id": EXAMPLE["generationId"]})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_token_is_401(client, owner):
    store(example_record())
    response = client.get(
        URL, {"id": EXAMPLE["generationId"]}, HTTP_AUTHORIZATION="Bearer zl_pat_not-a-real-token"
    )
    assert response.status_code == 401


def test_revoked_token_is_401(client, owner, owner_token):
    store(example_record())
    ApiToken.objects.update(revoked=True)
    response = client.get(
        URL, {"id": EXAMPLE["generationId"]}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    )
    assert response.status_code == 401


def test_ingest_token_cannot_read(client, owner, ingest_token):
    store(example_record())
    response = client.get(
        URL, {"id": EXAMPLE["generationId"]}, HTTP_AUTHORIZATION=f"Bearer {ingest_token}"
    )
    assert response.status_code == 401


def test_other_accounts_generation_is_404(client, owner, outsider):
    theirs = make_generation(accountId=ACCOUNT_B, apiKeyId=KEY_B)
    token = ApiToken.issue(user=owner)[1]
    response = client.get(URL, {"id": theirs.generation_id}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404


def test_other_accounts_generation_is_404_for_session(outsider_client, owner):
    store(example_record())
    assert outsider_client.get(URL, {"id": EXAMPLE["generationId"]}).status_code == 404


def test_unknown_id_is_404(client, owner, owner_token):
    response = client.get(URL, {"id": "NOPE"}, HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert response.status_code == 404


def test_missing_id_is_400_naming_the_parameter(client, owner, owner_token):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert response.status_code == 400
    assert response.json()["field"] == "id"


def test_tokens_are_stored_hashed(owner, owner_token):
    token = ApiToken.objects.get()
    assert owner_token not in token.token_hash
    assert len(token.token_hash) == 64
