"""Bad bearer tokens on the API: 20 from one address in a minute, and that address's
unrecognized (or missing) tokens get 429 with Retry-After until the minute ends; a valid
token always goes through, and other addresses are not affected."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logs.models import BadTokenMinute
from tests.factories import EXAMPLE, at_once, example_record, make_record, store

pytestmark = pytest.mark.django_db

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.2"
BAD = "zl_pat_not-a-real-token"


class _Clock:
    def __init__(self):
        # Ten seconds into the current minute: no test crosses a minute by accident.
        self.moment = timezone.now().replace(second=10, microsecond=0)

    def __call__(self):
        return self.moment

    def advance(self, seconds):
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def _get(client, token, address=HOME, **headers):
    authorization = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(
        "/api/v1/generation",
        {"id": EXAMPLE["generationId"]},
        REMOTE_ADDR=address,
        **authorization,
        **headers,
    )


def _post(client, token, address=HOME):
    return client.post(
        "/api/v1/generations",
        [make_record()],
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        REMOTE_ADDR=address,
    )


def _twenty_bad_tokens(client, address=HOME):
    return [_get(client, BAD, address).status_code for _ in range(20)]


def test_the_21st_request_after_20_bad_tokens_is_429_with_retry_after(client, clock, owner):
    assert _twenty_bad_tokens(client) == [401] * 20
    refused = _get(client, BAD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert "too many bad tokens" in refused.json()["error"]


def test_while_limited_a_valid_token_from_that_address_still_goes_through(
    client, clock, owner_token, ingest_token
):
    # Behind a proxy without TRUSTED_PROXY_COUNT every client shares one address: twenty
    # bad requests must not stop everyone's ingestion.
    store(example_record())
    _twenty_bad_tokens(client)
    assert _get(client, owner_token).status_code == 200
    assert _post(client, ingest_token).status_code == 200
    refused = _post(client, "zl_ingest_wrong")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert _get(client, None).status_code == 429  # a missing token too


def test_a_valid_token_reads_nothing_of_the_limit(client, clock, owner_token, ingest_token):
    store(example_record())
    _twenty_bad_tokens(client)
    with CaptureQueriesContext(connection) as queries:
        assert _get(client, owner_token).status_code == 200
        assert _post(client, ingest_token).status_code == 200
    assert not [q for q in queries.captured_queries if "badtokenminute" in q["sql"].lower()]


def test_a_valid_token_from_another_address_still_works(client, clock, owner_token, ingest_token):
    store(example_record())
    _twenty_bad_tokens(client)
    assert _get(client, owner_token, address=ELSEWHERE).status_code == 200
    assert _post(client, ingest_token, address=ELSEWHERE).status_code == 200


def test_ingest_and_missing_tokens_count_as_failures_too(client, clock, ingest_token):
    statuses = [_post(client, "zl_ingest_wrong").status_code for _ in range(10)]
    statuses += [_get(client, None).status_code for _ in range(10)]
    assert statuses == [401] * 20
    assert _post(client, "zl_ingest_wrong").status_code == 429
    assert _post(client, ingest_token).status_code == 200


def test_successes_are_not_counted(client, clock, owner_token):
    store(example_record())
    for _ in range(19):
        assert _get(client, BAD).status_code == 401
    for _ in range(30):
        assert _get(client, owner_token).status_code == 200
    assert _get(client, BAD).status_code == 401  # the 20th failure, still answered
    assert _get(client, BAD).status_code == 429
    assert _get(client, owner_token).status_code == 200


def test_the_limit_lifts_when_the_minute_ends(client, clock, owner_token):
    store(example_record())
    _twenty_bad_tokens(client)
    clock.advance(49)
    refused = _get(client, BAD)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    clock.advance(1)
    assert _get(client, BAD).status_code == 401
    assert _get(client, owner_token).status_code == 200


def test_finished_minutes_are_deleted_by_the_next_first_failure(client, clock):
    _get(client, BAD, HOME)
    _get(client, BAD, ELSEWHERE)
    clock.advance(60)
    _get(client, BAD, HOME)
    assert list(BadTokenMinute.objects.values_list("address", "failures")) == [(HOME, 1)]


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, clock, settings, owner_token):
    settings.TRUSTED_PROXY_COUNT = 1
    store(example_record())
    proxy = "10.0.0.1"
    # Whatever a client puts in front of the proxy's entry, it is the same client.
    for n in range(20):
        forwarded = f"192.0.2.{n}, {HOME}"
        assert _get(client, BAD, proxy, HTTP_X_FORWARDED_FOR=forwarded).status_code == 401
    assert _get(client, BAD, proxy, HTTP_X_FORWARDED_FOR=HOME).status_code == 429
    assert _get(client, BAD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 401
    assert _get(client, owner_token, proxy, HTTP_X_FORWARDED_FOR=HOME).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(clock):
    # As gunicorn's workers and threads would: separate connections, at once.
    def fail_four_times():
        client = Client()
        for _ in range(4):
            assert _get(client, BAD).status_code == 401

    at_once(*[fail_four_times] * 4)
    assert BadTokenMinute.objects.get(address=HOME).failures == 16
