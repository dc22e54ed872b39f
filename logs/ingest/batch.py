"""A request body as its records: a JSON array or object, or NDJSON lines, each record kept
as its raw JSON, never more than the limit of them built."""

import functools
import itertools
import json
import re

import msgspec

from logs.record.codec import (
    UNSTORABLE_ESCAPE,
    JSONDepthError,
    check_depth,
    decimal_or_raw,
    int_or_raw,
    loads,
    reject_constant,
    replace_unstorable,
)

_RAW = msgspec.json.Decoder(msgspec.Raw)


class TooManyRecords(ValueError):
    def __init__(self, limit):
        super().__init__(f"more than {limit} records in one request; the limit is {limit}")
        self.limit = limit


@functools.cache
def _array_reader(limit):
    """A reader of a JSON array of at most `limit` values, each kept raw, that stops at value
    limit + 1. msgspec reads an array_like Struct's fields in order and refuses one past the
    last as it meets it, so `[1,1,1,…]` of ten million costs `limit` Raw objects at most; a
    list[Raw], even with a max_length, is built whole before its length is checked (hundreds
    of megabytes and seconds for millions of elements: bench/README.md). Fields left at their
    default stay empty: no JSON value is empty."""
    fields = [(f"r{i}", msgspec.Raw, msgspec.Raw()) for i in range(limit)]
    batch = msgspec.defstruct("Batch", fields, array_like=True, forbid_unknown_fields=True)
    return msgspec.json.Decoder(batch)


def split_records(body, limit):
    """A JSON array or object as a list of each record's raw JSON (bytes), or None when the
    fast reader refuses it (bad JSON, lone surrogates, NaN, deep nesting): the caller then
    parses with `load_records`, whose errors are the ones we report. Raises TooManyRecords
    past `limit` records, having built no more than that."""
    try:
        if body.lstrip()[:1] == b"[":
            try:
                values = msgspec.structs.astuple(_array_reader(limit).decode(body))
            except msgspec.ValidationError:
                raise TooManyRecords(limit) from None
            return [bytes(r) for r in itertools.takewhile(len, values)]
        return [bytes(_RAW.decode(body))]
    except (msgspec.DecodeError, RecursionError):
        return None


def load_records(text, limit):
    """What `loads` makes of a body, as a list of records: an array's elements parsed one at
    a time, stopping at element limit + 1 (TooManyRecords), or the one value. For the bodies
    the fast reader refuses, so their errors are the standard parser's."""
    at = _WHITESPACE.match(text).end()
    if text[at : at + 1] != "[":
        value = loads(text)
        return value if isinstance(value, list) else [value]
    decoder = json.JSONDecoder(
        parse_float=decimal_or_raw, parse_int=int_or_raw, parse_constant=reject_constant
    )
    unstorable = UNSTORABLE_ESCAPE.search(text)
    records = []
    at = _WHITESPACE.match(text, at + 1).end()
    if text[at : at + 1] == "]":
        at += 1
    else:
        while True:
            if len(records) == limit:
                raise TooManyRecords(limit)
            try:
                value, at = decoder.raw_decode(text, at)
            except RecursionError:
                raise JSONDepthError("JSON is nested too deeply") from None
            # Judged as a record alone, as in NDJSON or a body of one: the array around
            # the batch is not one of the record's levels.
            check_depth(value)
            records.append(replace_unstorable(value) if unstorable else value)
            at = _WHITESPACE.match(text, at).end()
            if text[at : at + 1] == "]":
                at += 1
                break
            if text[at : at + 1] != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
            at = _WHITESPACE.match(text, at + 1).end()
    at = _WHITESPACE.match(text, at).end()
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)
    return records


_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A line holding something other than whitespace, from its first such byte: found by the
# regex engine, so a body of blank lines costs no Python loop.
_NDJSON_LINE = re.compile(rb"\S[^\r\n]*")


def ndjson_lines(body, limit):
    """The non-blank lines of an NDJSON body as (offset, line), stopping at line limit + 1
    (TooManyRecords) instead of splitting the whole body first."""
    for count, match in enumerate(_NDJSON_LINE.finditer(body)):
        if count == limit:
            raise TooManyRecords(limit)
        yield match.start(), match.group()


def line_number(body, at):
    """The 1-based line of byte `at`, counting line breaks as bytes.splitlines does."""
    head = body[:at]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1
