"""404, 403 and 500 in the site's layout (templates/base.html): the header and its navigation,
and a way back; Django's technical pages stay for DEBUG=1. The 500 page is rendered with no
context at all, so it needs neither the request nor the database."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from tests.factories import make_generation

LAYOUT = '<header class="topbar">'
SIGNED_IN_NAV = ['href="/logs/" aria-current="page">Logs</a>', 'href="/billing/">Billing</a>']
WAY_BACK = '<a href="/logs/">Go to the logs</a>'


@pytest.fixture(autouse=True)
def _debug_off(settings):
    # pytest-django runs with DEBUG off already; said here, as these pages exist only then.
    settings.DEBUG = False


def _assert_in_layout(response, status, title):
    body = response.content.decode()
    assert response.status_code == status
    assert body.startswith("<!doctype html>") and LAYOUT in body, body[:300]
    assert f"<title>{title} · ZenLogs</title>" in body and f"<h1>{title}</h1>" in body
    assert 'href="/static/zenlogs/app.css"' in body
    return body


def test_an_unknown_address_is_a_404_in_the_layout_with_the_navigation(owner_client):
    body = _assert_in_layout(owner_client.get("/no/such/page/"), 404, "Not found")
    for link in [
        'href="/logs/">Logs</a>',
        'href="/billing/">Billing</a>',
        'href="/billing/usage/">Usage</a>',
    ]:
        assert link in body
    assert "Sign out" in body and ">owner</span>" in body
    assert WAY_BACK in body and "data-back hidden>Back to the previous page</a>" in body
    assert "<code>/no/such/page/</code>" in body


def test_an_unknown_generation_and_another_accounts_are_the_same_404(owner_client, outsider):
    theirs = make_generation(generationId="THEIRS-1", accountId="2533ACzzOTHER0000001")
    unknown = _assert_in_layout(owner_client.get("/logs/NO-SUCH-ID/"), 404, "Not found")
    other = _assert_in_layout(owner_client.get(f"/logs/{theirs.generation_id}/"), 404, "Not found")
    for body in (unknown, other):
        for link in SIGNED_IN_NAV:
            assert link in body
        assert WAY_BACK in body

    # Word for word the same page, but for the path (and the CSRF token, masked anew each time).
    def same(body):
        return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", body)

    assert same(other.replace(theirs.generation_id, "NO-SUCH-ID")) == same(unknown)
    # A stage download of another account's generation too.
    raw = owner_client.get(f"/logs/{theirs.generation_id}/raw/user_request/")
    _assert_in_layout(raw, 404, "Not found")


def test_the_requested_path_is_escaped(owner_client):
    body = _assert_in_layout(owner_client.get("/logs/<script>x</script>/"), 404, "Not found")
    assert "<script>x" not in body
    assert "%3Cscript%3Ex%3C/script%3E" in body


def test_an_htmx_request_that_404s_gets_a_404_which_htmx_does_not_swap(owner_client):
    response = owner_client.get("/logs/NO-SUCH-ID/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    # base.html's htmx config: 4xx answers but 400 (a form error to show) are not swapped,
    # so this whole page never lands inside the list's results.
    page = owner_client.get("/logs/").content.decode()
    assert '{"code": "400", "swap": true, "error": false}, {"code": "[45]..", "swap": false' in page


def test_a_404_signed_out_is_in_the_layout_without_the_signed_in_part(client):
    body = _assert_in_layout(client.get("/no/such/page/"), 404, "Not found")
    assert "Sign out" not in body and WAY_BACK in body


def test_debug_keeps_djangos_technical_404(owner_client, settings):
    settings.DEBUG = True
    response = owner_client.get("/no/such/page/")
    assert response.status_code == 404
    assert LAYOUT not in response.content.decode()
    assert "Using the URLconf defined in" in response.content.decode()


def test_a_refused_form_is_a_403_in_the_layout(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/accounts/password/", {"old_password": "pw"})
    body = _assert_in_layout(response, 403, "Forbidden")
    for link in SIGNED_IN_NAV:
        assert link.replace(' aria-current="page"', "") in body
    assert "Reload the page and send the form again." in body and WAY_BACK in body


def test_debug_keeps_djangos_csrf_page(owner, settings):
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/accounts/password/", {"old_password": "pw"})
    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()
    assert LAYOUT not in response.content.decode()


@pytest.mark.urls("tests.site.error_urls")
def test_permission_denied_is_a_403_in_the_layout(owner_client):
    body = _assert_in_layout(owner_client.get("/test-errors/403/"), 403, "Forbidden")
    assert "You do not have access to this page." in body and WAY_BACK in body


@pytest.mark.urls("tests.site.error_urls")
@pytest.mark.parametrize("url", ["/test-errors/500/", "/test-errors/500-database/"])
def test_a_server_error_is_a_500_in_the_layout_without_touching_the_database(
    owner, url, django_assert_num_queries
):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with django_assert_num_queries(0):
        response = client.get(url)
    body = _assert_in_layout(response, 500, "Something went wrong")
    for link in [
        'href="/logs/">Logs</a>',
        'href="/billing/">Billing</a>',
        'href="/billing/usage/">Usage</a>',
    ]:
        assert link in body
    assert "data-back hidden>Back to the previous page</a>" in body
    assert "Sign out" not in body  # the signed-in part of the header reads the session


def test_the_500_page_renders_with_no_context_at_all():
    body = render_to_string("500.html")
    assert LAYOUT in body and "<h1>Something went wrong</h1>" in body
    assert 'href="/logs/">Logs</a>' in body
