"""A record's stages read into their stored form: the body kept as the text we store (a JSON
body as it came, in one line, whenever it can be), headers and secrets redacted, cut at the
stage limit."""

from dataclasses import dataclass

import msgspec
from django.conf import settings

from logs.ingest.redact import (
    might_hold_secret,
    redact_headers,
    redact_text,
    redact_value,
    secret_headers,
)
from logs.models import StagePayload
from logs.record.codec import UNSTORABLE_ESCAPE_BYTES, decimal_or_raw, dumps, loads
from logs.record.values import STAGE_KEYS

from .checks import type_name

_BODY = msgspec.json.Encoder(decimal_format="number")
_VALUE = msgspec.json.Decoder(float_hook=decimal_or_raw)


class StageIn(msgspec.Struct, forbid_unknown_fields=True):
    """A stage as the fast path reads it: the body stays JSON text, never becoming Python
    objects only to be written back out as text."""

    headers: dict[str, str] | None = None
    body: msgspec.Raw = msgspec.Raw()


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


def parse_stages(obj, errors):
    if not isinstance(obj, dict):
        errors.add("stages", f"must be an object, got {type_name(obj)}")
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
        if isinstance(value, StageIn):
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
        encoded = _body_bytes(body)
        return _stored(
            key, headers, encoded.decode(), encoded, StagePayload.BodyFormat.JSON, limits
        )
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


def _body_bytes(value):
    """A parsed body, redacted, as the UTF-8 of the text we store. Written out first and
    looked at as text: walking it string by string is the slow way to find no secret."""
    try:
        encoded = msgspec.json.format(_BODY.encode(value), indent=0)
    except (TypeError, ValueError, OverflowError):
        return _body_text(redact_value(value)).encode()
    if might_hold_secret(encoded):
        return _body_text(redact_value(value)).encode()
    return encoded


def _body_text(value):
    """A parsed body as the text we store: one line, a space after : and , (as the fast path
    formats raw bodies, so both paths store and hash the same text)."""
    try:
        return msgspec.json.format(_BODY.encode(value), indent=0).decode()
    except (TypeError, ValueError, OverflowError):
        return dumps(value)
