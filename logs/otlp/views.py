"""POST /v1/traces and POST /v1/logs: the OTLP/HTTP receiver's two endpoints, at the paths
every exporter appends to OTEL_EXPORTER_OTLP_ENDPOINT.

Answers follow the OTLP/HTTP spec: 200 with an Export*ServiceResponse in the request's
encoding (partial_success naming what was refused), 400 with a google.rpc.Status for a body
that cannot be decoded, 401 without a known token, 413/415 for the body's size and
encoding (the same reader, limits and gzip handling as POST /api/v1/generations), 503 with
Retry-After when the database is unavailable: the export wrote nothing and can be re-sent.
"""

import json
import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from logs.api import bearer_token, limit_bad_tokens, read_body, touch_token
from logs.ingest import collector_paused
from logs.models import IngestToken

from . import decode
from .receive import receive_logs, receive_spans

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# google.rpc.Code for the HTTP statuses the spec maps.
_RPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}


def _status_bytes(code, message):
    """A google.rpc.Status {code = 1, message = 2} in protobuf's wire format, written here:
    its class lives in googleapis-common-protos, a package this one message is not worth."""
    text = message.encode()
    out = bytearray(b"\x08")
    out += _varint(code)
    out += b"\x12" + _varint(len(text)) + text
    return bytes(out)


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _error(status, message, encoding, headers=None):
    code = _RPC_CODES.get(status, 2)
    if encoding == PROTOBUF:
        response = HttpResponse(_status_bytes(code, message), status=status, content_type=PROTOBUF)
    else:
        body = json.dumps({"code": code, "message": message})
        response = HttpResponse(body, status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _encoding(request):
    content_type = (request.content_type or "").lower()
    if content_type == PROTOBUF:
        return PROTOBUF
    if content_type == JSON:
        return JSON
    return None


def _receive(request, kind):
    encoding = _encoding(request)
    token = IngestToken.objects.matching(bearer_token(request)).select_related("account").first()
    if token is None:
        response = _error(
            401,
            "an ingest token is required: OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer "
            "zl_ingest_…",
            encoding or JSON,
        )
        response["WWW-Authenticate"] = 'Bearer realm="zenlogs"'
        return response
    if token.account is None:
        return _error(
            403,
            "this is a gateway-wide token; OTLP takes an account's token "
            "(manage.py create_ingest_token --account ACCOUNT_ID)",
            encoding or JSON,
        )
    if encoding is None:
        return _error(
            415,
            f"Content-Type {request.content_type!r} is not supported; send {PROTOBUF} or {JSON}",
            JSON,
            {"Accept": f"{PROTOBUF}, {JSON}"},
        )
    body, failed = read_body(request)
    if failed is not None:
        message = json.loads(failed.content).get("error", "the body cannot be read")
        headers = {k: failed[k] for k in ("Accept-Encoding",) if failed.has_header(k)}
        return _error(failed.status_code, message, encoding, headers)
    limit = settings.INGEST_MAX_RECORDS
    try:
        if kind == "traces":
            read = decode.spans_from_protobuf if encoding == PROTOBUF else decode.spans_from_json
        else:
            read = decode.logs_from_protobuf if encoding == PROTOBUF else decode.logs_from_json
        items = read(body, limit)
    except decode.TooManyItems as exc:
        return _error(413, str(exc), encoding)
    except decode.DecodeError as exc:
        return _error(400, str(exc), encoding)
    try:
        with collector_paused():
            receive = receive_spans if kind == "traces" else receive_logs
            result = receive(token.account, items)
    except (OperationalError, InterfaceError, DatabaseError) as exc:
        # Every write of an export is its own transaction and idempotent: whatever was
        # stored before the failure is a duplicate when the exporter retries.
        log.warning("OTLP %s failed, database unavailable: %s", kind, exc)
        return _error(
            503, "the database is unavailable; retry later", encoding, {"Retry-After": "5"}
        )
    touch_token(token)
    return _answer(kind, result, encoding)


def _answer(kind, result, encoding):
    if kind == "traces":
        message = ExportTraceServiceResponse()
        if result.rejected:
            message.partial_success.rejected_spans = result.rejected
            message.partial_success.error_message = result.error_message
        json_body = {"rejectedSpans": result.rejected}
    else:
        message = ExportLogsServiceResponse()
        if result.rejected:
            message.partial_success.rejected_log_records = result.rejected
            message.partial_success.error_message = result.error_message
        json_body = {"rejectedLogRecords": result.rejected}
    if encoding == PROTOBUF:
        return HttpResponse(message.SerializeToString(), content_type=PROTOBUF)
    data = {}
    if result.rejected:
        data["partialSuccess"] = {**json_body, "errorMessage": result.error_message}
    return HttpResponse(json.dumps(data), content_type=JSON)


@csrf_exempt
@limit_bad_tokens
@require_POST
def traces(request):
    return _receive(request, "traces")


@csrf_exempt
@limit_bad_tokens
@require_POST
def logs(request):
    return _receive(request, "logs")
