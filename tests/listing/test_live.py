"""The live list (live=1): the page says where its polls start, and a poll (the list's URL with
`after` and `sums`, as an htmx request) brings only what was stored since, under the page's
filters and search and account, with the strip's figures added."""

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logs.listing.live import LOOKBACK
from tests.factories import ACCOUNT_B, KEY_B, make_record, store
from zenlogs.sealed import seal

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _attr(body, name):
    found = re.search(rf'{name}="([^"]*)"', body)
    return html.unescape(found.group(1)) if found else None


def _page(client, params):
    response = client.get("/logs/", {**params, "live": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    return _attr(body, "data-live-after"), _attr(body, "data-live-sums")


def _poll(client, params, after, sums=None, status=200, **headers):
    query = {**params, "live": "1", "after": after}
    if sums is not None:
        query["sums"] = sums
    response = client.get("/logs/", query, **HTMX, **headers)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def _ids(body):
    return re.findall(r'<tr id="g-([^"]+)"', body)


def _ago(**delta):
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@pytest.fixture
def shown(owner):
    """Rows the page already shows."""
    return store(
        make_record(generationId="LIVE-OLD-1", createdAt=_ago(minutes=3)),
        make_record(generationId="LIVE-OLD-2", createdAt=_ago(seconds=30)),
    )


def test_a_live_page_says_where_its_polls_start_and_the_ordinary_list_does_not(owner_client, shown):
    after, sums = _page(owner_client, {})
    assert re.fullmatch(r"n\d+\.[A-Za-z0-9_-]{24}", after)
    assert sums.startswith("2,") and sums.endswith(",1")  # two requests, exact
    body = owner_client.get("/logs/").content.decode()
    assert "data-live-after" not in body and "LIVE-OLD-1" in body


def test_a_poll_brings_only_the_rows_stored_since_and_adds_them_to_the_strip(owner_client, shown):
    after, sums = _page(owner_client, {})
    store(make_record(generationId="LIVE-NEW", createdAt=_ago(seconds=1)))
    body = _poll(owner_client, {}, after, sums)
    assert _ids(body) == ["LIVE-NEW"]
    assert _attr(body, "data-requests") == "1" and _attr(body, "data-overflow") == ""
    # The strip and the pager's total now count the three, as a fresh page does.
    fresh = owner_client.get("/logs/").content.decode()
    assert _attr(body, "data-live-sums") == _attr(fresh, "data-live-sums")
    assert _attr(body, "data-live-sums").startswith("3,")
    assert '<span class="total">3 requests</span>' in body
    # The next poll starts after it: nothing new.
    again = _poll(owner_client, {}, _attr(body, "data-after"), _attr(body, "data-live-sums"))
    assert _ids(again) == [] and _attr(again, "data-requests") == "0"
    assert _attr(again, "data-live-sums") == _attr(body, "data-live-sums")


def test_an_empty_poll_changes_nothing(owner_client, shown):
    after, sums = _page(owner_client, {})
    body = _poll(owner_client, {}, after, sums)
    assert _ids(body) == [] and _attr(body, "data-requests") == "0"
    assert _attr(body, "data-seconds") == ""
    assert _attr(body, "data-live-sums") == sums


def test_an_empty_poll_reads_no_dropdown_choices_and_checks_the_ones_given(owner_client, shown):
    after, sums = _page(owner_client, {})
    with CaptureQueriesContext(connection) as queries:
        _poll(owner_client, {}, after, sums)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "logs_facet" not in read and "logs_apikey" not in read
    # A value given is still checked against the account's own: an unknown one is a 400.
    params = {"model": "nobody/such-model"}
    body = _poll(owner_client, params, after, sums, status=400)
    assert "<code>model</code>" in body
    known = {"model": shown[0].model_slug, "api_key": shown[0].api_key.external_id}
    assert _ids(_poll(owner_client, known, after, sums)) == []
    # A poll builds only the fields it is given, and checks each of them.
    for params, name in [({"cost_min": "-1"}, "cost_min"), ({"page_size": "0"}, "page_size")]:
        assert f"<code>{name}</code>" in _poll(owner_client, params, after, sums, status=400)


def test_a_poll_keeps_the_filters_and_the_search(owner_client, shown):
    params = {"model": "openai/gpt-4.1", "q": "umbrella"}
    store(make_record(generationId="LIVE-FACET", modelSlug="openai/gpt-4.1", providerSlug="openai"))
    after, sums = _page(owner_client, params)

    def asking(text):
        return {"messages": [{"role": "user", "content": text}]}

    def sent(generation_id, model, text):
        record = make_record(generationId=generation_id, modelSlug=model, createdAt=_ago(seconds=2))
        record["stages"] = {"user_request": {"headers": {}, "body": asking(text)}}
        return record

    store(
        sent("LIVE-MATCH", "openai/gpt-4.1", "Where can I buy an umbrella in Berlin?"),
        sent("LIVE-OTHER-MODEL", "anthropic/claude-sonnet-4", "An umbrella, please"),
        sent("LIVE-OTHER-TEXT", "openai/gpt-4.1", "A raincoat, please"),
    )
    body = _poll(owner_client, params, after, sums)
    assert _ids(body) == ["LIVE-MATCH"]
    assert _attr(body, "data-requests") == "1"
    assert "<mark>umbrella</mark>" in body  # its excerpt, as the page shows it


def test_another_accounts_rows_never_come(owner_client, shown, outsider):
    after, sums = _page(owner_client, {})
    store(
        make_record(
            generationId="LIVE-THEIRS", accountId=ACCOUNT_B, apiKeyId=KEY_B, createdAt=_ago()
        )
    )
    body = _poll(owner_client, {}, after, sums)
    assert "LIVE-THEIRS" not in body and _attr(body, "data-requests") == "0"


def _cost_panel(body, generation_id):
    found = re.search(rf'id="cost-{generation_id}"[^>]*>(.*?)</div>\s*</div>\s*</td>', body, re.S)
    return " ".join(found.group(1).split())


def test_a_live_rows_cost_popover_is_read_when_opened_from_a_url_of_the_readers_accounts(
    owner_client, shown, outsider, client
):
    after, sums = _page(owner_client, {})
    store(make_record(generationId="LIVE-POP", createdAt=_ago(seconds=1)))
    body = _poll(owner_client, {}, after, sums)
    assert _ids(body) == ["LIVE-POP"]
    # Sent without its body (the rating is not read), and where to read it.
    assert "Fee item" not in _cost_panel(body, "LIVE-POP")
    assert _attr(body, "data-pop-src") == "/logs/LIVE-POP/cost"
    popover = owner_client.get("/logs/LIVE-POP/cost")
    assert popover.status_code == 200
    # What the page itself shows in that popover.
    page = owner_client.get("/logs/").content.decode()
    assert "Fee item" in _cost_panel(page, "LIVE-POP")
    assert " ".join(popover.content.decode().split()) == _cost_panel(page, "LIVE-POP")
    # Another account's generation is not found, and nobody's without signing in.
    store(make_record(generationId="POP-THEIRS", accountId=ACCOUNT_B, apiKeyId=KEY_B))
    assert owner_client.get("/logs/POP-THEIRS/cost").status_code == 404
    client.logout()
    assert client.get("/logs/LIVE-POP/cost").status_code == 302


@pytest.mark.parametrize(
    ("language", "words", "popover_words"),
    [
        (
            "en",
            ["Input tokens", "Input Tokens", "Cost (USD)", "Details", "Loading the billing"],
            [
                "Billing details",
                "Fee item",
                "Reward Credits",
                "Purchased Credits",
                "Unpaid",
                "Total",
            ],
        ),
        (
            "zh-CN",
            ["输入 Token", "费用（USD）", "详情", "正在加载计费明细"],
            ["计费明细", "计费项", "奖励额度", "充值额度", "未支付"],
        ),
    ],
)
def test_rows_of_a_page_and_of_a_poll_speak_the_readers_language_and_link_their_own_call(
    owner_client, shown, language, words, popover_words
):
    # The row's and its cost popover's words are translated once a request (`labels`,
    # logs.context_processors) and its links built from one reverse (console.detail_url):
    # both still per reader and per row.
    after, sums = _page(owner_client, {})
    store(make_record(generationId="LIVE-WORDS:1.a_b", createdAt=_ago(seconds=1)))
    poll = _poll(owner_client, {}, after, sums, HTTP_ACCEPT_LANGUAGE=language)
    page = owner_client.get("/logs/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for body in (poll, page):
        row = body[body.index('<tr id="g-LIVE-WORDS:1.a_b"') :]
        row = row[: row.index('class="action"') + 200]  # the cost popover holds a table
        assert '<a href="/logs/LIVE-WORDS:1.a_b/' in row
        for word in words[:-1]:
            assert word in row, (word, row)
    cost = _cost_panel(page, "LIVE-WORDS:1.a_b")
    for word in popover_words:
        assert word in cost, (word, cost)
    popover = owner_client.get("/logs/LIVE-WORDS:1.a_b/cost", HTTP_ACCEPT_LANGUAGE=language)
    assert " ".join(popover.content.decode().split()) == cost  # read when a live row opens it
    assert 'data-pop-src="/logs/LIVE-WORDS:1.a_b/cost"' in poll
    assert words[-1] in poll and words[-1] not in page  # the lazy popover's note: live only
    assert owner_client.get("/logs/LIVE-WORDS:1.a_b/").status_code == 200


def test_a_call_stored_after_a_later_one_is_still_brought_in(owner_client, shown):
    """A long call started before the newest row shown and ended after the page was read."""
    after, sums = _page(owner_client, {})
    store(make_record(generationId="LIVE-LONG", createdAt=_ago(minutes=2)))
    body = _poll(owner_client, {}, after, sums)
    assert _ids(body) == ["LIVE-LONG"]
    # Stored later than LOOKBACK after its start: left to the next load.
    after = _attr(body, "data-after")
    store(make_record(generationId="LIVE-TOO-LATE", createdAt=_ago(seconds=LOOKBACK.seconds + 60)))
    body = _poll(owner_client, {}, after, _attr(body, "data-live-sums"))
    assert _ids(body) == []


def test_counts_per_second_for_the_histograms_bars(owner_client, shown):
    after, sums = _page(owner_client, {})
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    store(
        make_record(generationId="LIVE-A", createdAt=when.isoformat()),
        make_record(generationId="LIVE-B", createdAt=when.isoformat(), finishReason="error"),
    )
    body = _poll(owner_client, {}, after, sums)
    assert _attr(body, "data-seconds") == f"{int(when.timestamp())}:2:1"


def test_more_than_a_page_at_once_is_counted_and_the_page_told_to_reload(owner_client, shown):
    after, sums = _page(owner_client, {"page_size": "2"})
    many = [make_record(generationId=f"LIVE-MANY-{i}", createdAt=_ago(seconds=i)) for i in range(3)]
    store(*many)
    body = _poll(owner_client, {"page_size": "2"}, after, sums)
    assert _ids(body) == [] and _attr(body, "data-overflow") == "1"
    assert _attr(body, "data-requests") == "3" and _attr(body, "data-live-sums").startswith("5,")


@pytest.mark.parametrize(
    "after",
    ["garbage", "o1755830958000000." + seal(1), "n1755830958000000.AAAAAAAAAAAAAAAAAAAAAAAA"],
    ids=["not a cursor", "an older page's", "forged seal"],
)
def test_a_bad_after_is_a_400_naming_it(owner_client, shown, after):
    body = _poll(owner_client, {}, after, status=400)
    assert "<code>after</code>" in body


@pytest.mark.parametrize("sums", ["1,2,3", "1,2,3,4E+9999,5,6,7,8,1", "a,2,3,4,5,6,7,8,1"])
def test_bad_sums_are_a_400_naming_them(owner_client, shown, sums):
    after, _ = _page(owner_client, {})
    body = _poll(owner_client, {}, after, sums, status=400)
    assert "<code>sums</code>" in body


def test_a_poll_is_for_signed_in_users_only(client, shown):
    response = client.get("/logs/", {"live": "1", "after": "n1." + seal(1)}, **HTMX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"to": "2030-01-01T00:00"}, "ends at a set To time"),
        ({"sort": "-cost"}, "is sorted another way"),
        ({"cursor": "o1755830958000000." + seal(1)}, "is an older page"),
    ],
    ids=["to", "sort", "cursor"],
)
def test_live_with_a_fixed_end_another_sort_or_an_older_page_is_off_and_says_why(
    owner_client, shown, params, reason
):
    response = owner_client.get("/logs/", {**params, "live": "1", "range": "24h"})
    body = response.content.decode()
    assert response.status_code == 200 and "data-live-after" not in body
    note = re.search(r'<p class="note js-only" data-testid="live-paused">(.*?)</p>', body, re.S)
    assert reason in note.group(1)
    follow = html.unescape(re.search(r'<a href="([^"]+)">Follow live</a>', note.group(1)).group(1))
    path, _, query = follow.partition("?")
    assert path == "/logs/" and parse_qs(query) == {"range": ["24h"], "live": ["1"]}
    # A poll under such a URL is no poll: the ordinary list, which the page would swap in.
    poll = owner_client.get("/logs/", {**params, "live": "1", "after": "n1." + seal(1)}, **HTMX)
    assert "data-live-update" not in poll.content.decode()


def test_sums_are_taken_as_the_page_wrote_them_negative_ones_included(owner_client, shown):
    """An hour's rollup less its rows outside the window is negative where rollups are missing
    (a table filled without them); the page still shows, and sends back, what it summed."""
    after, _ = _page(owner_client, {})
    body = _poll(owner_client, {}, after, "-2,0,0,-0.5,0,0,0,0,0")
    assert _attr(body, "data-live-sums") == "-2,0,0,-0.5,0,0,0,0,0"
