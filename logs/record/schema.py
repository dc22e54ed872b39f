"""The JSON Schemas of a record: Record, what POST /api/v1/generations accepts (as
logs.ingest.parse reads it), and RawMetadata, what GET /api/v1/generation writes
(logs.record.raw.to_raw_metadata). logs/openapi.py puts them in the OpenAPI document.

Their limits are read from the validator's own constants (logs/record/values.py) and the
settings ingestion enforces, so the schemas cannot drift from what the API accepts.
"""

from django.conf import settings

from billing.models import FEE_ITEMS

from .values import (
    ID_RE,
    MAX_CREATED_AT,
    MAX_INT,
    MAX_MONEY,
    MAX_THROUGHPUT,
    MAX_TOKENS,
    MIN_CREATED_AT,
    SLUG_RE,
    STAGE_KEYS,
    plain_number,
)

# parse_record caps these four at the largest 32-bit integer (their columns are integers).
MAX_INT32 = 2**31 - 1
# Lengths parse_record passes to read_string; ids and slugs carry theirs in ID_RE and SLUG_RE.
MAX_LENGTHS = {
    "id": 64,
    "providerSlug": 100,
    "modelSlug": 200,
    "model": 200,
    "finishReason": 64,
    "createdAt": 64,
    "priceVersion": 32,
    "serviceCode": 300,
    "feeItemCode": 40,
    "feeItemName": 64,
}
# A decimal as text, as the spec writes amounts: "0.051006", "-3", "0".
_DECIMAL_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
# createdAt as the API writes it: 2025-08-22T02:49:18.000+00:00.
_UTC_MILLISECONDS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+00:00$"


def _nullable(schema):
    """Optional fields may be sent as null: parse_record reads null as absent."""
    return {"anyOf": [schema, {"type": "null"}]}


def _integers_below(limit):
    """A regex for the decimal integers 0 .. limit - 1 (limit a positive integer), leading
    zeros allowed: the whole part of an amount string the validator accepts."""
    top = str(limit - 1)
    if set(top) == {"9"}:  # a power of ten: up to so many digits
        return f"0*[0-9]{{1,{len(top)}}}"
    shorter = f"[0-9]{{1,{len(top) - 1}}}" if len(top) > 1 else None
    same_length = [top]
    for i, digit in enumerate(top):
        low = 1 if i == 0 and len(top) > 1 else 0
        if int(digit) > low:
            rest = len(top) - i - 1
            same_length.append(
                f"{top[:i]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    return "0*(?:" + "|".join(filter(None, [shorter, *same_length])) + ")"


def _decimal(*, maximum, negative, what):
    """A decimal field as parse_record reads it (_decimal there): a number, or its text."""
    number = {"type": "number", "exclusiveMaximum": plain_number(maximum)}
    if negative:
        number["exclusiveMinimum"] = plain_number(-maximum)
    else:
        number["minimum"] = 0
    sign = "-?" if negative else ""
    text = f"^{sign}{_integers_below(int(maximum))}(\\.[0-9]+)?$"
    return {
        "description": f"{what}: a JSON number or a decimal string, read as an exact decimal "
        f"(never a float), below {plain_number(maximum):,}"
        + (" in absolute value" if negative else ", not negative")
        + "; more than 10 decimal places are rounded to 10. (The validator also reads "
        "exponents and surrounding spaces in the string, which no gateway sends.)",
        "anyOf": [number, {"type": "string", "pattern": text}],
    }


def _amount(what="An amount in USD"):
    return _decimal(maximum=MAX_MONEY, negative=True, what=what)


def _count(maximum=MAX_INT):
    return {"type": "integer", "minimum": 0, "maximum": maximum}


def record_schema():
    id_string = {"type": "string", "pattern": ID_RE.pattern, "maxLength": MAX_LENGTHS["id"]}
    stage = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "headers": _nullable(
                {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Secret headers (Authorization, x-api-key, Cookie, ...) and "
                    "secret-looking values are stored as [REDACTED].",
                }
            ),
            "body": {
                "description": "Any JSON value, or a string (an SSE stream, text). Stored cut "
                f"at {settings.INGEST_MAX_STAGE_BYTES} bytes and flagged truncated."
            },
        },
    }
    return {
        "type": "object",
        "description": "One generation in the spec's raw metadata shape, optionally with its "
        f"stages. JSON nesting is limited to {settings.INGEST_MAX_DEPTH} levels. Keys not "
        "listed here are kept and returned as they came.",
        "required": [
            "generationId",
            "accountId",
            "apiKeyId",
            "modelSlug",
            "providerSlug",
            "createdAt",
        ],
        "additionalProperties": True,
        "properties": {
            "generationId": id_string,
            "accountId": id_string,
            "apiKeyId": id_string,
            "modelSlug": {
                "type": "string",
                "pattern": SLUG_RE.pattern,
                "maxLength": MAX_LENGTHS["modelSlug"],
            },
            "providerSlug": {
                "type": "string",
                "pattern": SLUG_RE.pattern,
                "maxLength": MAX_LENGTHS["providerSlug"],
            },
            "model": _nullable({"type": "string", "maxLength": MAX_LENGTHS["model"]}),
            "createdAt": {
                "type": "string",
                "format": "date-time",
                "maxLength": MAX_LENGTHS["createdAt"],
                "description": "ISO 8601 with a UTC offset, e.g. 2025-08-22T02:49:18.000+00:00. "
                f"After conversion to UTC it must be at or after {MIN_CREATED_AT.isoformat()} "
                f"and before {MAX_CREATED_AT.isoformat()}.",
                "x-minimum": MIN_CREATED_AT.isoformat(),
                "x-exclusiveMaximum": MAX_CREATED_AT.isoformat(),
            },
            "generationTime": _nullable(_count(MAX_INT32)),
            "latency": _nullable(_count(MAX_INT32)),
            "moderationLatency": _nullable(_count(MAX_INT32)),
            "requestRetryTimes": _nullable(_count(MAX_INT32)),
            "streamed": {"type": ["boolean", "null"]},
            "cancelled": {"type": ["boolean", "null"]},
            "finalRetry": {"type": ["boolean", "null"]},
            "throughput": _nullable(
                _decimal(
                    maximum=MAX_THROUGHPUT,
                    negative=False,
                    what="Tokens per second, kept to 2 places",
                )
            ),
            "nativeFeeTokens": _nullable(
                {
                    "type": "object",
                    "description": f"Token and unit counts by fee item ({', '.join(FEE_ITEMS)}, "
                    "or any other name, kept as sent).",
                    "propertyNames": {"maxLength": MAX_LENGTHS["feeItemName"]},
                    "additionalProperties": _count(MAX_TOKENS),
                }
            ),
            "nativeTokens": {
                "type": ["object", "null"],
                "description": "The provider's usage object, kept as sent.",
            },
            "finishReason": _nullable({"type": "string", "maxLength": MAX_LENGTHS["finishReason"]}),
            "nativeFinishReason": _nullable(
                {"type": "string", "maxLength": MAX_LENGTHS["finishReason"]}
            ),
            "originAmount": _nullable(_amount()),
            "billAmount": _nullable(_amount()),
            "discountAmount": _nullable(_amount()),
            "realAmount": _nullable(_amount()),
            "nonpaymentAmount": _nullable(_amount()),
            "ratingResponses": _nullable(
                {
                    "type": "object",
                    "description": "The gateway's own rating; without it a record is rated on "
                    "arrival.",
                    "additionalProperties": True,
                    "properties": {
                        "originAmount": _amount(),
                        "discountAmount": _amount(),
                        "billAmount": _amount(),
                        "priceVersion": _nullable(
                            {"type": "string", "maxLength": MAX_LENGTHS["priceVersion"]}
                        ),
                        "serviceCode": _nullable(
                            {"type": "string", "maxLength": MAX_LENGTHS["serviceCode"]}
                        ),
                        "ratingDetails": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["feeItemCode"],
                                "additionalProperties": True,
                                "properties": {
                                    "feeItemCode": {
                                        "type": "string",
                                        "minLength": 1,
                                        "maxLength": MAX_LENGTHS["feeItemCode"],
                                    },
                                    **{
                                        key: _decimal(maximum=MAX_MONEY, negative=False, what=key)
                                        for key in (
                                            "rate",
                                            "originAmount",
                                            "discountAmount",
                                            "billAmount",
                                        )
                                    },
                                },
                            },
                        },
                    },
                }
            ),
            "stages": _nullable(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {key: _nullable(stage) for key in STAGE_KEYS},
                }
            ),
        },
    }


def raw_metadata_schema():
    """The spec's raw metadata object as GET /api/v1/generation writes it
    (logs.record.raw.to_raw_metadata): amounts as strings at the top, numbers inside
    ratingResponses."""
    amount_text = {"type": ["string", "null"], "pattern": _DECIMAL_TEXT}
    number = {"type": "number"}
    return {
        "type": "object",
        "required": [
            "generationId",
            "accountId",
            "model",
            "modelSlug",
            "apiKeyId",
            "providerSlug",
            "createdAt",
            "nativeFeeTokens",
            "finishReason",
            "nativeFinishReason",
            "originAmount",
            "billAmount",
            "discountAmount",
            "realAmount",
            "nonpaymentAmount",
        ],
        "additionalProperties": True,
        "properties": {
            "generationId": {"type": "string", "pattern": ID_RE.pattern},
            "accountId": {"type": "string", "pattern": ID_RE.pattern},
            "apiKeyId": {"type": "string", "pattern": ID_RE.pattern},
            "model": {"type": "string"},
            "modelSlug": {"type": "string", "pattern": SLUG_RE.pattern},
            "providerSlug": {"type": "string", "pattern": SLUG_RE.pattern},
            "createdAt": {
                "type": "string",
                "description": "Always UTC, to the millisecond.",
                "pattern": _UTC_MILLISECONDS,
            },
            "generationTime": _count(MAX_INT32),
            "latency": _count(MAX_INT32),
            "moderationLatency": _count(MAX_INT32),
            "requestRetryTimes": _count(MAX_INT32),
            "streamed": {"type": "boolean"},
            "cancelled": {"type": "boolean"},
            "finalRetry": {"type": "boolean"},
            "throughput": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"},
            "nativeFeeTokens": {"type": "object", "additionalProperties": _count(MAX_TOKENS)},
            "nativeTokens": {"type": "object"},
            "finishReason": {"type": "string"},
            "nativeFinishReason": {"type": "string"},
            "originAmount": amount_text,
            "billAmount": amount_text,
            "discountAmount": amount_text,
            "realAmount": amount_text,
            "nonpaymentAmount": amount_text,
            "ratingResponses": {
                "type": "object",
                "required": [
                    "billAmount",
                    "discountAmount",
                    "originAmount",
                    "priceVersion",
                    "ratingDetails",
                    "serviceCode",
                ],
                "additionalProperties": True,
                "properties": {
                    "billAmount": number,
                    "discountAmount": number,
                    "originAmount": number,
                    "priceVersion": {"type": "string"},
                    "serviceCode": {"type": "string"},
                    "ratingDetails": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "billAmount",
                                "discountAmount",
                                "feeItemCode",
                                "originAmount",
                                "rate",
                            ],
                            "additionalProperties": True,
                            "properties": {
                                "billAmount": number,
                                "discountAmount": number,
                                "feeItemCode": {"type": "string"},
                                "originAmount": number,
                                "rate": number,
                            },
                        },
                    },
                },
            },
        },
    }
