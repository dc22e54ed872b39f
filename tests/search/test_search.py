"""The log list's text search (q): what it finds, its syntax, CJK, exclusions, combined
filters, both ways of reading (by id and by walking), excerpts and escaping, the CSV and JSONL
exports, the details page's marks and neighbours, and bad queries. Runs on both databases."""

import re
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from logs import search
from logs.models import SearchText
from tests.factories import make_record, store
from tests.search.searching import (
    NOW,
    SCRIPT,
    _chat,
    _listed,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("umbrella", ["umbrella", "order"]),  # newest first; "old" is outside the 7 days
        ("UMBRELLA", ["umbrella", "order"]),  # case is ignored
        ("Umbrella Berlin", ["umbrella"]),  # every word must match
        ("berlin", ["umbrella", "berlin"]),
        ('"umbrella to berlin"', ["umbrella"]),  # a phrase, in that order
        ('"berlin umbrella"', []),
        ('"tomorrow umbrella"', ["order"]),
        ("umbrella -berlin", ["order"]),  # exclusion
        ('berlin -"seating plan"', ["umbrella"]),  # excluding a phrase
        ("brell", ["umbrella", "order"]),  # substrings
        ("华东地区的物流", ["chinese"]),  # Chinese, from the middle of a sentence
        ("物流", ["chinese", "japanese"]),  # two characters
        ("搬迁", ["chinese"]),
        ("稼働開始日", ["japanese"]),
        ("call_Kx7QpZ3mWv9RtY2b", ["tool"]),  # a tool call id
        ("Kx7QpZ3m", ["tool"]),  # part of one
        ("lookup_forecast", ["tool"]),  # the tool's name
        ("lookup_forecast city", ["tool"]),  # its arguments
        ("sleet showers", ["tool"]),  # the tool's result
        ('"check both cities"', ["stream"]),  # only there once the stream is reassembled
        ("call_Zx9y8W7v6U5t", ["stream"]),  # a tool call id inside the stream
        ("lighthouse", ["origin_only"]),  # the origin stage when no user stage was captured
        ("<script>", ["hostile"]),
        (SCRIPT, ["hostile"]),
        ("100%", []),  # LIKE's wildcards are plain characters
        ("a_b", []),
        ("zzqx", []),
    ],
)
def test_search_finds(owner_client, found, mode, q, expected):
    assert _listed(owner_client, {"q": q}) == expected


def test_a_window_that_reaches_back_finds_older_text(owner_client, found, mode):
    assert _listed(owner_client, {"q": "umbrella", "range": "30d"}) == [
        "umbrella",
        "order",
        "old",
    ]


def test_another_accounts_text_is_never_found(owner_client, outsider, found, mode):
    assert _listed(owner_client, {"q": "another account"}) == []
    other = Client()
    other.force_login(outsider)
    assert _listed(other, {"q": "umbrella"}) == ["otheraccount"]
    assert _listed(other, {"q": "berlin"}) == []


def test_search_combines_with_every_other_filter(owner_client, found, mode):
    assert _listed(owner_client, {"q": "umbrella", "model": "anthropic/claude-sonnet-4"}) == [
        "order"
    ]
    assert _listed(owner_client, {"q": "umbrella", "provider": "openai"}) == ["umbrella"]
    assert _listed(owner_client, {"q": "umbrella", "request_id": "SRCHORDER"}) == ["order"]
    assert _listed(owner_client, {"q": "berlin", "request_id": "SRCHORDER"}) == []
    start = (NOW - timedelta(minutes=12)).isoformat()
    assert _listed(owner_client, {"q": "berlin", "from": start}) == ["umbrella", "berlin"]
    end = (NOW - timedelta(minutes=7)).isoformat()
    assert _listed(owner_client, {"q": "berlin", "from": start, "to": end}) == ["berlin"]
    assert _listed(owner_client, {"q": "umbrella", "latency_max": 10}) == []
    assert _listed(owner_client, {"q": "umbrella", "latency_min": 10}) == ["umbrella", "order"]


def test_pages_of_a_search_follow_their_cursors(owner_client, owner, mode):
    records = [
        make_record(
            generationId=f"PAGE{i:03d}",
            createdAt=(NOW - timedelta(minutes=i)).isoformat(),
            stages=_chat(f"needle number {i}" if i % 3 == 0 else f"hay number {i}"),
        )
        for i in range(60)
    ]
    store(*records)
    seen = []
    params = {"q": "needle", "page_size": 5}
    while True:
        response = owner_client.get("/logs/", params)
        assert response.status_code == 200
        seen += [g.generation_id for g in response.context["rows"]]
        older = response.context["older_cursor"]
        if not older:
            break
        assert "q=needle" in response.content.decode()  # the pager's links keep q
        params["cursor"] = older
    assert seen == [f"PAGE{i:03d}" for i in range(0, 60, 3)]
    back = owner_client.get("/logs/", {**params, "cursor": response.context["newer_cursor"]})
    assert [g.generation_id for g in back.context["rows"]] == seen[-10:-5]


def test_short_terms_alone_are_checked_row_by_row(owner_client, found):
    # No trigram to look up: the list walks the window and checks each row's text.
    response = owner_client.get("/logs/", {"q": "物流"})
    assert response.context["state"].search_mode == "walk"
    assert response.context["state"].search_query.indexed == ()


def test_rare_terms_are_read_by_id_and_common_ones_by_walking(owner_client, found, monkeypatch):
    assert owner_client.get("/logs/", {"q": "umbrella"}).context["state"].search_mode == "ids"
    monkeypatch.setattr(search.query, "PROBE_CAP", 1)
    assert owner_client.get("/logs/", {"q": "umbrella"}).context["state"].search_mode == "walk"
    assert owner_client.get("/logs/", {"q": "lighthouse"}).context["state"].search_mode == "ids"


def test_no_captured_message_text_means_no_search_row(found):
    assert not SearchText.objects.filter(generation=found["no_payload"]).exists()
    row = SearchText.objects.get(generation=found["umbrella"])
    assert row.account_id == found["umbrella"].account_id
    assert row.created_at == found["umbrella"].created_at
    assert row.folded == row.text.lower()


def test_search_text_is_what_the_details_page_reads(found):
    """The same parsers as Pretty mode: request then response, whitespace as single spaces,
    tool names, ids, arguments and results included."""
    text = SearchText.objects.get(generation=found["tool"]).text
    assert text == (
        'What is the weather in Oslo? lookup_forecast call_Kx7QpZ3mWv9RtY2b { "city": "Oslo" } '
        'lookup_forecast call_Kx7QpZ3mWv9RtY2b { "condition": "sleet showers" }'
    )


def test_summary_and_total_count_the_matches(owner_client, found, mode):
    response = owner_client.get("/logs/", {"q": "umbrella"})
    assert response.context["summary"].requests == 2
    assert response.context["total"] == 2
    assert response.context["total_exact"]


def test_a_large_match_says_it_sampled(owner_client, owner, monkeypatch):
    monkeypatch.setattr("logs.listing.summary.SEARCH_SAMPLE_CAP", 3)
    store(*[make_record(stages=_chat(f"needle {i}")) for i in range(5)])
    response = owner_client.get("/logs/", {"q": "needle"})
    assert response.context["total"] == 3
    assert not response.context["total_exact"]
    page = response.content.decode()
    assert "Summary of the newest 3 matching requests." in page
    assert "3+ requests" in page


@pytest.mark.parametrize("cap", [10, 100])
def test_a_walked_search_samples_the_newest_matches_through_the_index(
    owner_client, owner, monkeypatch, cap
):
    # A common word (walked row by row for the page) spread over the whole window, in two
    # models: the summary and the chart read the newest `cap` text matches from the index,
    # slice by slice back from the window's end, and keep those of the other filters.
    monkeypatch.setattr(search.query, "PROBE_CAP", 0)
    monkeypatch.setattr("logs.listing.summary.SEARCH_SAMPLE_CAP", cap)
    models = ["anthropic/claude-sonnet-4", "openai/gpt-4.1"]
    records = [
        make_record(
            generationId=f"SPREAD{i:03d}",
            createdAt=(NOW - timedelta(hours=4 * i + 1)).isoformat(),
            modelSlug=models[i % 3 == 0],
            nativeFeeTokens={"prompt": 1000 + i, "completion": 50},
            stages=_chat(f"needle number {i}"),
        )
        for i in range(40)  # up to 157 hours back, inside the 7 days
    ]
    store(*records, make_record(stages=_chat("a haystack without it")))
    newest = sorted(records, key=lambda r: r["createdAt"], reverse=True)
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", {"q": "needle", "model": models[1]})
    assert response.context["state"].search_mode == "walk"
    summary = response.context["summary"]
    kept = [r for r in newest[:cap] if r["modelSlug"] == models[1]]
    assert summary.requests == len(kept) > 0
    assert summary.input_tokens == sum(r["nativeFeeTokens"]["prompt"] for r in kept)
    assert summary.exact == (cap > len(records))
    chart = response.context["histogram"]
    assert chart.exact == summary.exact
    assert sum(b.requests for b in chart.bars) == len(kept)
    # The page itself is still the walk: the newest rows of that model whose text matches.
    page = [g.generation_id for g in response.context["rows"]]
    assert page == [r["generationId"] for r in newest if r["modelSlug"] == models[1]]
    # No bounded read of generations checks text row by row: the index found the sample.
    walked = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "logs_searchtext" in q["sql"]]
    assert not walked, walked


@pytest.mark.parametrize("window", ["7d", "from-to"])
def test_the_index_is_read_newest_first_slice_by_slice(owner_client, owner, monkeypatch, window):
    # Matches spread over the window, one per day: the newest slices hold none or one, so
    # the probe goes back slice by slice, each twice the last, to the window's start.
    monkeypatch.setattr(search.query, "PROBE_CAP", 6)
    records = [
        make_record(
            generationId=f"DAILY{i}",
            createdAt=(NOW - timedelta(days=i, hours=3)).isoformat(),
            stages=_chat(f"quartz report {i}"),
        )
        for i in range(8)  # DAILY7 is 7 days and 3 hours old: outside a 7-day window
    ]
    store(*records)
    params = {"q": "quartz"}
    if window == "from-to":
        params |= {"from": _local(NOW - timedelta(days=5)), "to": _local(NOW - timedelta(days=1))}
        expected = ["DAILY1", "DAILY2", "DAILY3", "DAILY4"]
    else:
        expected = [f"DAILY{i}" for i in range(7)]
    probes = []
    real_probe = search.probe
    monkeypatch.setattr(
        search.query, "probe", lambda *a, **k: probes.append(a[1:3]) or real_probe(*a, **k)
    )
    response = owner_client.get("/logs/", params)
    assert response.status_code == 200, response.content[:500]
    rows = [g.generation_id for g in response.context["rows"]]
    assert rows == expected
    # Seven matches in the 7 days are more than PROBE_CAP: walked, and all of them found.
    assert response.context["state"].search_mode == ("ids" if window == "from-to" else "walk")
    # The summary's sample (up to 1,000 of the newest) holds every match: exact either way.
    assert response.context["summary"].requests == len(expected)
    assert response.context["summary"].exact and response.context["total_exact"]
    # Slices newest first, each ending where the one before began, twice as long; a read
    # starts again from the end when the summary wants more than the probe kept.
    runs = [[probes[0]]]
    for low, high in probes[1:]:
        if high is None or high > runs[-1][-1][0]:
            runs.append([])
        runs[-1].append((low, high))
    assert 1 <= len(runs) <= 2 and all(len(run) >= 3 for run in runs)
    for run in runs:
        assert all(high == older for (older, _), (_, high) in zip(run, run[1:], strict=False))
        sizes = [(high or NOW) - low for low, high in run[1:-1]]
        assert all(b == 2 * a for a, b in zip(sizes, sizes[1:], strict=False))


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2030-01-01T00:00:00"},  # a window that starts in the future
        {"from": "2020-01-01T00:00:00", "to": "2020-02-01T00:00:00"},  # before the horizon
    ],
    ids=["future", "past the retention horizon"],
)
def test_a_window_with_nothing_to_slice_is_searched_once(
    owner_client, found, mode, settings, params
):
    settings.LOG_RETENTION_DAYS = 30
    response = owner_client.get("/logs/", {"q": "umbrella", **params})
    assert response.status_code == 200
    assert list(response.context["rows"]) == []
    assert response.context["summary"].requests == 0


def _local(moment):
    """A time as the list's from/to inputs send it, in the viewer's zone (UTC here)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


# ----------------------------------------------------------------------------- bad queries


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"unbalanced quote', "closing quote"),
        ("umbrella -berlin -old", None),
        ("-berlin", "alone match nearly all"),
        ('-"a phrase" -word', "alone match nearly all"),
        ("x" * 201, "at most 200 characters"),
        ("a", "at least 2 characters"),
        ('umbrella ""', "empty"),
        (" ".join(f"w{i}" for i in range(11)), "at most 10"),
    ],
)
def test_bad_queries_are_a_visible_400(owner_client, found, q, message):
    response = owner_client.get("/logs/", {"q": q})
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    page = response.content.decode()
    assert "<code>q</code>" in page
    assert message in page
    assert response.context["filter"].form.errors["q"]
    partial = owner_client.get("/logs/", {"q": q}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 400
    assert message in partial.content.decode()


def test_a_bad_query_never_reads_generations(owner_client, found):
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get("/logs/", {"q": "-only -exclusions"})
    assert response.status_code == 400
    read = [q["sql"] for q in queries if re.search(r"logs_(generation|searchtext)\b", q["sql"])]
    assert read == []
