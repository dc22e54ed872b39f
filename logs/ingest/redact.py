"""Secrets never reach the database: header values by name, and provider keys or bearer
tokens anywhere in a string, are replaced before a record is written."""

import base64
import binascii
import re

import msgspec
from django.conf import settings

REDACTED = "[REDACTED]"
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",  # AWS session credentials (Bedrock behind a gateway)
    "x-auth-token",
    "x-access-token",
    "cookie",
    "set-cookie",
}
# Key shapes of the providers and tools a gateway carries keys for. Each has a fixed prefix
# and a long random part, so ordinary text does not match: a word that merely ends in one
# ("task-…", "ask-me", "disk-…") is not a key, hence nothing alphanumeric just before it.
# Longest prefixes first so sk-ant-/sk-proj- are not half-matched as sk-.
SECRET_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|sk-proj-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9_\-]{16,}"  # OpenAI, Anthropic, OpenRouter (sk-or-v1-), DeepSeek, ...
    r"|AIza[0-9A-Za-z_\-]{20,}"  # Google API keys
    r"|zl_(?:ingest|pat)_[A-Za-z0-9_\-]{16,}"  # our own tokens
    r"|xai-[A-Za-z0-9]{20,}"  # xAI
    r"|gsk_[A-Za-z0-9]{20,}"  # Groq
    r"|AKIA[0-9A-Z]{16}(?![0-9A-Za-z])"  # AWS access key ids: exactly 20 characters
    r"|ya29\.[A-Za-z0-9_\-]{20,}"  # Google OAuth access tokens (Vertex AI)
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"  # JWTs: {"…}.{"…}.sig
    r")"
)
BEARER_RE = re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/\-]{8,}=*", re.IGNORECASE)
# HTTP Basic credentials, in any header (X-Auth: Basic dXNlcjpwYXNz) or text. "Basic" is an
# ordinary word, so only what decodes as user:password (RFC 7617) counts.
BASIC_RE = re.compile(r"\b(Basic)[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])", re.IGNORECASE)
# The same in JSON text whose escapes are yet to be decoded: any escape may stand for a
# separator or a character of the credentials, so this matches at least where BASIC_RE
# would once decoded.
_BASIC_IN_JSON = re.compile(
    rb"(?i)basic(?:[ \t]|\\t|\\u00[0-9a-f]{2})+((?:[a-z0-9+/=]|\\/|\\u00[0-9a-f]{2}){8,})"
)
# In JSON text, an escaped character of one of the literal parts above ("sk-", "xai-",
# "gsk_", "AIza", "zl_", "AKIA", "eyJ", "ya29.", and "bearer" and "basic" in any case),
# or an escaped NUL, which cannot be stored. Every pattern needs one of those literals, so
# text without them unescaped, and without these escapes, cannot match once decoded.
# Simpler than listing those characters one by one: any escaped ASCII letter, "_", "-",
# ".", "2" or "9". No encoder escapes these for its own sake; the escapes that are common
# and harmless (accents from ASCII-only encoders, \u00e9; Go's \u003c, \u003e, \u0026;
# control characters) stay out.
SPELLING_ESCAPE = re.compile(rb"\\u00(?:00|2[dDeE]|3[29]|[4-7][0-9a-fA-F])")


def might_hold_secret(text):
    """False when no secret pattern can match `text`, even as JSON text whose escapes are
    yet to be decoded: a cheap test that lets most text skip the regular expressions.
    (An escaped ASCII character, \\u0073 for "s", could spell a secret out of sight.)"""
    if isinstance(text, str):
        text = text.encode(errors="surrogatepass")
    # A one-byte find runs at memchr speed, many times faster than a substring search or a
    # regular expression, even one led by a single literal byte, so each looks for a byte
    # its patterns need before searching. "-" and "_" are in most bodies, hence one search
    # per prefix for them; K, J and 9 are rare.
    if text.find(b"-") >= 0 and (b"sk-" in text or b"xai-" in text):
        return True
    if text.find(b"_") >= 0 and b"gsk_" in text:
        return True
    if text.find(b"z") >= 0 and (b"AIza" in text or b"zl_" in text):
        return True
    if text.find(b"K") >= 0 and b"AKIA" in text:
        return True
    if text.find(b"J") >= 0 and b"eyJ" in text:
        return True
    if text.find(b"9") >= 0 and b"ya29." in text:
        return True
    if text.find(b"\\") >= 0 and b"\\u00" in text and SPELLING_ESCAPE.search(text):
        return True
    lowered = text.lower()
    if b"bearer" in lowered:
        return True
    return b"basic" in lowered and _may_hold_basic_credentials(text)


def _may_hold_basic_credentials(text):
    for match in _BASIC_IN_JSON.finditer(text):
        encoded = match.group(1)
        if b"\\" in encoded or _is_credentials(encoded):
            return True  # escaped: decoding decides
    return False


def _is_credentials(encoded):
    """True when `encoded` (str or bytes) is base64 of user:password."""
    if isinstance(encoded, str):
        encoded = encoded.encode()
    encoded = encoded.rstrip(b"=")
    try:
        decoded = base64.b64decode(encoded + b"=" * (-len(encoded) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def _basic(match):
    return f"{match.group(1)} {REDACTED}" if _is_credentials(match.group(2)) else match.group(0)


def redact_text(text):
    if not might_hold_secret(text):
        return text  # the common case, and the hot path of ingestion
    text = SECRET_RE.sub(REDACTED, text)
    text = BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return BASIC_RE.sub(_basic, text)


def redact_value(value):
    """Redacts every string (keys too) in a JSON value, iteratively."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {redact_text(k): redact_value(v) for k, v in value.items()}
    return value


def redact_texts(*texts):
    """redact_text of each, after one look at them all together."""
    if not might_hold_secret("\n".join(texts)):
        return texts
    return tuple(redact_text(text) for text in texts)


_ENCODE = msgspec.json.Encoder(decimal_format="number").encode


def redact_json(value):
    """redact_value, after one look at the value's JSON text: walking it string by string is
    the slow way to find nothing."""
    if not value:
        return value
    try:
        text = _ENCODE(value)
    except (TypeError, ValueError, OverflowError):  # NaN, say: let the walk decide
        return redact_value(value)
    return redact_value(value) if might_hold_secret(text) else value


def secret_headers():
    """Lower-case names of the headers whose values are always redacted."""
    extra = settings.REDACT_EXTRA_HEADERS
    if _secret_cache[0] != extra:
        _secret_cache[:] = [list(extra), SECRET_HEADERS | set(extra)]
    return _secret_cache[1]


_secret_cache = [None, SECRET_HEADERS]


def redact_headers(headers, secret=None):
    """Header values by name, and names and other values by their text: a gateway may log a
    key as a header name as well as in a custom header's value."""
    if not headers:
        return {}
    secret = secret or secret_headers()
    redacted, shown = {}, []
    for name, value in headers.items():
        shown.append(name)
        if name.lower() in secret:
            redacted[name] = REDACTED
        else:
            redacted[name] = value
            shown.append(value if isinstance(value, str) else "sk-")  # not text: look inside
    # Looked at together first: usually nothing can hold a secret.
    if not might_hold_secret("\n".join(shown)):
        return redacted
    return {
        redact_text(name): value if name.lower() in secret else redact_value(value)
        for name, value in redacted.items()
    }
