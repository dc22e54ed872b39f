"""The JSON API: raw metadata out (GET /api/v1/generation) and records in
(POST /api/v1/generations). Bearer tokens, JSON errors that name the field."""

import logging

import msgspec
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .ingest import CREATED, DUPLICATE, REJECTED, collector_paused, ingest
from .metadata import (
    JSONDepthError,
    dumps,
    fast_json,
    loads,
    split_records,
    to_raw_metadata,
)
from .models import ApiToken, Generation, IngestToken

log = logging.getLogger(__name__)


def json_response(data, status=200, headers=None, indent=None):
    response = HttpResponse(
        dumps(data, indent=indent), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(status, message, **extra):
    return json_response({"error": message, **extra}, status=status)


def _bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(message):
    response = _error(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="zenlogs"'
    return response


def _touch(token):
    # Last use to the minute is enough, and saves a write per request.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)


@require_GET
def generation_detail(request):
    raw = _bearer(request)
    if raw:
        token = ApiToken.objects.matching(raw).select_related("user").first()
        if token is None or not token.user.is_active:
            return _unauthorized("invalid or revoked token")
        user = token.user
        _touch(token)
    elif request.user.is_authenticated:
        user = request.user
    else:
        return _unauthorized("authentication required: send Authorization: Bearer <token>")
    generation_id = request.GET.get("id", "").strip()
    if not generation_id:
        return _error(400, "id: is required", field="id")
    generation = (
        Generation.objects.for_user(user)
        .select_related("account", "api_key", "rating")
        .filter(generation_id=generation_id)
        .first()
    )
    if generation is None:
        return _error(404, f"no generation {generation_id!r} in your accounts")
    # Indented exactly as the details page shows and copies it: one text everywhere.
    return json_response(to_raw_metadata(generation), indent=2)


def _read_records(request):
    """The request body as a list of records: one object, an array, or NDJSON.
    Returns (records, None) or (None, error response)."""
    body = request.body
    if not body.strip():
        return None, _error(400, "the request body is empty; send a JSON object or array")
    if len(body) > settings.INGEST_MAX_BYTES:
        return None, _error(
            413,
            f"the request body is larger than {settings.INGEST_MAX_BYTES} "
            "bytes; send smaller batches",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _error(400, f"the request body is not UTF-8 (byte {exc.start})")
    content_type = request.content_type or ""
    # Records stay raw JSON bytes where the fast reader takes them (ingest parses each once,
    # keeping stage bodies as text); anything it refuses is parsed here by the standard
    # reader, whose error messages we report.
    try:
        if content_type in ("application/x-ndjson", "application/jsonl"):
            records = []
            # bytes.splitlines splits at \n and \r only, never inside a JSON string.
            for number, line in enumerate(body.splitlines(), start=1):
                if not line.strip():
                    continue
                if fast_json(line):
                    records.append(line)
                    continue
                try:
                    records.append(loads(line.decode()))
                except ValueError as exc:
                    return None, _error(400, f"line {number}: not valid JSON: {exc}")
        else:
            records = split_records(body)
            if records is None:
                value = loads(text)
                records = value if isinstance(value, list) else [value]
    except JSONDepthError as exc:
        return None, _error(400, f"the request body is nested too deeply: {exc}")
    except ValueError as exc:
        return None, _error(400, f"the request body is not valid JSON: {exc}")
    if len(records) > settings.INGEST_MAX_RECORDS:
        return None, _error(
            413,
            f"{len(records)} records in one request; the limit is {settings.INGEST_MAX_RECORDS}",
        )
    return records, None


@csrf_exempt
@require_POST
def generations_ingest(request):
    token = IngestToken.objects.matching(_bearer(request)).first()
    if token is None:
        return _unauthorized("an ingest token is required: Authorization: Bearer zl_ingest_…")
    # Reading the batch and writing ten thousand outcomes allocate as much as storing it.
    with collector_paused():
        return _ingest_batch(request, token)


def _ingest_batch(request, token):
    records, error = _read_records(request)
    if error:
        return error
    if not records:
        return _error(400, "the request holds no records")
    try:
        outcomes = ingest(records)
    except (OperationalError, InterfaceError) as exc:
        # The transaction rolled back, so nothing is half-written; the gateway retries.
        log.warning("ingest failed, database unavailable: %s", exc)
        return json_response(
            {"error": "the database is unavailable; retry later"},
            status=503,
            headers={"Retry-After": "5"},
        )
    except DatabaseError:
        log.exception("ingest failed")
        return json_response(
            {"error": "storing the records failed; retry later"},
            status=503,
            headers={"Retry-After": "5"},
        )
    _touch(token)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in (CREATED, DUPLICATE, REJECTED)}
    if counts[REJECTED] == 0:
        status = 200
    elif counts[REJECTED] == len(outcomes):
        status = 400
    else:
        status = 207
    body = {**counts, "results": [o.as_dict() for o in outcomes]}
    if status == 400 and len(outcomes) == 1:
        # A single rejected record: put its first error up front, naming the field.
        first = outcomes[0].errors[0]
        body["error"] = f"{first['field']}: {first['message']}"
    # msgspec: ten thousand outcomes are written in a fraction of simplejson's time, and
    # they hold no Decimal.
    return HttpResponse(msgspec.json.encode(body), status=status, content_type="application/json")
