"""Secrets never reach the database: header values by name, and provider keys or bearer
tokens anywhere in a string, are replaced before a record is written."""

import re

from django.conf import settings

REDACTED = "[REDACTED]"
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
}
# Longest prefixes first so sk-ant-/sk-proj- are not half-matched as sk-.
SECRET_RE = re.compile(
    r"(?:sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|sk-proj-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9_\-]{16,}"
    r"|AIza[0-9A-Za-z_\-]{20,}"
    r"|zl_(?:ingest|pat)_[A-Za-z0-9_\-]{16,})"
)
BEARER_RE = re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/\-]{8,}=*", re.IGNORECASE)


def redact_text(text):
    if (
        "sk-" not in text
        and "AIza" not in text
        and "zl_" not in text
        and ("earer" not in text and "EARER" not in text)
    ):
        return text  # the common case, and the hot path of ingestion
    text = SECRET_RE.sub(REDACTED, text)
    return BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def redact_value(value):
    """Redacts every string (keys too) in a JSON value, iteratively."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {redact_text(k): redact_value(v) for k, v in value.items()}
    return value


def redact_headers(headers):
    secret = SECRET_HEADERS | set(settings.REDACT_EXTRA_HEADERS)
    return {
        name: REDACTED if name.lower() in secret else redact_value(value)
        for name, value in headers.items()
    }
