"""The raw metadata object of the spec: serialize a stored generation to it, and parse and
validate one that a gateway sends.

Types follow the spec's example exactly: top-level amounts are strings, amounts inside
ratingResponses are JSON numbers, throughput is a 2-decimal string and createdAt is
`2025-08-22T02:49:18.000+00:00`. Numbers are read as Decimal and written from Decimal, so
money never passes through a float.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import accumulate

import msgspec
import simplejson
from django.conf import settings

from billing.models import FEE_ITEMS

from .models import Stage, StagePayload
from .redact import might_hold_secret, redact_headers, redact_text, redact_value, secret_headers

STAGE_KEYS = tuple(Stage.values)
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,199}$")
MAX_INT = 2**53 - 1  # the largest integer every JSON reader keeps exact
MAX_MONEY = Decimal(10) ** 14  # DecimalField(max_digits=24, decimal_places=10)
MAX_THROUGHPUT = Decimal(10) ** 12
# The createdAt range every page, export and database can hold, after conversion to UTC;
# the maximum is exclusive.
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


UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
UNSTORABLE_ESCAPE_BYTES = re.compile(UNSTORABLE_ESCAPE.pattern.encode())
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def loads(text):
    """Parses JSON text with numbers as Decimal. Raises ValueError (with a message fit for
    the client) on bad JSON or on nesting deeper than INGEST_MAX_DEPTH."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
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


def check_depth(value, limit=None):
    limit = limit or settings.INGEST_MAX_DEPTH
    # Iterative, so a hostile document cannot exhaust the Python stack here either.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise JSONDepthError(f"JSON is nested more than {limit} levels deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


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
_VALUE = msgspec.json.Decoder(float_hook=Decimal)
_RAW = msgspec.json.Decoder(msgspec.Raw)
_LIST_OF_RAW = msgspec.json.Decoder(list[msgspec.Raw])
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


def split_records(body):
    """A JSON array or object as a list of each record's raw JSON (bytes), or None when the
    fast reader refuses it (bad JSON, lone surrogates, NaN, deep nesting): the caller then
    parses with `loads`, whose errors are the ones we report."""
    try:
        if body.lstrip()[:1] == b"[":
            return [bytes(r) for r in _LIST_OF_RAW.decode(body)]
        return [bytes(_RAW.decode(body))]
    except (msgspec.DecodeError, RecursionError):
        return None


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


def read_record(item):
    """Validates one record given as raw JSON bytes, already known to be UTF-8 (the ingest
    API and import check that), or as a parsed object. Returns (ParsedRecord, []) or
    (None, errors)."""
    if not isinstance(item, bytes | bytearray):
        return parse_record(item)
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
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.add(name, f"must be a non-negative integer, got {_type_name(value)}")
        return None
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            errors.add(name, "must be a non-negative integer")
            return None
        value = int(value)
    if value < 0:
        errors.add(name, "must not be negative")
        return None
    if value > MAX_INT:
        errors.add(name, f"must be at most {MAX_INT}")
        return None
    return value


def _decimal(value, name, errors, *, maximum=MAX_MONEY, allow_negative=False):
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.add(name, f"must be a decimal number or string, got {_type_name(value)}")
        return None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
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
    return value


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
        fields["throughput"] = None if value is None else value.quantize(Decimal("0.01"))
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
                if item in FEE_ITEMS:
                    fields[item] = value
                elif len(item) > 64:
                    errors.add(f"nativeFeeTokens.{item[:64]}", "fee item name is too long")
                else:
                    other[item] = value
    fields["other_fee_tokens"] = other or None  # NULL, not {}: see Generation
    if "nativeTokens" in obj:
        if obj["nativeTokens"] is not None and not isinstance(obj["nativeTokens"], dict):
            errors.add("nativeTokens", f"must be an object, got {_type_name(obj['nativeTokens'])}")
        fields["native_tokens"] = obj["nativeTokens"]

    rating = None
    if obj.get("ratingResponses") is not None:
        rating = _parse_rating(obj["ratingResponses"], errors)
    stages = _parse_stages(obj["stages"], errors) if obj.get("stages") is not None else []
    fields["extra_metadata"] = {k: v for k, v in obj.items() if k not in KNOWN_KEYS} or None

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
