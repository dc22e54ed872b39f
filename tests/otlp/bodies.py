"""OTLP/JSON bodies for the receiver's tests, written as the OTLP spec shows them: hex ids,
64-bit integers as strings, AnyValue objects."""

import json


def attr(key, value):
    """An OTLP/JSON KeyValue."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # int64 as a string
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {
            "key": key,
            "value": {"arrayValue": {"values": [attr("", v)["value"] for v in value]}},
        }
    if isinstance(value, dict):
        return {
            "key": key,
            "value": {"kvlistValue": {"values": [attr(k, v) for k, v in value.items()]}},
        }
    return {"key": key, "value": {"stringValue": value}}


TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"
START_NS = 1_764_000_000_000_000_000  # 2025-11-24T16:00:00Z


def json_span(attributes, trace=TRACE, span=SPAN, name="chat gpt-4o-mini", events=(), status=None):
    out = {
        "traceId": trace,
        "spanId": span,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(START_NS + 1_500_000_000),
        "attributes": [attr(k, v) for k, v in attributes.items()],
        "events": list(events),
    }
    if status:
        out["status"] = status
    return out


def json_traces(*spans, service="checkout"):
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", service)]},
                "scopeSpans": [{"scope": {"name": "test", "version": "1"}, "spans": list(spans)}],
            }
        ]
    }


def json_logs(*records, service="checkout"):
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [attr("service.name", service)]},
                "scopeLogs": [{"scope": {"name": "test"}, "logRecords": list(records)}],
            }
        ]
    }


def details_record(attributes, trace=TRACE, span=SPAN):
    return {
        "timeUnixNano": str(START_NS + 1_500_000_000),
        "traceId": trace,
        "spanId": span,
        "eventName": "gen_ai.client.inference.operation.details",
        "attributes": [attr(k, v) for k, v in attributes.items()],
    }


def post_json(client, path, token, body, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers, **extra)


def post_protobuf(client, path, token, message, **extra):
    """POST an OTLP protobuf message (an ExportTraceServiceRequest, ...) as an exporter does."""
    return client.post(
        path,
        message.SerializeToString(),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **extra,
    )
