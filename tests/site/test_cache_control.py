"""Nothing a signed-in user is shown may be kept by a shared cache or on the browser's disk:
every page, download, export and API answer says Cache-Control: private, no-store, as the
sign-in page does. The walk below covers every URL the site routes (but the admin's, which
sets its own), so a new view cannot forget."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import example_record, store

pytestmark = pytest.mark.django_db

# Every routed URL, by name, with what its path needs.
SAMPLES = {
    "login": {},
    "oidc_login": {},
    "oidc_callback": {},
    "logout": {},
    "password_change": {},
    "password_change_done": {},
    "switch_account": {},
    "switch_language": {},
    "javascript_catalog": {},
    "healthz": {},
    "api_generation": {},
    "api_generations": {},
    "otlp_traces": {},
    "otlp_logs": {},
    "logs:list": {},
    "logs:export_csv": {},
    "logs:detail": {"generation_id": "<generation>"},
    "logs:raw": {"generation_id": "<generation>", "stage": "user_request"},
    "logs:cost": {"generation_id": "<generation>"},
    "billing:overview": {},
    "billing:usage": {},
    "team:members": {},
    "team:invite": {},
    "team:change_role": {"username": "owner"},
    "team:remove_member": {"username": "owner"},
    "team:revoke_invitation": {"invitation_id": "none"},
    "team:invitation": {"token": "zl_inv_none"},
    "team:tokens": {},
    "team:create_personal_token": {},
    "team:revoke_personal_token": {"token_id": "none"},
    "team:create_ingest_token": {},
    "team:revoke_ingest_token": {"token_id": "none"},
    "team:audit": {},
}
# Shows nothing of anyone's: the API's description, the same for every visitor and meant to
# be cached (tests/api/test_openapi.py checks its public Cache-Control).
PUBLIC = {"api_openapi"}


def _routes(patterns=None, namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else str(entry.pattern)


def _private(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_every_routed_url_has_a_sample_here():
    assert set(_routes()) == {*SAMPLES, *PUBLIC, ""}  # "": the redirect to /logs/


def test_every_signed_in_page_says_private_no_store(owner_client):
    generation_id = store(example_record())[0].generation_id
    urls = ["/"]
    for name, kwargs in SAMPLES.items():
        filled = {k: generation_id if v == "<generation>" else v for k, v in kwargs.items()}
        urls.append(reverse(name, kwargs=filled))
    # The list's variants that answer other than a plain 200 too: a bad filter, a partial.
    urls += ["/logs/?range=all&sort=-cost", "/logs/?cursor=garbage", "/logs/no-such-id/"]
    urls += [f"/api/v1/generation?id={generation_id}", "/billing/usage/?by=nonsense"]
    statuses = set()
    for url in urls:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = owner_client.get(url, **headers)
            statuses.add(response.status_code)
            assert _private(response), (url, response.status_code, response.get("Cache-Control"))
    assert {200, 302, 400, 404, 405} <= statuses
    posted = owner_client.post("/accounts/password/", {"old_password": "nope"})
    assert _private(posted)


def test_the_raw_metadata_api_with_a_bearer_token_says_private_no_store(client, owner_token):
    generation_id = store(example_record())[0].generation_id
    response = client.get(
        "/api/v1/generation",
        {"id": generation_id},
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert response.status_code == 200 and _private(response)


def test_the_sign_in_page_keeps_its_own_headers(client, db):
    response = client.get("/accounts/login/")
    assert _private(response)
    assert "max-age=0" in response["Cache-Control"]  # Django's never_cache, not ours
