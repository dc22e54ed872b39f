"""The raw metadata object of the spec: serialize a stored generation to it, and parse and
validate one that a gateway sends.

Types follow the spec's example exactly: top-level amounts are strings, amounts inside
ratingResponses are JSON numbers, throughput is a 2-decimal string and createdAt is
`2025-08-22T02:49:18.000+00:00`. Numbers are read as Decimal and written from Decimal, so
money never passes through a float.
"""

import datetime as dt
import functools
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import accumulate

import msgspec
import simplejson
from django.conf import settings

from billing.models import FEE_ITEMS

from .ingest.redact import (
    SECRET_RE,
    might_hold_secret,
    redact_headers,
    redact_json,
    redact_text,
    redact_texts,
    redact_value,
    secret_headers,
)
from .models import Stage, StagePayload

STAGE_KEYS = tuple(Stage.values)
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,199}$")
MAX_INT = 2**53 - 1  # the largest integer every JSON reader keeps exact
# Amounts (and rates) are below 10**13 in absolute value, a tenth of what their columns hold
# (DecimalField(max_digits=24, decimal_places=10): below 10**14). SQLite keeps a decimal as a
# float, which Django reads back rounded to 15 digits and then to 10 places: 99999999999999.99
# came back as 1E+14, too big for the column's 24 digits, and every page showing it answered
# 500. Below 10**13 that rounding stays in the column, an amount with cents (up to
# 9999999999999.99) reads back exactly on both databases, and realAmount (billAmount less
# nonpaymentAmount, which may be negative) fits too. Sums are wider: HourlyRollup.cost.
MAX_MONEY = Decimal(10) ** 13
MAX_THROUGHPUT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
# A fee item's count. The summary strip adds up 10,000 rows of the five input items at once,
# and an hour's rollup as many rows as an account sends in it, into 64-bit integers (SQLite's
# SUM fails past 2**63, PostgreSQL's bigint column too): at 10**10 that takes 1.8 * 10**8
# records in one hour, nine times what ingestion stores in an hour at full speed. Still a
# thousand times the largest context window.
MAX_TOKENS = 10**10
# createdAt, after conversion to UTC: from MIN_CREATED_AT (inclusive) to MAX_CREATED_AT
# (exclusive). Every page, export and command takes the same range for `from`/`to`
# (logs.filters.DateTimeInput), so whatever is stored can be listed, charted and paged: near
# year 1 or 9999 a zone's offset pushes Python's datetime out of its range (the histogram's
# buckets, astimezone, the partition's day), and nothing real happened before 1970.
MIN_CREATED_AT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_CREATED_AT = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
KNOWN_KEYS = {
    "generationId",
    "accountId",
    "model",
    "modelSlug",
    "apiKeyId",
    "providerSlug",
    "createdAt",
    "generationTime",
    "latency",
    "moderationLatency",
    "streamed",
    "cancelled",
    "throughput",
    "nativeFeeTokens",
    "nativeTokens",
    "finishReason",
    "nativeFinishReason",
    "originAmount",
    "billAmount",
    "discountAmount",
    "realAmount",
    "nonpaymentAmount",
    "ratingResponses",
    "requestRetryTimes",
    "finalRetry",
    "stages",
}
AMOUNT_FIELDS = {
    "originAmount": "origin_amount",
    "billAmount": "bill_amount",
    "discountAmount": "discount_amount",
    "realAmount": "real_amount",
    "nonpaymentAmount": "nonpayment_amount",
}
DETAIL_AMOUNTS = {
    "rate": "rate",
    "originAmount": "origin_amount",
    "discountAmount": "discount_amount",
    "billAmount": "bill_amount",
}


# ---------------------------------------------------------------------------- output


def plain_number(value):
    """A Decimal (or int) as the shortest JSON number that keeps its value: 15, 3.75,
    0.051006."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def amount_string(value):
    """A Decimal as the spec's amount string: "0.051006", "0"."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_created_at(value):
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def dumps(obj, indent=None):
    """JSON text with Decimals written as plain numbers, never through float."""
    return simplejson.dumps(obj, use_decimal=True, indent=indent, ensure_ascii=False)


def rating_responses(rating):
    out = {
        "billAmount": plain_number(rating.bill_amount),
        "discountAmount": plain_number(rating.discount_amount),
        "originAmount": plain_number(rating.origin_amount),
        "priceVersion": rating.price_version,
        "ratingDetails": [
            {
                "billAmount": plain_number(d["bill_amount"]),
                "discountAmount": plain_number(d["discount_amount"]),
                "feeItemCode": d["fee_item_code"],
                "originAmount": plain_number(d["origin_amount"]),
                "rate": plain_number(d["rate"]),
                **d.get("extra", {}),
            }
            for d in rating.details
        ],
        "serviceCode": rating.service_code,
    }
    out.update(rating.extra or {})
    return out


def to_raw_metadata(generation):
    """The spec's raw metadata object for a stored generation. Expects `rating` to be loaded
    or loadable; keys the gateway did not send stay absent."""
    g = generation
    out = {
        "generationId": g.generation_id,
        "accountId": g.account.external_id,
        "model": g.model_name,
        "modelSlug": g.model_slug,
        "apiKeyId": g.api_key.external_id,
        "providerSlug": g.provider_slug,
        "createdAt": format_created_at(g.created_at),
    }
    optional = {
        "generationTime": g.generation_time_ms,
        "latency": g.first_token_latency_ms,
        "moderationLatency": g.moderation_latency_ms,
        "streamed": g.streamed,
        "cancelled": g.cancelled,
        "throughput": None if g.throughput is None else f"{g.throughput:.2f}",
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    out["nativeFeeTokens"] = g.fee_tokens()
    if g.native_tokens is not None:
        out["nativeTokens"] = g.native_tokens
    out["finishReason"] = g.finish_reason
    out["nativeFinishReason"] = g.native_finish_reason
    for key, attr in AMOUNT_FIELDS.items():
        out[key] = amount_string(getattr(g, attr))
    rating = getattr(g, "rating", None) if _has_rating(g) else None
    if rating is not None:
        out["ratingResponses"] = rating_responses(rating)
    if g.request_retry_times is not None:
        out["requestRetryTimes"] = g.request_retry_times
    if g.final_retry is not None:
        out["finalRetry"] = g.final_retry
    for key, value in (g.extra_metadata or {}).items():
        out.setdefault(key, value)
    return out


def _has_rating(generation):
    from billing.models import Rating

    try:
        generation.rating  # noqa: B018 - touching it is the test
    except Rating.DoesNotExist:
        return False
    return True


# ----------------------------------------------------------------------------- input


class JSONDepthError(ValueError):
    pass


def _reject_constant(name):
    # NaN and Infinity are not JSON; read them as non-finite Decimals so that validation
    # names the field they were in.
    return Decimal(name)


# A number is converted only when its text is short and its exponent small, both seen on the
# text or on a Decimal made from at most this much of it (linear and cheap): int() of
# Decimal("1e500000") takes seconds, a 100,000-digit integer literal is quadratic to read,
# PostgreSQL's numeric holds neither, and Python refuses to read back an integer of more
# than 4,300 digits. Any other number keeps its text, as msgspec.Raw, which validation
# refuses by name in the metadata and which a stage body stores as it came.
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 308  # a double's range, which every JSON reader holds
_INT_BOUND = 10**MAX_NUMBER_CHARS  # no integer of at most MAX_NUMBER_CHARS digits reaches it
UNFIT_NUMBER = (
    f"is too long or too large a number (at most {MAX_NUMBER_CHARS} characters, "
    f"between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT})"
)


def _number(text, raw=msgspec.Raw):
    """A JSON number with a fraction or an exponent as Decimal, or raw(text) when unfit."""
    if len(text) <= MAX_NUMBER_CHARS:
        value = Decimal(text)
        if -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
            return value
    return raw(text)


def _integer_text(text, raw=msgspec.Raw):
    """A JSON integer as int, or raw(text) when too long: int() of long text is quadratic."""
    return int(text) if len(text) <= MAX_NUMBER_CHARS else raw(text)


def _fit(value):
    """False for a number that the store could not hold and read back cheaply: kept raw,
    not finite (NaN from the standard reader), or an integer msgspec read past the bound."""
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, int):
        return -_INT_BOUND < value < _INT_BOUND
    return not isinstance(value, msgspec.Raw)


def _all_fit(value):
    # The usual answer, found without building a single path: a few small ints and strings.
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is int:
            if not -_INT_BOUND < node < _INT_BOUND:
                return False
        elif kind is not str and kind is not bool and node is not None and not _fit(node):
            return False
    return True


def _check_numbers(value, name, errors):
    """Names the first unfit number anywhere in a value that is stored without validation
    (nativeTokens, extra keys), e.g. "nativeTokens.usage.prompt_tokens"."""
    if _all_fit(value):
        return
    stack = [(value, None)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (where, f".{k}")) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (where, f"[{i}]")) for i, v in enumerate(node))
        elif not isinstance(node, str) and not _fit(node):
            parts = []
            while where is not None:
                where, part = where
                parts.append(part)
            finite = not isinstance(node, Decimal) or node.is_finite()
            message = UNFIT_NUMBER if finite else "must be a finite number"
            errors.add(name + "".join(reversed(parts)), message)
            return


UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
UNSTORABLE_ESCAPE_BYTES = re.compile(UNSTORABLE_ESCAPE.pattern.encode())
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def loads(text, *, raw=msgspec.Raw):
    """Parses JSON text with numbers as Decimal (integers as int), and a number too long or
    too large to convert cheaply as raw(its text): msgspec.Raw, or simplejson.RawJSON for
    what simplejson writes back out. Raises ValueError (with a message fit for the client)
    on bad JSON or on nesting deeper than INGEST_MAX_DEPTH."""
    try:
        value = json.loads(
            text,
            parse_float=functools.partial(_number, raw=raw),
            parse_int=functools.partial(_integer_text, raw=raw),
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise JSONDepthError("JSON is nested too deeply") from None
    check_depth(value)
    if UNSTORABLE_ESCAPE.search(text):
        # "\u0000" decodes to NUL and "\udcff" to a lone surrogate; PostgreSQL stores
        # neither in text or jsonb, so they become U+FFFD rather than fail the whole batch.
        # Paired surrogates (emoji) decode whole and are kept.
        value = _replace_unstorable(value)
    return value


def _replace_unstorable(value):
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_unstorable(v) for v in value]
    if isinstance(value, dict):
        return {_replace_unstorable(k): _replace_unstorable(v) for k, v in value.items()}
    return value


def check_depth(value, limit=None, *, depth=1):
    """Raises JSONDepthError when value, itself at `depth`, nests past the limit."""
    limit = limit or settings.INGEST_MAX_DEPTH
    # Iterative, so a hostile document cannot exhaust the Python stack here either.
    # Only objects and arrays are levels, as json_depth counts them in the fast reader: both
    # readers must accept the same records.
    stack = [(value, depth)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise JSONDepthError(f"JSON is nested more than {limit} levels deep")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((v, depth + 1) for v in children if isinstance(v, dict | list))


# Canonical bytes for the content hash: keys sorted at every level, Decimals as numbers.
_CANONICAL = msgspec.json.Encoder(decimal_format="number", order="sorted")
_BODY = msgspec.json.Encoder(decimal_format="number")


def content_hash(obj, stages):
    """sha256 over the record's metadata (canonical) and each stage as it will be stored, so
    a re-sent record differs exactly when what we would store differs."""
    digest = hashlib.sha256(_CANONICAL.encode({k: v for k, v in obj.items() if k != "stages"}))
    for stage in stages:
        digest.update(b"\x1e" + stage.stage.encode() + b"\x1f" + stage.body_format.encode())
        digest.update(_CANONICAL.encode(stage.headers))
        digest.update(b"\x1f" + stage.encoded)
    return digest.hexdigest()


class _StageIn(msgspec.Struct, forbid_unknown_fields=True):
    """A stage as the fast path reads it: the body stays JSON text, never becoming Python
    objects only to be written back out as text."""

    headers: dict[str, str] | None = None
    body: msgspec.Raw = msgspec.Raw()


_RAW_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_STAGES = msgspec.json.Decoder(dict[str, _StageIn | None])
_VALUE = msgspec.json.Decoder(float_hook=_number)
_RAW = msgspec.json.Decoder(msgspec.Raw)
# Skip a string (escapes included) whole: what is left of valid JSON is its structure.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}
_STEP = [_BRACKETS.get(i, 0) for i in range(256)]


def json_depth(raw):
    """Nesting depth of valid JSON text, without building it: strings removed, then a running
    sum over the brackets (C loops, not a Python one per character)."""
    skeleton = _JSON_STRING.sub(b"", raw)
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def fast_json(text):
    """True when the fast reader accepts `text` (bytes) as one JSON value."""
    try:
        _RAW.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return False
    return True


class TooManyRecords(ValueError):
    def __init__(self, limit):
        super().__init__(f"more than {limit} records in one request; the limit is {limit}")
        self.limit = limit


@functools.cache
def _array_reader(limit):
    """A reader of a JSON array of at most `limit` values, each kept raw, that stops at value
    limit + 1. msgspec reads an array_like Struct's fields in order and refuses one past the
    last as it meets it, so `[1,1,1,…]` of ten million costs `limit` Raw objects at most; a
    list[Raw], even with a max_length, is built whole before its length is checked (284 MB
    and 6 s for five million elements). Fields left at their default stay empty: no JSON
    value is empty."""
    fields = [(f"r{i}", msgspec.Raw, msgspec.Raw()) for i in range(limit)]
    batch = msgspec.defstruct("Batch", fields, array_like=True, forbid_unknown_fields=True)
    return msgspec.json.Decoder(batch)


def split_records(body, limit):
    """A JSON array or object as a list of each record's raw JSON (bytes), or None when the
    fast reader refuses it (bad JSON, lone surrogates, NaN, deep nesting): the caller then
    parses with `load_records`, whose errors are the ones we report. Raises TooManyRecords
    past `limit` records, having built no more than that."""
    try:
        if body.lstrip()[:1] == b"[":
            try:
                values = msgspec.structs.astuple(_array_reader(limit).decode(body))
            except msgspec.ValidationError:
                raise TooManyRecords(limit) from None
            return [bytes(r) for r in itertools.takewhile(len, values)]
        return [bytes(_RAW.decode(body))]
    except (msgspec.DecodeError, RecursionError):
        return None


def load_records(text, limit):
    """What `loads` makes of a body, as a list of records: an array's elements parsed one at
    a time, stopping at element limit + 1 (TooManyRecords), or the one value. For the bodies
    the fast reader refuses, so their errors are the standard parser's."""
    at = _WHITESPACE.match(text).end()
    if text[at : at + 1] != "[":
        value = loads(text)
        return value if isinstance(value, list) else [value]
    decoder = json.JSONDecoder(
        parse_float=_number, parse_int=_integer_text, parse_constant=_reject_constant
    )
    unstorable = UNSTORABLE_ESCAPE.search(text)
    records = []
    at = _WHITESPACE.match(text, at + 1).end()
    if text[at : at + 1] == "]":
        at += 1
    else:
        while True:
            if len(records) == limit:
                raise TooManyRecords(limit)
            try:
                value, at = decoder.raw_decode(text, at)
            except RecursionError:
                raise JSONDepthError("JSON is nested too deeply") from None
            # Judged as a record alone, as in NDJSON or a body of one: the array around
            # the batch is not one of the record's levels.
            check_depth(value)
            records.append(_replace_unstorable(value) if unstorable else value)
            at = _WHITESPACE.match(text, at).end()
            if text[at : at + 1] == "]":
                at += 1
                break
            if text[at : at + 1] != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
            at = _WHITESPACE.match(text, at + 1).end()
    at = _WHITESPACE.match(text, at).end()
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)
    return records


_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A line holding something other than whitespace, from its first such byte: found by the
# regex engine, so a body of blank lines costs no Python loop.
_NDJSON_LINE = re.compile(rb"\S[^\r\n]*")


def ndjson_lines(body, limit):
    """The non-blank lines of an NDJSON body as (offset, line), stopping at line limit + 1
    (TooManyRecords) instead of splitting the whole body first."""
    for count, match in enumerate(_NDJSON_LINE.finditer(body)):
        if count == limit:
            raise TooManyRecords(limit)
        yield match.start(), match.group()


def line_number(body, at):
    """The 1-based line of byte `at`, counting line breaks as bytes.splitlines does."""
    head = body[:at]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


class _IdOnly(msgspec.Struct):
    generationId: object = None  # noqa: N815 - the wire name


def record_id(item):
    """A rejected record's generationId, to help the client match it (never a megabyte of
    it), or None."""
    if isinstance(item, bytes | bytearray):
        try:
            item = {"generationId": msgspec.json.decode(item, type=_IdOnly).generationId}
        except (msgspec.DecodeError, RecursionError):
            return None
    gid = item.get("generationId") if isinstance(item, dict) else None
    return gid[:128] if isinstance(gid, str) else None


_KINDS = {b"[": "an array", b'"': "a string", b"t": "a boolean", b"f": "a boolean", b"n": "null"}


def read_record(item):
    """Validates one record given as raw JSON bytes, already known to be UTF-8 (the ingest
    API and import check that), or as a parsed object. Returns (ParsedRecord, []) or
    (None, errors)."""
    if not isinstance(item, bytes | bytearray):
        return parse_record(item)
    if item[:1] != b"{":
        # Refused unread (it is valid JSON already): an array of ten million elements is one
        # "record" too, and parsing it to name its type would build all of them.
        kind = _KINDS.get(item[:1], "a number")
        return None, [{"field": "(record)", "message": f"must be a JSON object, got {kind}"}]
    limit = settings.INGEST_MAX_DEPTH
    deep = item.count(b"{") + item.count(b"[") > limit
    try:
        if b"\\u0000" in item:
            # msgspec decodes it to NUL, which PostgreSQL cannot store; the standard parser
            # below turns it into U+FFFD. (Lone surrogates msgspec refuses by itself.)
            raise msgspec.DecodeError("NUL")
        obj = {}
        for key, value in _RAW_OBJECT.decode(item).items():
            obj[key] = _RAW_STAGES.decode(value) if key == "stages" else _VALUE.decode(value)
        if deep:
            # Only a record with more brackets than the limit can be nested past it.
            check_depth({k: v for k, v in obj.items() if k != "stages"}, limit)
            for stage in (obj.get("stages") or {}).values():
                if stage is not None and json_depth(stage.body) + 3 > limit:
                    raise JSONDepthError(f"JSON is nested more than {limit} levels deep")
    except JSONDepthError as exc:
        return None, [{"field": "(record)", "message": str(exc)}]
    except (msgspec.DecodeError, RecursionError):
        # Whatever the fast reader refuses (a record that is not an object, stages of the
        # wrong shape, NaN, lone surrogates) takes the standard parser and the validator
        # below, which name the field.
        try:
            obj = loads(item.decode())
        except JSONDepthError as exc:
            return None, [{"field": "(record)", "message": str(exc)}]
        except (UnicodeDecodeError, ValueError) as exc:
            return None, [{"field": "(record)", "message": f"not valid JSON: {exc}"}]
    return parse_record(obj)


@dataclass
class StageInput:
    """One stage, validated and ready to store: headers redacted, body as its stored text."""

    stage: str
    headers: dict
    text: str
    encoded: bytes  # text as UTF-8, before any cut
    body_format: str
    size_bytes: int
    truncated: bool


@dataclass
class ParsedRecord:
    generation_id: str
    account_id: str
    api_key_id: str
    fields: dict  # Generation model fields
    rating: dict | None  # ratingResponses, parsed
    stages: list = field(default_factory=list)
    content_hash: str = ""


class _Errors:
    def __init__(self):
        self.items = []

    def add(self, field_name, message):
        self.items.append({"field": field_name, "message": message})


def _string(obj, key, errors, *, required=False, pattern=None, max_length=200, path=None):
    name = path or key
    if key not in obj or obj[key] is None:
        if required:
            errors.add(name, "is required")
        return None
    value = obj[key]
    if not isinstance(value, str):
        errors.add(name, f"must be a string, got {_type_name(value)}")
        return None
    if required and not value:
        errors.add(name, "must not be empty")
        return None
    if len(value) > max_length:
        errors.add(name, f"must be at most {max_length} characters")
        return None
    # fullmatch: with match, the patterns' $ would let a trailing newline through.
    if pattern is not None and value and not pattern.fullmatch(value):
        errors.add(name, "has characters that are not allowed (letters, digits, _ . : - /)")
        return None
    return value


def _integer(value, name, errors):
    if isinstance(value, msgspec.Raw):
        errors.add(name, UNFIT_NUMBER)
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.add(name, f"must be a non-negative integer, got {_type_name(value)}")
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        errors.add(name, "must be a non-negative integer")
        return None
    # The range first (O(1) on a Decimal), then int(): int(Decimal("1e300")) is cheap, but
    # a Decimal handed in directly may not be.
    if value < 0:
        errors.add(name, "must not be negative")
        return None
    if value > MAX_INT:
        errors.add(name, f"must be at most {MAX_INT}")
        return None
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            errors.add(name, "must be a non-negative integer")
            return None
        value = int(value)
    return value


def _decimal(value, name, errors, *, maximum=MAX_MONEY, allow_negative=False):
    if isinstance(value, msgspec.Raw) or (isinstance(value, int) and not _fit(value)):
        errors.add(name, UNFIT_NUMBER)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.add(name, f"must be a decimal number or string, got {_type_name(value)}")
        return None
    if isinstance(value, str):
        value = value.strip()
        # On the text, before Decimal() reads it: see MAX_NUMBER_CHARS.
        if len(value) > MAX_NUMBER_CHARS:
            errors.add(name, f"is too long for a number (at most {MAX_NUMBER_CHARS} characters)")
            return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.add(name, f"is not a decimal number: {str(value)[:40]!r}")
        return None
    if not number.is_finite():
        errors.add(name, "must be a finite number")
        return None
    if abs(number) >= maximum:
        errors.add(name, f"is too large (must be below {maximum:,})")
        return None
    if number < 0 and not allow_negative:
        errors.add(name, "must not be negative")
        return None
    if number.as_tuple().exponent < -10:
        number = number.quantize(Decimal("1E-10"))
    return number


def _boolean(value, name, errors):
    if not isinstance(value, bool):
        errors.add(name, f"must be true or false, got {_type_name(value)}")
        return None
    return value


def _type_name(value):
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        Decimal: "a number",
        msgspec.Raw: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _created_at(obj, errors):
    raw = _string(obj, "createdAt", errors, required=True, max_length=64)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        errors.add("createdAt", f"is not an ISO 8601 date-time: {raw!r}")
        return None
    if value.tzinfo is None:
        errors.add("createdAt", "must carry a UTC offset, e.g. 2025-08-22T02:49:18.000+00:00")
        return None
    if not in_date_range(value):
        errors.add(
            "createdAt",
            f"must be from 1970-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z, "
            f"got {raw!r}",
        )
        return None
    return value


def in_date_range(value, *, end=MAX_CREATED_AT):
    """Whether an aware datetime is in [MIN_CREATED_AT, end) once in UTC. False, not an
    OverflowError, where the offset takes it past year 1 or 9999."""
    try:
        return MIN_CREATED_AT <= value.astimezone(dt.UTC) < end
    except OverflowError:
        return False


def _parse_rating(obj, errors):
    if not isinstance(obj, dict):
        errors.add("ratingResponses", f"must be an object, got {_type_name(obj)}")
        return None
    rating = {"extra": {}}
    for key, attr in (
        ("originAmount", "origin_amount"),
        ("discountAmount", "discount_amount"),
        ("billAmount", "bill_amount"),
    ):
        value = obj.get(key, 0)
        rating[attr] = _decimal(value, f"ratingResponses.{key}", errors, allow_negative=True)
    rating["price_version"] = (
        _string(obj, "priceVersion", errors, max_length=32, path="ratingResponses.priceVersion")
        or ""
    )
    rating["service_code"] = (
        _string(obj, "serviceCode", errors, max_length=300, path="ratingResponses.serviceCode")
        or ""
    )
    details = obj.get("ratingDetails", [])
    rating["details"] = []
    if not isinstance(details, list):
        errors.add("ratingResponses.ratingDetails", "must be an array")
        details = []
    for index, detail in enumerate(details):
        where = f"ratingResponses.ratingDetails[{index}]"
        if not isinstance(detail, dict):
            errors.add(where, "must be an object")
            continue
        parsed = {"position": index}
        parsed["fee_item_code"] = _string(
            detail,
            "feeItemCode",
            errors,
            required=True,
            max_length=40,
            path=f"{where}.feeItemCode",
        )
        for key, attr in DETAIL_AMOUNTS.items():
            parsed[attr] = _decimal(detail.get(key, 0), f"{where}.{key}", errors)
        parsed["extra"] = {k: v for k, v in detail.items() if k not in DETAIL_AMOUNTS}
        parsed["extra"].pop("feeItemCode", None)
        _check_numbers(parsed["extra"], where, errors)
        rating["details"].append(parsed)
    known = {
        "originAmount",
        "discountAmount",
        "billAmount",
        "priceVersion",
        "serviceCode",
        "ratingDetails",
    }
    rating["extra"] = {k: v for k, v in obj.items() if k not in known}
    _check_numbers(rating["extra"], "ratingResponses", errors)
    rating = redact_json(rating)  # keys too: the extras are shown as sent
    # Within their columns: "Bearer abcdefgh" grows by two characters as "Bearer [REDACTED]".
    rating["price_version"] = rating["price_version"][:32]
    rating["service_code"] = rating["service_code"][:300]
    return rating


def _parse_stages(obj, errors):
    if not isinstance(obj, dict):
        errors.add("stages", f"must be an object, got {_type_name(obj)}")
        return []
    # Settings read once per record, not per stage: each read costs more than it looks.
    limits = (settings.INGEST_MAX_STAGE_BYTES, secret_headers())
    stages = []
    for key, value in obj.items():
        if key not in STAGE_KEYS:
            errors.add(f"stages.{key}", f"is not a stage; use one of {', '.join(STAGE_KEYS)}")
            continue
        if value is None:
            continue
        if isinstance(value, _StageIn):
            # Already checked by the fast reader: known keys only, headers all strings.
            if not errors.items:  # a rejected record needs no stored form
                stages.append(_stage(key, value.headers, bytes(value.body), limits, raw=True))
            continue
        if not isinstance(value, dict):
            errors.add(f"stages.{key}", "must be an object with headers and body")
            continue
        unknown = set(value) - {"headers", "body"}
        if unknown:
            errors.add(f"stages.{key}.{sorted(unknown)[0]}", "is not allowed; use headers, body")
        headers = value.get("headers") or {}
        if not isinstance(headers, dict):
            errors.add(f"stages.{key}.headers", "must be an object of strings")
            headers = {}
        bad_header = False
        for name, header_value in headers.items():
            if not isinstance(header_value, str):
                errors.add(f"stages.{key}.headers.{name}", "must be a string")
                bad_header = True
        if not errors.items and not bad_header:
            body = value.get("body") if "body" in value else _ABSENT
            stages.append(_stage(key, headers, body, limits, raw=False))
    return stages


_ABSENT = object()


def _stage(key, headers, body, limits, *, raw):
    """A stage's stored form. `body` is raw JSON bytes (b"" when absent) when raw, else a
    parsed value (or _ABSENT)."""
    if raw:
        if not body or body == b"null":
            text, body_format = "", StagePayload.BodyFormat.NONE
        elif body[:1] == b'"':
            # A string body is kept as text: SSE streams, or JSON the gateway sent unparsed.
            value = loads(body.decode()) if b"\\u" in body else _VALUE.decode(body)
            text, body_format = redact_text(value), StagePayload.BodyFormat.TEXT
        else:
            body_format = StagePayload.BodyFormat.JSON
            encoded = msgspec.json.format(body, indent=0)
            escaped = encoded.find(b"\\") >= 0  # one memchr; most escapes are \n anyway
            if not might_hold_secret(encoded) and not (
                escaped and b"\\u" in encoded and UNSTORABLE_ESCAPE_BYTES.search(encoded)
            ):
                # The common case: stored as it came, in one line, never parsed.
                return _stored(key, headers, encoded.decode(), encoded, body_format, limits)
            # Rare: parse it, so secrets are found in decoded strings, whatever the
            # escaping, and NUL or lone surrogates become U+FFFD.
            text = _body_text(redact_value(loads(encoded.decode())))
    elif body is _ABSENT or body is None:
        text, body_format = "", StagePayload.BodyFormat.NONE
    elif isinstance(body, str):
        text, body_format = redact_text(body), StagePayload.BodyFormat.TEXT
    else:
        text, body_format = _body_text(redact_value(body)), StagePayload.BodyFormat.JSON
    return _stored(key, headers, text, text.encode(), body_format, limits)


def _stored(key, headers, text, encoded, body_format, limits):
    size = len(encoded)
    limit, secret = limits
    truncated = size > limit
    if truncated:
        # Kept, cut at the limit and flagged: never silently dropped.
        text = encoded[:limit].decode(errors="ignore")
    headers = redact_headers(headers, secret)
    return StageInput(key, headers, text, encoded, body_format, size, truncated)


def _body_text(value):
    """A parsed body as the text we store: one line, a space after : and , (as the fast path
    formats raw bodies, so both paths store and hash the same text)."""
    try:
        return msgspec.json.format(_BODY.encode(value), indent=0).decode()
    except (TypeError, ValueError, OverflowError):
        return dumps(value)


IDENTIFIERS = ("generationId", "accountId", "apiKeyId", "modelSlug", "providerSlug")


def _refuse_keys_as_ids(obj, errors):
    """An identifier that is a secret key is refused: redacted, it would no longer identify
    anything (every such record a duplicate of the first), and kept it would be shown."""
    ids = [obj.get(name) for name in IDENTIFIERS]
    if not might_hold_secret("\n".join(i for i in ids if isinstance(i, str))):
        return
    for name, value in zip(IDENTIFIERS, ids, strict=True):
        if isinstance(value, str) and SECRET_RE.search(value):
            errors.add(name, "looks like a secret key; send an identifier, never a key")


def parse_record(obj):
    """Validates one incoming record. Returns (ParsedRecord, []) or (None, errors), each
    error naming its field."""
    errors = _Errors()
    if not isinstance(obj, dict):
        errors.add("(record)", f"must be a JSON object, got {_type_name(obj)}")
        return None, errors.items
    generation_id = _string(
        obj, "generationId", errors, required=True, pattern=ID_RE, max_length=64
    )
    account_id = _string(obj, "accountId", errors, required=True, pattern=ID_RE, max_length=64)
    api_key_id = _string(obj, "apiKeyId", errors, required=True, pattern=ID_RE, max_length=64)
    _refuse_keys_as_ids(obj, errors)
    fields = {
        "model_slug": _string(obj, "modelSlug", errors, required=True, pattern=SLUG_RE),
        "provider_slug": _string(
            obj, "providerSlug", errors, required=True, pattern=SLUG_RE, max_length=100
        ),
        "model_name": _string(obj, "model", errors) or "",
        "created_at": _created_at(obj, errors),
        "finish_reason": _string(obj, "finishReason", errors, max_length=64) or "",
        "native_finish_reason": _string(obj, "nativeFinishReason", errors, max_length=64) or "",
    }
    for key, attr in (
        ("generationTime", "generation_time_ms"),
        ("latency", "first_token_latency_ms"),
        ("moderationLatency", "moderation_latency_ms"),
        ("requestRetryTimes", "request_retry_times"),
    ):
        if obj.get(key) is not None:
            value = _integer(obj[key], key, errors)
            if value is not None and value > 2**31 - 1:
                errors.add(key, "is too large")
            fields[attr] = value
    for key, attr in (
        ("streamed", "streamed"),
        ("cancelled", "cancelled"),
        ("finalRetry", "final_retry"),
    ):
        if obj.get(key) is not None:
            fields[attr] = _boolean(obj[key], key, errors)
    if obj.get("throughput") is not None:
        value = _decimal(obj["throughput"], "throughput", errors, maximum=MAX_THROUGHPUT)
        if value is not None:
            # Rounded to its column's cents, 999999999999.995 would become 10**12, one digit
            # more than the column holds.
            value = value.quantize(Decimal("0.01"))
            if value >= MAX_THROUGHPUT:
                errors.add("throughput", f"is too large (must be below {MAX_THROUGHPUT:,})")
        fields["throughput"] = value
    for key, attr in AMOUNT_FIELDS.items():
        if obj.get(key) is not None:
            fields[attr] = _decimal(obj[key], key, errors, allow_negative=True)

    fee_tokens = obj.get("nativeFeeTokens")
    other = {}
    if fee_tokens is not None:
        if not isinstance(fee_tokens, dict):
            errors.add("nativeFeeTokens", f"must be an object, got {_type_name(fee_tokens)}")
        else:
            for item, count in fee_tokens.items():
                value = _integer(count, f"nativeFeeTokens.{item}", errors)
                if value is not None and value > MAX_TOKENS:
                    errors.add(f"nativeFeeTokens.{item[:64]}", f"must be at most {MAX_TOKENS:,}")
                if item in FEE_ITEMS:
                    fields[item] = value
                elif len(item) > 64:
                    errors.add(f"nativeFeeTokens.{item[:64]}", "fee item name is too long")
                else:
                    other[item] = value
    # Shown on every page, so redacted like the bodies, and cut to their columns (a short
    # bearer token grows by two characters as "Bearer [REDACTED]").
    shown = ("model_name", "finish_reason", "native_finish_reason")
    *texts, names = redact_texts(*(fields[f] for f in shown), "\n".join(other))
    for name, text, limit in zip(shown, texts, (200, 64, 64), strict=True):
        fields[name] = text[:limit]
    if other and names != "\n".join(other):
        other = {redact_text(item): value for item, value in other.items()}
    fields["other_fee_tokens"] = other or None  # NULL, not {}: see Generation
    if "nativeTokens" in obj:
        if obj["nativeTokens"] is not None and not isinstance(obj["nativeTokens"], dict):
            errors.add("nativeTokens", f"must be an object, got {_type_name(obj['nativeTokens'])}")
        fields["native_tokens"] = obj["nativeTokens"]
        _check_numbers(obj["nativeTokens"], "nativeTokens", errors)

    rating = None
    if obj.get("ratingResponses") is not None:
        rating = _parse_rating(obj["ratingResponses"], errors)
    stages = _parse_stages(obj["stages"], errors) if obj.get("stages") is not None else []
    fields["extra_metadata"] = {k: v for k, v in obj.items() if k not in KNOWN_KEYS} or None
    for key, value in (fields["extra_metadata"] or {}).items():
        _check_numbers(value, key, errors)

    if errors.items:
        return None, errors.items
    return (
        ParsedRecord(
            generation_id=generation_id,
            account_id=account_id,
            api_key_id=api_key_id,
            fields=fields,
            rating=rating,
            stages=stages,
            content_hash=content_hash(obj, stages),
        ),
        [],
    )
