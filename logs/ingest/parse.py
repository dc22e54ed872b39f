"""One incoming record read and validated: the spec's raw metadata object (and its stages)
as a ParsedRecord ready to store, or the errors that name each refused field.

The fast path reads a record given as raw JSON bytes with msgspec, a stage body staying JSON
text; whatever it refuses takes the standard parser, whose errors name the field.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
from django.conf import settings

from billing.models import FEE_ITEMS
from logs.ingest.redact import SECRET_RE, might_hold_secret, redact_json, redact_text, redact_texts
from logs.record.codec import JSONDepthError, check_depth, decimal_or_raw, json_depth, loads
from logs.record.values import (
    AMOUNT_FIELDS,
    ID_RE,
    MAX_THROUGHPUT,
    MAX_TOKENS,
    SLUG_RE,
    in_date_range,
)

from .checks import (
    Errors,
    check_numbers,
    read_boolean,
    read_decimal,
    read_integer,
    read_string,
    type_name,
)
from .stages import StageIn, parse_stages

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
DETAIL_AMOUNTS = {
    "rate": "rate",
    "originAmount": "origin_amount",
    "discountAmount": "discount_amount",
    "billAmount": "bill_amount",
}

# Canonical bytes for the content hash: keys sorted at every level, Decimals as numbers.
_CANONICAL = msgspec.json.Encoder(decimal_format="number", order="sorted")


def content_hash(obj, stages):
    """sha256 over the record's metadata (canonical) and each stage as it will be stored, so
    a re-sent record differs exactly when what we would store differs."""
    digest = hashlib.sha256(_CANONICAL.encode({k: v for k, v in obj.items() if k != "stages"}))
    for stage in stages:
        digest.update(b"\x1e" + stage.stage.encode() + b"\x1f" + stage.body_format.encode())
        digest.update(_CANONICAL.encode(stage.headers))
        digest.update(b"\x1f" + stage.encoded)
    return digest.hexdigest()


_RAW_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_STAGES = msgspec.json.Decoder(dict[str, StageIn | None])
_VALUE = msgspec.json.Decoder(float_hook=decimal_or_raw)


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
class ParsedRecord:
    generation_id: str
    account_id: str
    api_key_id: str
    fields: dict  # Generation model fields
    rating: dict | None  # ratingResponses, parsed
    stages: list = field(default_factory=list)
    content_hash: str = ""


def _created_at(obj, errors):
    raw = read_string(obj, "createdAt", errors, required=True, max_length=64)
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


def _parse_rating(obj, errors):
    if not isinstance(obj, dict):
        errors.add("ratingResponses", f"must be an object, got {type_name(obj)}")
        return None
    rating = {"extra": {}}
    for key, attr in (
        ("originAmount", "origin_amount"),
        ("discountAmount", "discount_amount"),
        ("billAmount", "bill_amount"),
    ):
        value = obj.get(key, 0)
        rating[attr] = read_decimal(value, f"ratingResponses.{key}", errors, allow_negative=True)
    rating["price_version"] = (
        read_string(obj, "priceVersion", errors, max_length=32, path="ratingResponses.priceVersion")
        or ""
    )
    rating["service_code"] = (
        read_string(obj, "serviceCode", errors, max_length=300, path="ratingResponses.serviceCode")
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
        parsed["fee_item_code"] = read_string(
            detail,
            "feeItemCode",
            errors,
            required=True,
            max_length=40,
            path=f"{where}.feeItemCode",
        )
        for key, attr in DETAIL_AMOUNTS.items():
            parsed[attr] = read_decimal(detail.get(key, 0), f"{where}.{key}", errors)
        parsed["extra"] = {k: v for k, v in detail.items() if k not in DETAIL_AMOUNTS}
        parsed["extra"].pop("feeItemCode", None)
        check_numbers(parsed["extra"], where, errors)
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
    check_numbers(rating["extra"], "ratingResponses", errors)
    rating = redact_json(rating)  # keys too: the extras are shown as sent
    # Within their columns: "Bearer abcdefgh" grows by two characters as "Bearer [REDACTED]".
    rating["price_version"] = rating["price_version"][:32]
    rating["service_code"] = rating["service_code"][:300]
    return rating


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
    errors = Errors()
    if not isinstance(obj, dict):
        errors.add("(record)", f"must be a JSON object, got {type_name(obj)}")
        return None, errors.items
    generation_id = read_string(
        obj, "generationId", errors, required=True, pattern=ID_RE, max_length=64
    )
    account_id = read_string(obj, "accountId", errors, required=True, pattern=ID_RE, max_length=64)
    api_key_id = read_string(obj, "apiKeyId", errors, required=True, pattern=ID_RE, max_length=64)
    _refuse_keys_as_ids(obj, errors)
    fields = {
        "model_slug": read_string(obj, "modelSlug", errors, required=True, pattern=SLUG_RE),
        "provider_slug": read_string(
            obj, "providerSlug", errors, required=True, pattern=SLUG_RE, max_length=100
        ),
        "model_name": read_string(obj, "model", errors) or "",
        "created_at": _created_at(obj, errors),
        "finish_reason": read_string(obj, "finishReason", errors, max_length=64) or "",
        "native_finish_reason": read_string(obj, "nativeFinishReason", errors, max_length=64) or "",
    }
    for key, attr in (
        ("generationTime", "generation_time_ms"),
        ("latency", "first_token_latency_ms"),
        ("moderationLatency", "moderation_latency_ms"),
        ("requestRetryTimes", "request_retry_times"),
    ):
        if obj.get(key) is not None:
            value = read_integer(obj[key], key, errors)
            if value is not None and value > 2**31 - 1:
                errors.add(key, "is too large")
            fields[attr] = value
    for key, attr in (
        ("streamed", "streamed"),
        ("cancelled", "cancelled"),
        ("finalRetry", "final_retry"),
    ):
        if obj.get(key) is not None:
            fields[attr] = read_boolean(obj[key], key, errors)
    if obj.get("throughput") is not None:
        value = read_decimal(obj["throughput"], "throughput", errors, maximum=MAX_THROUGHPUT)
        if value is not None:
            # Rounded to its column's cents, 999999999999.995 would become 10**12, one digit
            # more than the column holds.
            value = value.quantize(Decimal("0.01"))
            if value >= MAX_THROUGHPUT:
                errors.add("throughput", f"is too large (must be below {MAX_THROUGHPUT:,})")
        fields["throughput"] = value
    for key, attr in AMOUNT_FIELDS.items():
        if obj.get(key) is not None:
            fields[attr] = read_decimal(obj[key], key, errors, allow_negative=True)

    fee_tokens = obj.get("nativeFeeTokens")
    other = {}
    if fee_tokens is not None:
        if not isinstance(fee_tokens, dict):
            errors.add("nativeFeeTokens", f"must be an object, got {type_name(fee_tokens)}")
        else:
            for item, count in fee_tokens.items():
                value = read_integer(count, f"nativeFeeTokens.{item}", errors)
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
            errors.add("nativeTokens", f"must be an object, got {type_name(obj['nativeTokens'])}")
        fields["native_tokens"] = obj["nativeTokens"]
        check_numbers(obj["nativeTokens"], "nativeTokens", errors)

    rating = None
    if obj.get("ratingResponses") is not None:
        rating = _parse_rating(obj["ratingResponses"], errors)
    stages = parse_stages(obj["stages"], errors) if obj.get("stages") is not None else []
    fields["extra_metadata"] = {k: v for k, v in obj.items() if k not in KNOWN_KEYS} or None
    for key, value in (fields["extra_metadata"] or {}).items():
        check_numbers(value, key, errors)

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
