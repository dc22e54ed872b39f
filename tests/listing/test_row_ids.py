"""Row ids come from sequences shared by every account, so none reaches a user: rows are named
by their generation id, and cursors carry the id sealed (zenlogs/sealed.py), unreadable and
unforgeable. A tenant cannot count what other tenants stored in between."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from billing.settlement import credit
from logs.models import Generation
from tests.factories import make_record, store
from zenlogs.sealed import seal, unseal

pytestmark = pytest.mark.django_db

# Far from any count, timestamp or amount a page shows, so finding it means it leaked.
FIRST_ID = 918_273_645


def _ids_from(first):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('logs_generation', 'id'), %s, false)",
                [first],
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'logs_generation'")
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('logs_generation', %s)",
                [first - 1],
            )


@pytest.fixture
def rows(owner, account_a):
    _ids_from(FIRST_ID)
    now = datetime.now(UTC)
    records = [
        make_record(
            generationId=f"ROW{i:03d}",
            createdAt=(now - timedelta(seconds=i * 5)).isoformat(),
            billAmount="0.25",
        )
        for i in range(12)
    ]
    stored = store(*records)
    assert min(g.pk for g in stored) >= FIRST_ID
    credit(account_a, "purchased", "10")
    return stored


def _leaks(text, rows):
    return [g.pk for g in rows if str(g.pk) in text]


def test_no_row_id_reaches_the_list_its_cursors_or_the_details_page(owner_client, rows):
    pages = []
    params = {"page_size": 5, "range": "all"}
    for _ in range(3):
        response = owner_client.get("/logs/", params)
        assert response.status_code == 200
        pages.append(response.content.decode())
        older = response.context["older_cursor"]
        if not older:
            break
        params["cursor"] = older
    back = owner_client.get("/logs/", {**params, "cursor": response.context["newer_cursor"]})
    pages.append(back.content.decode())
    for sort in ("-cost", "latency", "created_at"):
        first = owner_client.get("/logs/", {"page_size": 5, "range": "all", "sort": sort})
        pages.append(first.content.decode())
        pages.append(
            owner_client.get(
                "/logs/",
                {
                    "page_size": 5,
                    "range": "all",
                    "sort": sort,
                    "cursor": first.context["older_cursor"],
                },
                HTTP_HX_REQUEST="true",
            ).content.decode()
        )
    middle = rows[6]
    pages.append(
        owner_client.get(f"/logs/{middle.generation_id}/", {"range": "all"}).content.decode()
    )
    pages.append(owner_client.get("/logs/export.csv", {"range": "all"}).getvalue().decode())
    pages.append(
        owner_client.get("/api/v1/generation", {"id": middle.generation_id}).content.decode()
    )
    pages.append(owner_client.get("/billing/", {"page_size": 3}).content.decode())
    pages.append(owner_client.get("/billing/usage/").content.decode())
    for page in pages:
        assert _leaks(page, rows) == []
    # Rows are named by their generation id where the row id was.
    assert f'<tr id="g-{rows[0].generation_id}"' in pages[0]
    assert not re.search(r'id="(g|tok|cost)-\d+"', "".join(pages))


def test_a_cursor_holds_the_id_sealed(owner_client, rows):
    response = owner_client.get("/logs/", {"page_size": 5, "range": "all"})
    older = response.context["older_cursor"]
    assert _leaks(older, rows) == []
    micros, sealed = older[1:].split(".")
    assert unseal(sealed) == rows[4].pk
    # The same id always seals alike; another id looks nothing like it.
    assert seal(rows[4].pk) == sealed
    assert sum(a == b for a, b in zip(seal(rows[5].pk), sealed, strict=True)) < 8


def test_a_tampered_cursor_is_a_400_naming_the_field(owner_client, rows):
    older = owner_client.get("/logs/", {"page_size": 5}).context["older_cursor"]
    sealed = older.split(".")[1]
    flipped = sealed[:-1] + ("A" if sealed[-1] != "A" else "B")
    forged = [
        older.replace(sealed, flipped),
        older.replace(sealed, seal(rows[0].pk)[:12] + sealed[12:]),
        f"{older.split('.')[0]}.{rows[4].pk}",  # the id as it is
    ]
    for cursor in forged:
        response = owner_client.get("/logs/", {"page_size": 5, "cursor": cursor})
        assert response.status_code == 400
        assert "cursor" in response.context["filter"].form.errors
        assert 'role="alert"' in response.content.decode()
    ledger = owner_client.get("/billing/", {"cursor": older.replace(sealed, flipped)})
    assert ledger.status_code == 400


def test_a_sealed_cursor_still_pages_through_every_row_once(owner_client, rows):
    seen, params = [], {"page_size": 5, "range": "all"}
    while True:
        response = owner_client.get("/logs/", params)
        seen += [g.generation_id for g in response.context["rows"]]
        if not response.context["older_cursor"]:
            break
        params["cursor"] = response.context["older_cursor"]
    expected = Generation.objects.newest_first().values_list("generation_id", flat=True)
    assert seen == list(expected)


def test_ledger_rows_and_cursors_show_no_ledger_line_id(owner_client, account_a):
    for n in range(4):
        credit(account_a, "purchased", f"{n + 1}")
    response = owner_client.get("/billing/", {"page_size": 2})
    body = response.content.decode()
    entries = response.context["entries"]
    assert not re.search(r'id="entry-\d+"', body)
    assert all(f'id="entry-{seal(e.pk)}"' in body for e in entries)
    assert unseal(response.context["older_cursor"].split(".")[1]) == entries[-1].pk
