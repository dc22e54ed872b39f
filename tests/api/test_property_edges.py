"""Whatever ingestion accepts, every page, export and API can show (issue 18).

Hypothesis builds records at the edges of every accepted field: createdAt at both ends of its
range in several UTC offsets, amounts just under MAX_MONEY (negative where allowed), token
counts of MAX_TOKENS, the largest throughput, long and odd Unicode (right-to-left marks,
combining marks, emoji, NUL and lone surrogates as JSON escapes, markup), empty and maximal
nested objects (nativeTokens, extra keys, stage bodies) at the nesting limit. Each batch goes
through the ingest API and must be stored whole; then the list (default, range=all, every
sort), the details page in both modes, the CSV and JSONL exports read to their end, the raw
metadata API, usage and billing must all answer 200.

The limits come from logs.record.values and settings, so the edges move with them. EXAMPLES
bounds the run; ZL_FUZZ_EXAMPLES raises it for a longer local run."""

import datetime as dt
import itertools
import json
import os
from decimal import Decimal
from io import StringIO

import pytest
import simplejson
from django.conf import settings as django_settings
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from billing.models import FEE_ITEMS
from logs.listing.filters import SORTS
from logs.record.codec import check_depth
from logs.record.values import (
    MAX_CREATED_AT,
    MAX_INT,
    MAX_MONEY,
    MAX_THROUGHPUT,
    MAX_TOKENS,
    MIN_CREATED_AT,
    STAGE_KEYS,
)
from tests.conftest import IN_CI
from tests.factories import ACCOUNT_A

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ZL_FUZZ_EXAMPLES", "20"))
_serial = itertools.count(1)

# ------------------------------------------------------------------------------ values

TEN_PLACES = Decimal("1E-10")
UTC_OFFSETS = [
    dt.timedelta(hours=-12),
    dt.timedelta(hours=-9, minutes=-30),
    dt.timedelta(0),
    dt.timedelta(hours=5, minutes=45),
    dt.timedelta(hours=14),
]
MILLISECOND = dt.timedelta(milliseconds=1)
MICROSECOND = dt.timedelta(microseconds=1)

instants = st.one_of(
    st.sampled_from(
        [
            MIN_CREATED_AT,
            MIN_CREATED_AT + MICROSECOND,
            MAX_CREATED_AT - MILLISECOND,
            MAX_CREATED_AT - MICROSECOND,
        ]
    ),
    # Recent ones too, or the default list (the last 7 days) would never show one.
    st.integers(0, 2 * 24 * 3600).map(
        lambda seconds: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    ),
    # A few days in between, within a day (on PostgreSQL every new day is a partition
    # of four tables, and each one more makes every query plan slower).
    st.builds(
        lambda day, seconds: day + dt.timedelta(seconds=seconds),
        st.sampled_from(
            [dt.datetime(y, m, d, tzinfo=dt.UTC) for y, m, d in [(2000, 2, 29), (2038, 1, 19)]]
        ),
        st.floats(0, 24 * 3600 - 1),
    ),
)


@st.composite
def created_ats(draw):
    instant = draw(instants)
    offset = dt.timezone(draw(st.sampled_from(UTC_OFFSETS)))
    timespec = draw(st.sampled_from(["microseconds", "milliseconds", "seconds"]))
    # Cutting digits off moves an instant back, never past the maximum; the minimum is whole.
    text = instant.astimezone(offset).isoformat(timespec=timespec)
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


def _decimals(maximum, negative):
    """Decimals the validator accepts below `maximum`: its edges and anything in between."""
    top = maximum - TEN_PLACES
    edges = [top, maximum - 1, Decimal("0.01"), TEN_PLACES, Decimal(0)]
    values = st.one_of(
        st.sampled_from(edges + ([-top, -(maximum - 1)] if negative else [])),
        st.decimals(-top if negative else 0, top, places=10),
    )
    # As JSON numbers or as strings: the validator reads both.
    return values.flatmap(lambda d: st.sampled_from([d, format(d, "f")]))


amounts = _decimals(MAX_MONEY, negative=True)
positive_amounts = _decimals(MAX_MONEY, negative=False)
counts = st.one_of(st.sampled_from([0, 1, MAX_TOKENS]), st.integers(0, MAX_TOKENS))
int32 = st.one_of(st.sampled_from([0, 2**31 - 1]), st.integers(0, 2**31 - 1))
throughputs = st.one_of(
    st.sampled_from([MAX_THROUGHPUT - Decimal("0.01"), Decimal(0), "0.00"]),
    st.decimals(0, MAX_THROUGHPUT - Decimal("0.01"), places=2),
)

ODD = [
    "\u202eevil\u202c",  # right-to-left override
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",  # Arabic, Hebrew
    "e\u0301\u0301\u0301\u0308\u0336",  # stacked combining marks
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\U0001f3f3\ufe0f\u200d\U0001f308",  # ZWJ emoji
    "\U0001f4a9",
    "\x00",  # NUL: sent as \u0000, stored as U+FFFD
    "\ud800",  # a lone surrogate: sent as \ud800
    "\udfff",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request }}{% csrf_token %}",
    '=HYPERLINK("http://x")',
    "\r\n\t",
    "\u2028\u2029",
    "\ufeff\u200b",
    "%s%d%n",
    "Bearer sk-ant-abcdefghijklmnopqrstuvwxyz0123",
]
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD), st.text(max_size=8)), min_size=0, max_size=6
).map("".join)


def _limited(limit):
    """Odd text of at most `limit` characters, often exactly `limit`."""
    filled = odd_text.map(lambda t: (t or "x") * (limit // max(len(t), 1) + 1))
    return st.one_of(odd_text, filled).map(lambda t: t[:limit])


def _nest(depth, leaf):
    """A value `depth` levels deep as logs.record.codec.check_depth counts them (a scalar is
    one level), alternating objects and arrays."""
    value = leaf
    for level in range(depth - 1):
        value = {"k\u0301": value} if level % 2 else [value]
    return value


def _id(prefix, draw):
    # IDs allow letters, digits and _ . : - up to 64 characters; unique per record.
    tail = f"{next(_serial)}"
    return (prefix + draw(st.sampled_from(["", "_.:-", "a" * 64])))[: 64 - len(tail)] + tail


@st.composite
def stage_bodies(draw, depth):
    kind = draw(st.sampled_from(["chat", "nested", "text", "empty", "none"]))
    if kind == "chat":
        content = draw(odd_text)
        return {
            "model": draw(odd_text),
            "messages": [{"role": "user", "content": content}],
            "choices": [{"message": {"role": "assistant", "content": content}}],
        }
    if kind == "nested":
        return _nest(depth, draw(odd_text))
    if kind == "text":
        return "data: " + draw(odd_text) + "\n\ndata: [DONE]\n\n"
    return {} if kind == "empty" else None


@st.composite
def records(draw):
    limit = django_settings.INGEST_MAX_DEPTH
    record = {
        "generationId": _id("G", draw),
        "accountId": ACCOUNT_A,
        "apiKeyId": draw(st.sampled_from(["2534AKkA4Nqn14642786", "k" * 64, "k:.-_"])),
        "model": draw(_limited(200)),
        "modelSlug": draw(st.sampled_from(["anthropic/claude-sonnet-4", "a/b@c+d:e", "m" * 200])),
        "providerSlug": draw(st.sampled_from(["anthropic", "p" * 100, "x.y_z"])),
        "createdAt": draw(created_ats()),
        "finishReason": draw(_limited(64)),
        "nativeFinishReason": draw(_limited(64)),
    }
    optional = {
        "generationTime": int32,
        "latency": int32,
        "moderationLatency": int32,
        "requestRetryTimes": int32,
        "streamed": st.booleans(),
        "cancelled": st.booleans(),
        "finalRetry": st.booleans(),
        "throughput": throughputs,
        "originAmount": amounts,
        "billAmount": amounts,
        "discountAmount": amounts,
        "realAmount": amounts,
        "nonpaymentAmount": amounts,
    }
    for key in draw(st.sets(st.sampled_from(sorted(optional)))):
        record[key] = draw(optional[key])
    fee_items = draw(st.sets(st.sampled_from(FEE_ITEMS)))
    record["nativeFeeTokens"] = {item: draw(counts) for item in sorted(fee_items)}
    if draw(st.booleans()):
        record["nativeFeeTokens"][draw(_limited(64)) or "odd"] = draw(counts)
    # The record is one level; nativeTokens' value may take all the others.
    record["nativeTokens"] = draw(
        st.sampled_from([{}, None, _nest(limit - 1, MAX_INT), {"total_tokens": MAX_INT}])
    )
    if draw(st.booleans()):
        record["ratingResponses"] = {
            "originAmount": draw(amounts),
            "discountAmount": draw(amounts),
            "billAmount": draw(amounts),
            "priceVersion": draw(_limited(32)),
            "serviceCode": draw(_limited(300)),
            "ratingDetails": [
                {
                    "feeItemCode": draw(_limited(40)) or "prompt",
                    "rate": draw(positive_amounts),
                    "originAmount": draw(positive_amounts),
                    "discountAmount": draw(positive_amounts),
                    "billAmount": draw(positive_amounts),
                    draw(odd_text) or "extra": draw(odd_text),
                }
                for _ in range(draw(st.integers(0, 3)))
            ],
            draw(odd_text) or "extra": {},
        }
    # Extra keys are kept as sent, nested to the limit (the record is the first level).
    for _ in range(draw(st.integers(0, 2))):
        record["x" + draw(odd_text)] = draw(
            st.sampled_from([{}, [], None, _nest(limit - 1, draw(odd_text)), draw(odd_text)])
        )
    stages = {}
    for key in draw(st.sets(st.sampled_from(STAGE_KEYS))):
        headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-secret-1"}
        headers["X-" + draw(odd_text)] = draw(odd_text)
        # Record, stages and the stage object are three levels; the body may take the rest.
        stages[key] = {"headers": headers, "body": draw(stage_bodies(limit - 3))}
    if stages:
        record["stages"] = stages
    check_depth(record, limit)  # the generator's own promise: within the nesting limit
    return record


def _body(batch, ascii_only):
    # Lone surrogates (and NUL, which JSON must escape) only travel as \u escapes.
    text = simplejson.dumps(batch, use_decimal=True, ensure_ascii=ascii_only)
    return text.encode("utf-8")


def _has_lone_surrogate(batch):
    return any(c in json.dumps(batch, default=str) for c in ("\\ud800", "\\udfff"))


# ------------------------------------------------------------------------------- pages


def _read(response):
    """The whole body, streamed or not: an export that breaks mid-stream raises here."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _all_answer(client, urls):
    for url in urls:
        response = client.get(url)
        _read(response)
        assert response.status_code == 200, url


def _every_page_answers(client, token, ids, sort):
    """Every page shows the batch: the list in one sort (every sort gets its turn across the
    examples, and all of them run once at the end), each details page in both modes (Pretty
    with the list's query, for its neighbours), the exports, the API, usage and billing."""
    urls = ["/logs/", "/logs/?range=all", f"/logs/?range=all&sort={sort}"]
    urls += ["/billing/usage/", "/billing/"]
    for generation_id in ids:
        urls += [f"/logs/{generation_id}/?view=json"]
        urls += [f"/logs/{generation_id}/?view=pretty&range=all&sort={sort}"]
    _all_answer(client, urls)

    csv_text = _read(client.get("/logs/export.csv?range=all")).decode()
    for generation_id in ids:
        assert generation_id in csv_text

    out = StringIO()
    call_command("export_generations", "--account", ACCOUNT_A, stdout=out, stderr=StringIO())
    # Lines end at \n only: U+2028 and friends may stand raw inside JSON strings.
    lines = out.getvalue().split("\n")[:-1]
    exported = {json.loads(line)["generationId"] for line in lines}
    assert set(ids) <= exported

    for generation_id in ids:
        response = client.get(
            "/api/v1/generation", {"id": generation_id}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 200, generation_id
        assert response.json()["generationId"] == generation_id


@given(
    batch=st.lists(records(), min_size=1, max_size=3),
    ascii_only=st.booleans(),
    as_ndjson=st.booleans(),
    sort=st.sampled_from(list(SORTS)),
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,  # database work makes timings noisy
    derandomize=IN_CI,  # CI runs the same examples every time; locally they vary
    database=None,
    # No shrinking: a batch of edge records shrinks for minutes, and the failing request is
    # printed whole (note) anyway.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def _ingest_and_show(client, ingest_token, owner_token, batch, ascii_only, as_ndjson, sort):
    ascii_only = ascii_only or _has_lone_surrogate(batch)
    if as_ndjson:
        body = b"\n".join(_body(record, ascii_only) for record in batch)
        content_type = "application/x-ndjson"
    else:
        body = _body(batch, ascii_only)
        content_type = "application/json"
    note(f"POST /api/v1/generations ({content_type}): {body.decode()}")
    response = client.post(
        "/api/v1/generations",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
    )
    assert response.status_code == 200, response.content[:2000]
    assert [r["status"] for r in response.json()["results"]] == ["created"] * len(batch)
    _every_page_answers(client, owner_token, [r["generationId"] for r in batch], sort)


def test_whatever_ingestion_accepts_every_page_export_and_api_can_show(
    owner_client, ingest_token, owner_token
):
    _ingest_and_show(owner_client, ingest_token, owner_token)
    # Every sort over all that was stored, each edge next to the others.
    _all_answer(owner_client, [f"/logs/?range=all&sort={sort}" for sort in SORTS])
