"""A search as the reader sees it: excerpts and marks, escaping, the details page's marks and
neighbours, the exports, and the text index kept up to date. Runs on both databases."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from logs import search
from logs.models import Generation, SearchText
from tests.search.searching import (
    NOW,
    SCRIPT,
    _listed,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- escaping


def test_excerpts_mark_matches_and_escape_everything_else(owner_client, found):
    response = owner_client.get("/logs/", {"q": "<script>"})
    page = response.content.decode()
    (excerpt,) = re.findall(r'data-testid="excerpt">(.*?)</td>', page)
    assert "<mark>&lt;script&gt;</mark>alert(1)&lt;/<mark>script&gt;</mark>" not in excerpt
    assert "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;" in excerpt
    assert re.sub(r"</?mark>", "", excerpt).count("<") == 0
    assert SCRIPT not in page


def test_a_script_as_q_is_shown_as_text_everywhere(owner_client, found):
    response = owner_client.get("/logs/", {"q": SCRIPT})
    page = response.content.decode()
    assert SCRIPT not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in page
    # In links it is URL-encoded.
    assert "q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in page
    detail = owner_client.get(f"/logs/{found['hostile'].generation_id}/", {"q": SCRIPT})
    assert detail.status_code == 200
    assert SCRIPT not in detail.content.decode()
    bad = owner_client.get("/logs/", {"q": '"' + SCRIPT})
    assert bad.status_code == 400
    assert SCRIPT not in bad.content.decode()


def test_excerpts_are_short_and_centred_on_the_first_match():
    text = "x" * 300 + " the needle sits here " + "y" * 300
    query = search.parse_query("needle")
    excerpt = search.excerpt(text, query)
    plain = re.sub(r"</?mark>", "", str(excerpt))
    assert plain.startswith("… ") and plain.endswith(" …")
    assert len(plain) <= search.EXCERPT_CHARS + 4
    assert "<mark>needle</mark>" in excerpt
    assert search.excerpt("no match", query) is None


def test_marks_inside_highlighted_code_only_touch_text():
    html = (
        '<div class="highlight"><pre><span class="n">umb</span><span class="p">rella</span>'
        '<span class="nt">&quot;a&lt;b&quot;</span></pre></div>'
    )
    # A match Pygments split into two tokens is marked in each; entities stay entities.
    marked = search.mark_html(html, search.parse_query("UMBRELLA a<b"))
    assert marked == (
        '<div class="highlight"><pre><span class="n"><mark>umb</mark></span>'
        '<span class="p"><mark>rella</mark></span>'
        '<span class="nt">&quot;<mark>a&lt;b</mark>&quot;</span></pre></div>'
    )
    assert search.mark_html(html, search.parse_query("zz")) == html


def test_folding_keeps_every_position():
    for text in ("İstanbul ΟΔΟΣ Straße", "ǅ and ﬁ", "東京 TOKYO"):
        assert len(search.fold(text)) == len(text)
    assert search.fold("ΟΔΟΣ") == search.fold("οδος") == "οδοσ"


# ----------------------------------------------------------------------------- details page


def test_details_page_marks_matches_in_pretty_mode(owner_client, found):
    url = f"/logs/{found['umbrella'].generation_id}/"
    page = owner_client.get(url, {"q": 'umbrella "to berlin"'}).content.decode()
    assert "<mark>Umbrella</mark> <mark>to Berlin</mark>" in page
    assert "<mark>" not in owner_client.get(url).content.decode()
    assert "<mark>" not in owner_client.get(url, {"q": '"broken'}).content.decode()
    partial = owner_client.get(url, {"q": "umbrella", "view": "pretty"}, HTTP_HX_REQUEST="true")
    assert "<mark>Umbrella</mark>" in partial.content.decode()


def test_details_page_marks_tool_calls_and_streams(owner_client, found):
    page = owner_client.get(
        f"/logs/{found['tool'].generation_id}/", {"q": "Kx7QpZ3m forecast oslo"}
    ).content.decode()
    assert "call_<mark>Kx7QpZ3m</mark>WvRtY2b" not in page
    assert "call_<mark>Kx7QpZ3m</mark>Wv9RtY2b" in page
    assert "lookup_<mark>forecast</mark>" in page
    assert "<mark>Oslo</mark>" in page
    stream = owner_client.get(
        f"/logs/{found['stream'].generation_id}/", {"q": '"check both"'}
    ).content.decode()
    assert "<mark>check both</mark>" in stream


def test_details_neighbours_follow_the_search(owner_client, found):
    response = owner_client.get(f"/logs/{found['umbrella'].generation_id}/", {"q": "umbrella"})
    assert response.context["newer"] is None
    assert response.context["older"].generation_id == "SRCHORDER"
    assert "q=umbrella" in response.context["list_query"]
    back = owner_client.get(f"/logs/{found['order'].generation_id}/", {"q": "umbrella"})
    assert back.context["newer"].generation_id == "SRCHUMBRELLA"
    assert back.context["older"] is None


def test_list_links_carry_q_to_the_details_page(owner_client, found):
    page = owner_client.get("/logs/", {"q": "umbrella"}).content.decode()
    assert f'href="/logs/{found["umbrella"].generation_id}/?q=umbrella"' in page


# ----------------------------------------------------------------------------- exports


def test_csv_export_honours_q(owner_client, found, mode):
    response = owner_client.get("/logs/export.csv", {"q": "umbrella"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    ids = [line.split(",")[1] for line in body.strip().splitlines()[1:]]
    assert ids == ["SRCHUMBRELLA", "SRCHORDER"]
    bad = owner_client.get("/logs/export.csv", {"q": "-only"})
    assert bad.status_code == 400
    assert "q:" in bad.content.decode()


def test_export_generations_takes_q(found, mode):
    out, err = StringIO(), StringIO()
    call_command(
        "export_generations",
        "--account",
        found["umbrella"].account.external_id,
        "--q",
        "umbrella -berlin",
        stdout=out,
        stderr=err,
    )
    ids = [json.loads(line)["generationId"] for line in out.getvalue().splitlines()]
    # No window unless asked: the ten-day-old one too.
    assert ids == ["SRCHORDER", "SRCHOLD"]
    with pytest.raises(CommandError, match="--q: A quoted phrase"):
        call_command(
            "export_generations", "--account", found["umbrella"].account.external_id, "--q", '"x'
        )


# ----------------------------------------------------------------------------- index upkeep


def test_backfill_indexes_generations_stored_without_search_rows(owner_client, found):
    SearchText.objects.all().delete()
    assert _listed(owner_client, {"q": "umbrella"}) == []
    out = StringIO()
    call_command("index_search_text", stdout=out, verbosity=0)
    assert "Indexed the text of 11 of 12 generations" in out.getvalue()
    assert _listed(owner_client, {"q": "umbrella"}) == ["umbrella", "order"]
    call_command("index_search_text", "--rebuild", stdout=out, verbosity=0)
    assert _listed(owner_client, {"q": "umbrella"}) == ["umbrella", "order"]
    call_command("index_search_text", stdout=(again := StringIO()), verbosity=0)
    assert "Indexed the text of 0 of 12" in again.getvalue()


def test_deleting_a_generation_takes_its_search_text(owner_client, found):
    Generation.objects.filter(pk=found["umbrella"].pk).delete()
    assert not SearchText.objects.filter(generation_id=found["umbrella"].pk).exists()
    assert _listed(owner_client, {"q": "umbrella"}) == ["order"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # The FTS index dropped it too (its delete trigger), or this raises.
            cursor.execute(
                "INSERT INTO logs_searchtext_fts(logs_searchtext_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )


def test_the_probe_reads_through_the_text_index(found):
    query = search.parse_query("umbrella")
    sql_vendor = connection.vendor
    rows = search.probe(found["umbrella"].account_id, NOW - timedelta(days=7), None, query)
    assert sorted(pk for pk, _ in rows) == sorted([found["umbrella"].pk, found["order"].pk])
    if sql_vendor == "postgresql":
        from django.db import transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            # A few rows: the planner would rather read them by account; asked by text
            # alone, it can only use the trigram index.
            cursor.execute(
                "EXPLAIN SELECT generation_id FROM logs_searchtext WHERE folded LIKE %s LIMIT 10",
                ["%umbrella%"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Cond: (folded ~~ '%umbrella%'::text)" in plan, plan
