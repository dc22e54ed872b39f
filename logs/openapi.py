"""The OpenAPI 3.1 description of the two JSON APIs (logs/api.py), served at
/api/openapi.json.

The record's schemas, in and out, are logs/record/schema.py; their limits are read from the
validator's own constants (logs/record/values.py) and the settings ingestion enforces, so the
document cannot drift from what the API accepts; tests/api/test_openapi.py checks it against the
URLconf, the spec's example and real answers, and tests/api/test_schemathesis.py fuzzes the live
server with it.
"""

from pathlib import Path

from django.conf import settings

from .record.codec import loads
from .record.schema import raw_metadata_schema, record_schema

# The spec's example (demo.records.SPEC_EXAMPLE_PATH; demo is not imported for a path).
SPEC_EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "spec_example.json"


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
                "Record": record_schema(),
                "RawMetadata": raw_metadata_schema(),
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
