"""The OpenAPI 3.1 description of the two JSON APIs (logs/api.py), served at
/api/openapi.json.

Its limits are read from the validator's own constants (logs/record/values.py) and the settings
ingestion enforces, so the document cannot drift from what the API accepts;
tests/test_openapi.py checks it against the URLconf, the spec's example and real answers,
and tests/test_schemathesis.py fuzzes the live server with it.
"""

from pathlib import Path

from django.conf import settings

from billing.models import FEE_ITEMS

from .record.codec import loads
from .record.values import (
    ID_RE,
    MAX_CREATED_AT,
    MAX_INT,
    MAX_MONEY,
    MAX_THROUGHPUT,
    MIN_CREATED_AT,
    SLUG_RE,
    STAGE_KEYS,
    plain_number,
)

# The spec's example (logs.demo.SPEC_EXAMPLE_PATH; demo is not imported for a path).
SPEC_EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "spec_example.json"

# parse_record caps these four at the largest 32-bit integer (their columns are integers).
MAX_INT32 = 2**31 - 1
# Lengths parse_record passes to _string; ids and slugs carry theirs in ID_RE and SLUG_RE.
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


def _record_schema():
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
                    "additionalProperties": _count(),
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


def _raw_metadata_schema():
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
            "nativeFeeTokens": {"type": "object", "additionalProperties": _count()},
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


def _error_schema(**extra):
    return {
        "type": "object",
        "required": ["error", *extra.pop("_required", [])],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string", "description": "What was wrong, naming the field."},
            **extra,
        },
    }


def _json(schema_ref, description, headers=None):
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }
    if headers:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers}
    return response


def _batch_result_schema(all_rejected=False):
    outcome = {
        "type": "object",
        "required": ["index", "generationId", "status"],
        "additionalProperties": False,
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "generationId": {"type": ["string", "null"]},
            "status": {
                "enum": ["rejected"] if all_rejected else ["created", "duplicate", "rejected"]
            },
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "additionalProperties": False,
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "contentDiffers": {
                "type": ["boolean", "null"],
                "description": "For a duplicate: whether this copy differs from the stored one.",
            },
        },
    }
    count = {"type": "integer", "minimum": 0}
    properties = {
        "created": count,
        "duplicate": count,
        "rejected": count,
        "results": {
            "type": "array",
            "minItems": 1,
            "maxItems": settings.INGEST_MAX_RECORDS,
            "items": outcome,
        },
    }
    if all_rejected:
        properties["error"] = {
            "type": "string",
            "description": "For a single record: its first error, naming the field.",
        }
    return {
        "type": "object",
        "required": ["created", "duplicate", "rejected", "results"],
        "additionalProperties": False,
        "properties": properties,
    }


def openapi_document():
    """The OpenAPI 3.1 document, as a dict ready for JSON."""
    max_records = settings.INGEST_MAX_RECORDS
    max_bytes = settings.INGEST_MAX_BYTES
    record_ref = {"$ref": "#/components/schemas/Record"}
    batch = {
        "anyOf": [
            record_ref,
            {"type": "array", "minItems": 1, "maxItems": max_records, "items": record_ref},
        ]
    }
    ndjson = {
        "schema": {
            "description": "One record per line (blank lines are skipped).",
            "type": "array",
            "minItems": 1,
            "maxItems": max_records,
            "items": record_ref,
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ZenLogs API",
            "version": "1",
            "description": "Records in (POST /api/v1/generations, with an ingest token) and raw "
            "metadata out (GET /api/v1/generation, with a personal API token or a console "
            "session). After 20 missing or bad tokens from one address in a clock minute, "
            "that address gets 429 until the minute ends.",
        },
        "paths": {
            "/api/v1/generations": {
                "post": {
                    "operationId": "ingestGenerations",
                    "summary": "Store one record, an array of records, or NDJSON",
                    "description": f"At most {max_records} records and {max_bytes} bytes (after "
                    "gzip is inflated) a request. Each record is validated and stored on its "
                    "own, whole or not at all: the answer lists every record's outcome in input "
                    "order. 200 when none was rejected, 207 when some were, 400 when all were "
                    "(or when the body itself is not JSON).",
                    "security": [{"ingestToken": []}],
                    "parameters": [
                        {
                            "name": "Content-Encoding",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "enum": ["gzip", "x-gzip", "identity"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": batch,
                                "examples": {"spec": {"$ref": "#/components/examples/SpecRecord"}},
                            },
                            "application/x-ndjson": ndjson,
                            "application/jsonl": ndjson,
                        },
                    },
                    "responses": {
                        "200": _json("BatchResult", "Every record was stored (or already was)."),
                        "207": _json("BatchResult", "Some records were rejected, the rest stored."),
                        "400": {
                            "description": "Every record was rejected, or the body is empty, "
                            "not UTF-8, not JSON, nested too deeply, or not valid gzip.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "anyOf": [
                                            {"$ref": "#/components/schemas/RejectedBatch"},
                                            {"$ref": "#/components/schemas/Error"},
                                        ]
                                    }
                                }
                            },
                        },
                        "401": _json(
                            "Error",
                            "No ingest token, or one that is not valid.",
                            ["WWW-Authenticate"],
                        ),
                        "413": _json("LimitError", "Too many records, or too many bytes."),
                        "415": _json(
                            "EncodingError",
                            "A Content-Encoding other than gzip or identity.",
                            ["Accept-Encoding"],
                        ),
                        "429": _json(
                            "Error", "Too many bad tokens from this address.", ["Retry-After"]
                        ),
                        "503": _json(
                            "Error",
                            "The database is unavailable; nothing was stored, retry as is.",
                            ["Retry-After"],
                        ),
                    },
                }
            },
            "/api/v1/generation": {
                "get": {
                    "operationId": "getGeneration",
                    "summary": "The raw metadata of one generation, in the spec's shape",
                    "security": [{"apiToken": []}, {"session": []}],
                    "parameters": [
                        {
                            "name": "id",
                            "in": "query",
                            "required": True,
                            "description": "The generationId.",
                            "schema": {"type": "string"},
                            "example": "2534CCEDTKJR00217635",
                        }
                    ],
                    "responses": {
                        "200": {
                            **_json("RawMetadata", "The generation's raw metadata."),
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/RawMetadata"},
                                    "examples": {
                                        "spec": {"$ref": "#/components/examples/SpecRecord"}
                                    },
                                }
                            },
                        },
                        "400": _json("FieldError", "No id."),
                        "401": _json(
                            "Error",
                            "No token and no session, or a token that is not valid.",
                            ["WWW-Authenticate"],
                        ),
                        "404": _json("Error", "No such generation in your accounts."),
                        "429": _json(
                            "Error", "Too many bad tokens from this address.", ["Retry-After"]
                        ),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "ingestToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An ingest token (zl_ingest_…): manage.py create_ingest_token.",
                },
                "apiToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (zl_pat_…): manage.py create_api_token.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
            },
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                },
                "WWW-Authenticate": {"required": True, "schema": {"type": "string"}},
                "Accept-Encoding": {"required": True, "schema": {"type": "string"}},
            },
            "schemas": {
                "Record": _record_schema(),
                "RawMetadata": _raw_metadata_schema(),
                "BatchResult": _batch_result_schema(),
                "RejectedBatch": _batch_result_schema(all_rejected=True),
                "Error": _error_schema(),
                "FieldError": _error_schema(field={"type": "string"}, _required=["field"]),
                "LimitError": _error_schema(
                    limit={"type": "integer", "description": "The limit that was passed."},
                    _required=["limit"],
                ),
                "EncodingError": _error_schema(
                    supported={"type": "array", "items": {"type": "string"}},
                    _required=["supported"],
                ),
            },
            "examples": {
                "SpecRecord": {
                    "summary": "The spec's example record",
                    "value": loads(SPEC_EXAMPLE.read_text()),
                }
            },
        },
    }
