"""The list page's edges the server decides: short URLs (no empty or default parameters in any
link the page renders from its query, and one redirect for the form sent without JavaScript),
the Time select's "Custom", the filter buttons' counts, the pager above the table, the skip
link, and the results that htmx dims while it reloads them. What only a browser shows is in
tests/browser/test_list_edges_browser.py."""

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.http import QueryDict

from logs.listing.filters import short_query
from tests.factories import make_record, store

pytestmark = pytest.mark.django_db

GPT = "openai/gpt-4.1"
# The filter bar as a browser sends it without JavaScript: every field, most of them empty.
FORM = {
    "q": "",
    "range": "7d",
    "from": "",
    "to": "",
    "model": GPT,
    "request_id": "",
    "page_size": "1",
    "cost_min": "",
    "cost_max": "",
    "latency_min": "",
}


@pytest.fixture
def rows(owner):
    now = datetime.now(UTC)
    return store(
        *[
            make_record(
                generationId=f"SHORT{i}",
                modelSlug=GPT if i < 2 else "anthropic/claude-sonnet-4",
                providerSlug="openai" if i < 2 else "anthropic",
                createdAt=(now - timedelta(minutes=10 + i)).isoformat(),
            )
            for i in range(3)
        ]
    )


def test_short_query_leaves_out_empty_and_default_parameters_in_order():
    query = QueryDict(
        "q=&range=7d&model=b&from=&model=a&page_size=50&sort=-created_at&cost_min=0&cursor=c"
    )
    assert short_query(query).urlencode() == "model=b&model=a&cost_min=0&cursor=c"
    kept = QueryDict("range=24h&page_size=25&sort=-cost")
    assert short_query(kept).urlencode() == "range=24h&page_size=25&sort=-cost"
    assert short_query(QueryDict("q=&range=7d")).urlencode() == ""


def test_the_form_sent_without_javascript_is_redirected_to_its_short_url(owner_client, rows):
    response = owner_client.get("/logs/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/logs/?model=openai%2Fgpt-4.1&page_size=1"
    everything_empty = owner_client.get("/logs/", {"q": "", "range": "7d", "from": ""})
    assert everything_empty.status_code == 302 and everything_empty["Location"] == "/logs/"
    # Bad values are kept, to be shown as errors on the page it leads to.
    bad = owner_client.get("/logs/", {"cost_min": "abc", "cost_max": ""}, follow=True)
    assert bad.redirect_chain == [("/logs/?cost_min=abc", 302)] and bad.status_code == 400
    # A link without empty values is taken as it is, defaults and all.
    assert owner_client.get("/logs/", {"range": "7d", "model": GPT}).status_code == 200


def test_an_htmx_request_is_answered_not_redirected(owner_client, rows):
    response = owner_client.get("/logs/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"<html" not in response.content


def _links(body):
    """Every href and hx-get in the page, unescaped."""
    return [html.unescape(v) for v in re.findall(r'(?:href|hx-get)="([^"]*\?[^"]*)"', body)]


def _names(link):
    return [name for name, _value in parse_qsl(urlsplit(link).query, keep_blank_values=True)]


@pytest.mark.parametrize("htmx", [True, False], ids=["partial", "page"])
def test_every_link_from_the_lists_query_is_short(owner_client, rows, htmx):
    if htmx:
        body = owner_client.get("/logs/", FORM, HTTP_HX_REQUEST="true").content.decode()
    else:
        body = owner_client.get("/logs/", FORM, follow=True).content.decode()
    links = _links(body)
    older = re.search(r'href="([^"]*)" rel="next"', body).group(1).replace("&amp;", "&")
    cursor = dict(parse_qsl(urlsplit(older).query))["cursor"]
    kinds = {
        # pager (above and below the table), sort header, Details, CSV export, histogram bar
        "older": f"?model=openai%2Fgpt-4.1&page_size=1&cursor={cursor}",
        "cost": "?model=openai%2Fgpt-4.1&page_size=1&sort=-cost",
        "details": "/logs/SHORT0/?model=openai%2Fgpt-4.1&page_size=1",
        "export": "/logs/export.csv?model=openai%2Fgpt-4.1&page_size=1",
    }
    for name, link in kinds.items():
        assert link in links, (name, links)
    assert links.count(kinds["older"]) == 4  # href and hx-get, above and below the table
    bars = [link for link in links if "from=" in link]
    assert bars and all(_names(bar) == ["model", "page_size", "from", "to"] for bar in bars), bars[
        :3
    ]
    for link in links:
        query = parse_qsl(urlsplit(link).query, keep_blank_values=True)
        assert all(value != "" for _name, value in query), link
        assert ("range", "7d") not in query, link


def test_a_sort_header_back_to_the_default_leaves_the_sort_out(owner_client, rows):
    body = owner_client.get("/logs/", {"sort": "created_at", "range": "7d"}).content.decode()
    header = next(h for h in re.findall(r"<th[ >].*?</th>", body) if "Timestamp" in h)
    assert 'href="?"' in header  # newest first, the default: nothing to say


def test_time_says_custom_when_from_or_to_set_the_window(owner_client, rows):
    def options(params):
        body = owner_client.get("/logs/", params).content.decode()
        select = re.search(r'<select name="range".*?</select>', body, re.S).group(0)
        return re.findall(r"<option [^>]*>[^<]*</option>", select)

    plain = options({})
    assert '<option value="7d" selected>Last 7 days</option>' in plain
    assert not any("Custom" in option for option in plain)
    for params in [{"from": "2020-01-01T00:00"}, {"to": "2030-01-01T00:00", "range": "24h"}]:
        custom = options(params)
        assert custom[0] == '<option value="" selected data-custom>Custom</option>'
        assert sum(" selected" in option for option in custom) == 1
        assert '<option value="24h">Last 24 hours</option>' in custom


def test_each_dropdown_counts_its_ticked_boxes(owner_client, rows):
    body = owner_client.get(
        "/logs/", {"model": [GPT, "anthropic/claude-sonnet-4"], "provider": "openai"}
    ).content.decode()

    def summary(name):
        start = body.index(f'data-filter="{name}"')
        return body[start : body.index("</summary>", start)]

    assert summary("model").endswith('Model <span class="count" data-filter-count>2</span>')
    assert summary("provider").endswith('<span class="count" data-filter-count>1</span>')
    # An empty count is still there for app.js to fill in (CSS hides it).
    assert summary("finish_reason").endswith('<span class="count" data-filter-count></span>')


def test_the_pager_stands_above_the_table_too_when_there_is_a_page_to_go_to(owner_client, rows):
    paged = owner_client.get("/logs/", {"page_size": 1}).content.decode()
    top = paged.index('<nav class="pager pager-top" aria-label="Pages, above the table">')
    table = paged.index('<table class="logs">')
    bottom = paged.index('<nav class="pager" aria-label="Pages">')
    assert top < table < bottom
    assert paged[top:table].count('rel="next"') == 1
    assert "Export CSV" in paged[bottom:] and "Export CSV" not in paged[top:table]
    single = owner_client.get("/logs/").content.decode()
    assert "pager-top" not in single and 'aria-label="Pages"' in single


def test_the_skip_link_leads_to_the_results_and_elsewhere_to_the_main_content(owner_client, rows):
    body = owner_client.get("/logs/").content.decode()
    first = re.search(r"<body[^>]*>\s*(<a [^>]*>[^<]*</a>)", body).group(1)
    assert first == '<a class="skip-link" href="#results">Skip to results</a>'
    assert '<div id="results" aria-live="polite" tabindex="-1">' in body
    billing = owner_client.get("/billing/").content.decode()
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in billing
    assert '<main id="main"' in billing


def test_the_results_are_an_indicator_of_every_request_that_reloads_them(owner_client, rows):
    # htmx puts its htmx-request class on each indicator while a request runs: the CSS dims
    # #results then.
    body = owner_client.get("/logs/", {"page_size": 1}).content.decode()
    reloads = re.findall(r"<(?:form|a)[^>]*hx-target=\"#results\"[^>]*>", body)
    assert len(reloads) > 5  # the form, the sort headers, the pagers
    for tag in reloads:
        assert 'hx-indicator="#loading, #results"' in tag, tag
