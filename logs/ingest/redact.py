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
# In JSON text, an escaped character of one of the literal parts above ("sk-", "AIza",
# "zl_", "bearer" in any case), or an escaped NUL, which cannot be stored. Every pattern
# needs one of those literals, so text without them unescaped, and without these escapes,
# cannot match once decoded. Other escapes (accents from ASCII-only encoders, Go's \u003c)
# are common and harmless.
SPELLING_ESCAPE = re.compile(rb"\\u00(?:00|2[dD]|4[1259]|5[2fF]|6[125bBcC]|7[23aA])")


def might_hold_secret(text):
    """False when no secret pattern can match `text`, even as JSON text whose escapes are
    yet to be decoded: a cheap test that lets most text skip the regular expressions.
    (An escaped ASCII character, \\u0073 for "s", could spell a secret out of sight.)"""
    if isinstance(text, bytes):
        # Stage bodies. A one-byte find runs at memchr speed, many times faster than a
        # substring search, so each looks for a byte its patterns need before searching.
        if text.find(b"-") >= 0 and b"sk-" in text:
            return True
        if text.find(b"z") >= 0 and (b"AIza" in text or b"zl_" in text):
            return True
        if text.find(b"\\") >= 0 and b"\\u00" in text and SPELLING_ESCAPE.search(text):
            return True
        return b"bearer" in text.lower()
    if "sk-" in text or "AIza" in text or "zl_" in text or "\\u00" in text:
        return True
    return "bearer" in text.lower()


def redact_text(text):
    if not might_hold_secret(text):
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


def secret_headers():
    """Lower-case names of the headers whose values are always redacted."""
    extra = settings.REDACT_EXTRA_HEADERS
    if _secret_cache[0] != extra:
        _secret_cache[:] = [list(extra), SECRET_HEADERS | set(extra)]
    return _secret_cache[1]


_secret_cache = [None, SECRET_HEADERS]


def redact_headers(headers, secret=None):
    if not headers:
        return {}
    secret = secret or secret_headers()
    redacted, others = {}, []
    for name, value in headers.items():
        if name.lower() in secret:
            redacted[name] = REDACTED
        else:
            redacted[name] = value
            others.append(value if isinstance(value, str) else "sk-")  # not text: look inside
    # The other values are looked at together first: usually none can hold a secret.
    if others and might_hold_secret("\n".join(others)):
        for name, value in redacted.items():
            if name.lower() not in secret:
                redacted[name] = redact_value(value)
    return redacted
