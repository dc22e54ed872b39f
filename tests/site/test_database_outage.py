"""When the database refuses connections: the API answers 503 with Retry-After and JSON, the
console a plain 503 page, /healthz says so; everything recovers once it is back, and a batch
retried after the outage is stored exactly once.

The outage is real: on PostgreSQL the database stops allowing connections and its backends are
terminated; on SQLite the database path points where no file can be opened."""

from contextlib import contextmanager

import pytest
from django.db import connection

from logs.models import Generation
from tests.conftest import is_postgres
from tests.factories import make_record, post_records


@contextmanager
def database_refusing_connections():
    settings_dict = connection.settings_dict
    if is_postgres():
        import psycopg
        from psycopg import sql

        name = settings_dict["NAME"]
        admin = psycopg.connect(
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
            password=settings_dict["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        database = sql.Identifier(name)
        try:
            admin.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(database)
            )
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(database))
            admin.close()
    else:
        original = settings_dict["NAME"]
        connection.close()
        settings_dict["NAME"] = "/nonexistent-zenlogs-outage/zenlogs.sqlite3"
        try:
            yield
        finally:
            connection.close()
            settings_dict["NAME"] = original
    # Django notices a broken connection at the next request's start; this test's own ORM
    # calls come before that.
    connection.close()


@pytest.fixture
def signed_in(client, owner, transactional_db):
    client.force_login(owner)
    return client


def test_outage_answers_503_everywhere_and_everything_recovers(
    signed_in, ingest_token, owner_token, prices
):
    batch = [make_record(), make_record()]
    with database_refusing_connections():
        ingest = post_records(signed_in, ingest_token, batch)
        assert ingest.status_code == 503
        assert ingest["Content-Type"] == "application/json"
        assert ingest["Retry-After"] == "5"
        assert "unavailable" in ingest.json()["error"]

        raw = signed_in.get("/api/v1/generation?id=X", HTTP_AUTHORIZATION=f"Bearer {owner_token}")
        assert raw.status_code == 503
        assert raw.json() == {"error": "the database is unavailable; retry later"}
        assert raw["Retry-After"] == "5"

        page = signed_in.get("/logs/")
        assert page.status_code == 503
        assert page["Retry-After"] == "5"
        assert "Temporarily unavailable" in page.content.decode()
        assert "Traceback" not in page.content.decode()

        partial = signed_in.get("/logs/", HTTP_HX_REQUEST="true")
        assert partial.status_code == 503

        health = signed_in.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"database": "unavailable"}

    health = signed_in.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"database": "ok"}

    retried = post_records(signed_in, ingest_token, batch)
    assert retried.status_code == 200
    assert retried.json()["created"] == 2
    again = post_records(signed_in, ingest_token, batch)
    assert again.json()["duplicate"] == 2
    assert Generation.objects.count() == 2

    page = signed_in.get("/logs/?range=all")
    assert page.status_code == 200
    assert batch[0]["generationId"] in page.content.decode()


def test_health_check_needs_no_sign_in_and_says_only_the_database_state(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_check_answers_503_when_the_query_takes_over_a_second(client, db, monkeypatch):
    import threading

    from zenlogs import views

    release = threading.Event()

    def stuck(result):
        release.wait(5)
        result.append(True)  # an answer that comes too late counts for nothing

    monkeypatch.setattr(views, "HEALTH_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setattr(views, "_probe", stuck)
    try:
        response = client.get("/healthz")
    finally:
        release.set()
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable"}


def test_a_bug_in_the_console_is_still_a_500_not_a_503(owner_client, monkeypatch):
    from django.db import IntegrityError

    def broken(*args, **kwargs):
        raise IntegrityError("a bug, not an outage")

    monkeypatch.setattr("logs.listing.views.page", broken)
    owner_client.raise_request_exception = False
    response = owner_client.get("/logs/")
    assert response.status_code == 500
