"""The JSON API: raw metadata out (GET /api/v1/generation) and records in
(POST /api/v1/generations). Bearer tokens, JSON errors that name the field."""

import functools
import logging
import zlib

import msgspec
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from billing.models import Account
from billing.team.permissions import allowed_accounts
from zenlogs.lockout import client_address

from .ingest import CREATED, DUPLICATE, REJECTED, collector_paused, ingest
from .ingest.batch import TooManyRecords, line_number, load_records, ndjson_lines, split_records
from .models import ApiToken, BadTokenMinute, Generation, IngestToken
from .openapi import openapi_document
from .record.codec import JSONDepthError, dumps, fast_json, loads
from .record.raw import to_raw_metadata

log = logging.getLogger(__name__)

# Content codings POST /api/v1/generations takes; any other is 415.
_ENCODINGS = ("gzip", "identity")
# Compressed input is read and fed to the inflater a megabyte at a time.
_GZIP_CHUNK = 1024 * 1024


def json_response(data, status=200, headers=None, indent=None):
    response = HttpResponse(
        dumps(data, indent=indent), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(status, message, **extra):
    return json_response({"error": message, **extra}, status=status)


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(message):
    response = _error(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="zenlogs"'
    return response


def limit_bad_tokens(view):
    """Counts the view's 401s (a missing, invalid or revoked token) per client address, and
    answers 429 instead of 401 once an address reached API_BAD_TOKEN_LIMIT this minute.

    Only unrecognized tokens are counted and refused: a valid token always goes through,
    whatever else its address sent. Tokens are 256-bit random, so refusing a valid one
    protects nothing, and behind a proxy every client shares one address: anyone could stop
    ingestion with twenty bad requests a minute. The view runs first (its token lookup is
    one indexed read, and a bad token is refused before the body is read), so a valid token
    costs no read of the limit at all."""

    @functools.wraps(view)
    def limited(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 401:
            return response
        address = client_address(request)
        retry_after = BadTokenMinute.objects.retry_after(address)
        if retry_after:
            return json_response(
                {"error": f"too many bad tokens from your address; retry in {retry_after} s"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        BadTokenMinute.objects.count_failure(address)
        return response

    return limited


def touch_token(token):
    # Last use to the minute is enough, and saves a write per request.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)


@limit_bad_tokens
@require_GET
def generation_detail(request):
    raw = bearer_token(request)
    if raw:
        token = ApiToken.objects.matching(raw).select_related("user").first()
        if token is None or not token.user.is_active:
            return _unauthorized("invalid or revoked token")
        user = token.user
        touch_token(token)
        # A personal token reads only where its owner's role still allows one: a member
        # demoted to viewer keeps nothing the token could read.
        accounts = allowed_accounts(user, "personal_tokens")
    elif request.user.is_authenticated:
        user = request.user
        accounts = Account.objects.for_user(user)
    else:
        return _unauthorized("authentication required: send Authorization: Bearer <token>")
    generation_id = request.GET.get("id", "").strip()
    if not generation_id:
        return _error(400, "id: is required", field="id")
    generation = (
        Generation.objects.public_id(generation_id, accounts=accounts)
        .select_related("account", "api_key")
        .with_rating()
        .first()
    )
    if generation is None:
        return _error(404, f"no generation {generation_id!r} in your accounts")
    # Indented exactly as the details page shows and copies it: one text everywhere.
    return json_response(to_raw_metadata(generation), indent=2)


@require_safe
def openapi_json(request):
    """The OpenAPI description of this API: public, the same for everyone, so cacheable."""
    response = json_response(openapi_document(), indent=2)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _too_large(what):
    limit = settings.INGEST_MAX_BYTES
    return _error(413, f"{what} is larger than {limit} bytes; send smaller batches", limit=limit)


def read_body(request):
    """The request body, inflated when it is gzip, never read or inflated past
    INGEST_MAX_BYTES. Returns (body, None) or (None, error response).

    It reads request's stream, not request.body: request.body reads the whole body before
    anyone can look at its size, and beyond DATA_UPLOAD_MAX_MEMORY_SIZE raises Django's
    RequestDataTooBig, an HTML 400, where gateways were promised a JSON 413."""
    header = request.headers.get("Content-Encoding", "")
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if codings not in ([], ["gzip"], ["x-gzip"]):
        response = _error(
            415,
            f"Content-Encoding {header!r} is not supported; send gzip or identity",
            supported=list(_ENCODINGS),
        )
        # RFC 7694: a 415 for a content coding says which codings would do.
        response["Accept-Encoding"] = ", ".join(_ENCODINGS)
        return None, response
    limit = settings.INGEST_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # as Django reads it: no body
    if declared > limit:
        # Refused unread. With gzip this is the compressed size: a batch that big inflates
        # past the limit anyway (only random bytes grow, by a few bytes), and bounding it
        # bounds both sides of the inflater.
        return None, _too_large("the request body")
    stream = _body_stream(request)
    if codings:
        return _inflate(stream, limit)
    body = _read_up_to(stream, limit + 1)
    if len(body) > limit:
        return None, _too_large("the request body")
    return body, None


def _body_stream(request):
    """What the body is read from. Django's stream ends at Content-Length, which a chunked
    request has none of, so its body would read as empty: gunicorn has already decoded the
    chunks, and its wsgi.input ends where the body does. Either way the readers below stop
    at the limit."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        return request.META["wsgi.input"]
    return request


def _read_up_to(stream, size):
    """At most size bytes of the body. Each read asks for all that is left: Django's stream
    stops at Content-Length, so a body usually arrives in one piece, and b"".join of one
    piece is that piece, not a copy."""
    chunks, read = [], 0
    while read < size:
        data = stream.read(size - read)
        if not data:
            break
        chunks.append(data)
        read += len(data)
    return b"".join(chunks)


def _inflate(stream, limit):
    """Inflates a gzip body chunk by chunk, asking zlib for no more than the limit allows,
    so a zip bomb costs at most the limit. Concatenated members inflate one after another,
    zero padding after a member is skipped, as Python's gzip reads them."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pieces, inflated, compressed = [], 0, 0
    while True:
        data = stream.read(min(_GZIP_CHUNK, limit + 1 - compressed))
        if not data:
            break
        compressed += len(data)
        if compressed > limit:
            return None, _too_large("the compressed request body")
        while data:
            if inflater is None:
                data = data.lstrip(b"\0")
                if not data:
                    break
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                # max_length is at least 1 here; 0 would mean no limit.
                piece = inflater.decompress(data, limit + 1 - inflated)
            except zlib.error as exc:
                return None, _error(400, f"the request body is not valid gzip: {exc}")
            pieces.append(piece)
            inflated += len(piece)
            if inflated > limit:
                return None, _too_large("the decompressed request body")
            if inflater.eof:
                data, inflater = inflater.unused_data, None
            else:
                data = inflater.unconsumed_tail
    if inflater is not None and compressed:
        # A member that started but never reached its end (and its checksum).
        return None, _error(400, "the request body is not valid gzip: it ends too early")
    return b"".join(pieces), None


def _read_records(request):
    """The request body as a list of records: one object, an array, or NDJSON.
    Returns (records, None) or (None, error response)."""
    body, error = read_body(request)
    if error:
        return None, error
    # isspace, not strip: no copy of a 50 MB body to look at its first bytes.
    if not body or body.isspace():
        return None, _error(400, "the request body is empty; send a JSON object or array")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _error(400, f"the request body is not UTF-8 (byte {exc.start})")
    content_type = request.content_type or ""
    limit = settings.INGEST_MAX_RECORDS
    # Records stay raw JSON bytes where the fast reader takes them (ingest parses each once,
    # keeping stage bodies as text); anything it refuses is parsed here by the standard
    # reader, whose error messages we report. Both count records as they go and stop past
    # the limit: a 19 KB gzip body of `[1,1,1,…]` is ten million of them.
    try:
        if content_type in ("application/x-ndjson", "application/jsonl"):
            records = []
            for at, line in ndjson_lines(body, limit):
                if fast_json(line):
                    records.append(line)
                    continue
                try:
                    records.append(loads(line.decode()))
                except ValueError as exc:
                    number = line_number(body, at)
                    return None, _error(400, f"line {number}: not valid JSON: {exc}")
        else:
            records = split_records(body, limit)
            if records is None:
                records = load_records(text, limit)
    except TooManyRecords as exc:
        return None, _error(413, str(exc), limit=exc.limit)
    except JSONDepthError as exc:
        return None, _error(400, f"the request body is nested too deeply: {exc}")
    except ValueError as exc:
        return None, _error(400, f"the request body is not valid JSON: {exc}")
    return records, None


@csrf_exempt
@limit_bad_tokens
@require_POST
def generations_ingest(request):
    token = IngestToken.objects.matching(bearer_token(request)).select_related("account").first()
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
        # An account's token stores in its account, whatever the records say.
        account_id = token.account.external_id if token.account is not None else None
        outcomes = ingest(records, account_id=account_id)
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
    touch_token(token)
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
