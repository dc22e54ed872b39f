"""JSON text in and out, for records and for what is made of them: Decimals, never floats,
and the guards that keep a hostile document cheap (depth, number size, characters
PostgreSQL cannot store)."""

import functools
import json
import re
from decimal import Decimal
from itertools import accumulate

import msgspec
import simplejson
from django.conf import settings


def dumps(obj, indent=None):
    """JSON text with Decimals written as plain numbers, never through float."""
    return simplejson.dumps(obj, use_decimal=True, indent=indent, ensure_ascii=False)


class JSONDepthError(ValueError):
    pass


def reject_constant(name):
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
UNFIT_NUMBER = (
    f"is too long or too large a number (at most {MAX_NUMBER_CHARS} characters, "
    f"between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT})"
)


def decimal_or_raw(text, raw=msgspec.Raw):
    """A JSON number with a fraction or an exponent as Decimal, or raw(text) when unfit."""
    if len(text) <= MAX_NUMBER_CHARS:
        value = Decimal(text)
        if -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
            return value
    return raw(text)


def int_or_raw(text, raw=msgspec.Raw):
    """A JSON integer as int, or raw(text) when too long: int() of long text is quadratic."""
    return int(text) if len(text) <= MAX_NUMBER_CHARS else raw(text)


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
            parse_float=functools.partial(decimal_or_raw, raw=raw),
            parse_int=functools.partial(int_or_raw, raw=raw),
            parse_constant=reject_constant,
        )
    except RecursionError:
        raise JSONDepthError("JSON is nested too deeply") from None
    check_depth(value)
    if UNSTORABLE_ESCAPE.search(text):
        # "\u0000" decodes to NUL and "\udcff" to a lone surrogate; PostgreSQL stores
        # neither in text or jsonb, so they become U+FFFD rather than fail the whole batch.
        # Paired surrogates (emoji) decode whole and are kept.
        value = replace_unstorable(value)
    return value


def replace_unstorable(value):
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [replace_unstorable(v) for v in value]
    if isinstance(value, dict):
        return {replace_unstorable(k): replace_unstorable(v) for k, v in value.items()}
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
