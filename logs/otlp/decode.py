"""OTLP export bodies as plain spans and log records: binary protobuf through
opentelemetry-proto, or OTLP/JSON read here.

OTLP/JSON is not protobuf's own JSON mapping: trace and span ids are hex (protobuf's JSON
would want base64) and 64-bit integers may come as strings, so the JSON is walked by hand
rather than given to json_format. Both paths give the same Span and LogRecord values:
attributes as {key: value} with AnyValue read into str, bool, int, float, list and dict
(bytes as base64 text), times in Unix nanoseconds, ids as lowercase hex.

A body that cannot be read at all raises DecodeError, naming where (a 400); one span or
record that is malformed is kept with its `problem` set, refused alone through
partial_success.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass, field

from django.conf import settings
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from logs.record.codec import (
    UNSTORABLE_ESCAPE,
    JSONDepthError,
    check_depth,
    decimal_or_raw,
    int_or_raw,
    reject_constant,
    replace_unstorable,
)


class DecodeError(ValueError):
    """The body is not an OTLP export in the encoding it claims."""


class TooManyItems(ValueError):
    def __init__(self, what, limit):
        super().__init__(f"the export holds more than {limit:,} {what}; send smaller batches")
        self.limit = limit


@dataclass(slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict
    events: list  # [(name, time_ns, attributes)]
    status_code: int
    status_message: str
    resource: dict
    scope: dict  # {"name", "version"}
    problem: str | None = None


@dataclass(slots=True)
class LogRecord:
    trace_id: str
    span_id: str
    time_ns: int
    event_name: str
    attributes: dict
    body: object
    resource: dict
    scope: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- protobuf


def _any_value(value):
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind)


def _attributes(key_values):
    return {kv.key: _any_value(kv.value) for kv in key_values}


def _scope(scope):
    return {"name": scope.name, "version": scope.version}


def _id(raw, size, name):
    """Hex of a binary id, or (None, problem)."""
    if len(raw) != size or not any(raw):
        return None, f"{name}: must be {size} bytes, not all zero"
    return raw.hex(), None


def _parsed(message_class, body):
    request = message_class()
    try:
        request.ParseFromString(body)
    except (ProtobufDecodeError, RuntimeError) as exc:
        raise DecodeError(f"the body is not an {message_class.__name__}: {exc}") from None
    return request


def _scoped(groups, scopes, items, what, limit):
    """(resource attributes, scope, item) for each item of an export: spans or log records,
    grouped by resource, then by instrumentation scope. More than `limit` items refuse the
    whole export, before the group that passes it is read."""
    count = 0
    for group in groups:
        resource = _attributes(group.resource.attributes)
        for scoped in getattr(group, scopes):
            found = getattr(scoped, items)
            count += len(found)
            if count > limit:
                raise TooManyItems(what, limit)
            scope = _scope(scoped.scope)
            for item in found:
                yield resource, scope, item


def spans_from_protobuf(body, limit):
    request = _parsed(ExportTraceServiceRequest, body)
    return [
        _protobuf_span(s, resource, scope)
        for resource, scope, s in _scoped(
            request.resource_spans, "scope_spans", "spans", "spans", limit
        )
    ]


def _protobuf_span(s, resource, scope):
    trace_id, problem = _id(s.trace_id, 16, "traceId")
    span_id, span_problem = _id(s.span_id, 8, "spanId")
    return Span(
        trace_id=trace_id or "",
        span_id=span_id or "",
        parent_span_id=s.parent_span_id.hex(),
        name=s.name,
        kind=s.kind,
        start_ns=s.start_time_unix_nano,
        end_ns=s.end_time_unix_nano,
        attributes=_attributes(s.attributes),
        events=[(e.name, e.time_unix_nano, _attributes(e.attributes)) for e in s.events],
        status_code=s.status.code,
        status_message=s.status.message,
        resource=resource,
        scope=scope,
        problem=problem or span_problem,
    )


def logs_from_protobuf(body, limit):
    request = _parsed(ExportLogsServiceRequest, body)
    return [
        _protobuf_log_record(r, resource, scope)
        for resource, scope, r in _scoped(
            request.resource_logs, "scope_logs", "log_records", "log records", limit
        )
    ]


def _protobuf_log_record(r, resource, scope):
    attributes = _attributes(r.attributes)
    return LogRecord(
        trace_id=r.trace_id.hex(),
        span_id=r.span_id.hex(),
        time_ns=r.time_unix_nano or r.observed_time_unix_nano,
        event_name=r.event_name or _str(attributes.get("event.name")),
        attributes=attributes,
        body=_any_value(r.body) if r.HasField("body") else None,
        resource=resource,
        scope=scope,
    )


# ----------------------------------------------------------------------------- JSON


def _load_json(body):
    """The JSON body, numbers read as the record codec reads them. OTLP/JSON spends about four
    levels of nesting on each level of a structured value (value, kvlistValue, values, the
    pair) and ten on the envelope, so the envelope may nest four times INGEST_MAX_DEPTH; the
    stage bodies made of it are held to INGEST_MAX_DEPTH itself on their way in."""
    try:
        text = body.decode("utf-8")
        data = json.loads(
            text, parse_float=decimal_or_raw, parse_int=int_or_raw, parse_constant=reject_constant
        )
        check_depth(data, 4 * settings.INGEST_MAX_DEPTH + 16)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"the body is not UTF-8 (byte {exc.start})") from None
    except (JSONDepthError, RecursionError):
        raise DecodeError("the body is nested too deeply") from None
    except ValueError as exc:
        raise DecodeError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DecodeError("the body must be a JSON object")
    if UNSTORABLE_ESCAPE.search(text):
        data = replace_unstorable(data)  # NUL and lone surrogates, as the native API does
    return data


def _get(obj, camel, snake, default=None):
    """OTLP/JSON names fields in lowerCamelCase; protobuf's JSON readers also take the
    original names, so senders use both."""
    if camel in obj:
        return obj[camel]
    return obj.get(snake, default)


def _list_at(obj, camel, snake, where):
    value = _get(obj, camel, snake)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DecodeError(f"{where}{camel}: must be an array")
    return value


def _obj_at(obj, camel, snake, where):
    value = _get(obj, camel, snake)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError(f"{where}{camel}: must be an object")
    return value


def _json_any(value):
    if not isinstance(value, dict):
        return None
    if "stringValue" in value or "string_value" in value:
        return _str(_get(value, "stringValue", "string_value"))
    if "boolValue" in value or "bool_value" in value:
        return bool(_get(value, "boolValue", "bool_value"))
    if "intValue" in value or "int_value" in value:
        return _int(_get(value, "intValue", "int_value"))
    if "doubleValue" in value or "double_value" in value:
        return _double(_get(value, "doubleValue", "double_value"))
    if "arrayValue" in value or "array_value" in value:
        array = _get(value, "arrayValue", "array_value") or {}
        values = array.get("values") if isinstance(array, dict) else None
        return [_json_any(v) for v in values] if isinstance(values, list) else []
    if "kvlistValue" in value or "kvlist_value" in value:
        kvlist = _get(value, "kvlistValue", "kvlist_value") or {}
        values = kvlist.get("values") if isinstance(kvlist, dict) else None
        return _json_attributes(values)
    if "bytesValue" in value or "bytes_value" in value:
        return _str(_get(value, "bytesValue", "bytes_value"))
    return None


def _json_attributes(items):
    out = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _json_any(item.get("value"))
    return out


def _int(value):
    """An int64 that OTLP/JSON may send as a string. Bounded by its text first: Python's
    int() of a long enough string takes seconds."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = _str(value).strip()
    if len(text) > 20:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)  # "1e9" is a valid JSON number for an int64
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None


def _double(value):
    if isinstance(value, str):
        if len(value) > 40:
            return None
        try:
            value = float(value)  # "NaN", "Infinity": the JSON mapping's names
        except ValueError:
            return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _hex_id(value, size, name):
    text = _str(value).strip().lower()
    if len(text) != size * 2:
        return "", f"{name}: must be {size * 2} hex digits"
    try:
        raw = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        return "", f"{name}: must be {size * 2} hex digits"
    if not any(raw):
        return "", f"{name}: must not be all zero"
    return text, None


def _scope_json(obj, where):
    scope = _obj_at(obj, "scope", "scope", where)
    return {"name": _str(scope.get("name")), "version": _str(scope.get("version"))}


def _enum(value, names):
    if isinstance(value, str) and value in names:
        return names[value]
    return _int(value) or 0


_KINDS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _scoped_json(data, groups, scopes, items, what, limit):
    """_scoped for OTLP/JSON: `groups`, `scopes` and `items` are a field's (camelCase,
    snake_case) names; a value of the wrong shape is a DecodeError naming where it is."""
    count = 0
    for i, group in enumerate(_list_at(data, *groups, "")):
        where = f"{groups[0]}[{i}]."
        if not isinstance(group, dict):
            raise DecodeError(f"{where[:-1]}: must be an object")
        resource = _json_attributes(_obj_at(group, "resource", "resource", where).get("attributes"))
        for j, scoped in enumerate(_list_at(group, *scopes, where)):
            at = f"{where}{scopes[0]}[{j}]."
            if not isinstance(scoped, dict):
                raise DecodeError(f"{at[:-1]}: must be an object")
            scope = _scope_json(scoped, at)
            found = _list_at(scoped, *items, at)
            count += len(found)
            if count > limit:
                raise TooManyItems(what, limit)
            for k, item in enumerate(found):
                if not isinstance(item, dict):
                    raise DecodeError(f"{at}{items[0]}[{k}]: must be an object")
                yield resource, scope, item


def spans_from_json(body, limit):
    groups = ("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), ("spans", "spans")
    return [
        _json_span(s, resource, scope)
        for resource, scope, s in _scoped_json(_load_json(body), *groups, "spans", limit)
    ]


def _json_span(s, resource, scope):
    trace_id, problem = _hex_id(_get(s, "traceId", "trace_id"), 16, "traceId")
    span_id, span_problem = _hex_id(_get(s, "spanId", "span_id"), 8, "spanId")
    parent = _str(_get(s, "parentSpanId", "parent_span_id")).lower()
    status = _get(s, "status", "status") or {}
    status = status if isinstance(status, dict) else {}
    events = []
    for event in _get(s, "events", "events") or []:
        if isinstance(event, dict):
            events.append(
                (
                    _str(event.get("name")),
                    _int(_get(event, "timeUnixNano", "time_unix_nano")) or 0,
                    _json_attributes(event.get("attributes")),
                )
            )
    start = _int(_get(s, "startTimeUnixNano", "start_time_unix_nano"))
    end = _int(_get(s, "endTimeUnixNano", "end_time_unix_nano"))
    if start is None:
        problem = problem or "startTimeUnixNano: must be an integer (nanoseconds)"
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=_str(s.get("name")),
        kind=_enum(s.get("kind"), _KINDS),
        start_ns=start or 0,
        end_ns=end or 0,
        attributes=_json_attributes(s.get("attributes")),
        events=events,
        status_code=_enum(status.get("code"), _STATUS),
        status_message=_str(status.get("message")),
        resource=resource,
        scope=scope,
        problem=problem or span_problem,
    )


def logs_from_json(body, limit):
    groups = (
        ("resourceLogs", "resource_logs"),
        ("scopeLogs", "scope_logs"),
        ("logRecords", "log_records"),
    )
    return [
        _json_log_record(r, resource, scope)
        for resource, scope, r in _scoped_json(_load_json(body), *groups, "log records", limit)
    ]


def _json_log_record(r, resource, scope):
    attributes = _json_attributes(r.get("attributes"))
    time_ns = _int(_get(r, "timeUnixNano", "time_unix_nano")) or _int(
        _get(r, "observedTimeUnixNano", "observed_time_unix_nano")
    )
    return LogRecord(
        trace_id=_str(_get(r, "traceId", "trace_id")).lower(),
        span_id=_str(_get(r, "spanId", "span_id")).lower(),
        time_ns=time_ns or 0,
        event_name=_str(_get(r, "eventName", "event_name")) or _str(attributes.get("event.name")),
        attributes=attributes,
        body=_json_any(r.get("body")),
        resource=resource,
        scope=scope,
    )


def _str(value):
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def json_text(value):
    """An attribute value that the conventions send as a JSON string (the messages on a
    span), parsed; a structured value (a log record's AnyValue) as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None
