"""POST /api/v1/generations under its limits: 413 as JSON whatever the size, the body never
read past INGEST_MAX_BYTES (chunked bodies too), gzip batches inflated no further than the
limit, records counted as they are parsed and never built past INGEST_MAX_RECORDS, 415 for
codings it does not take; and import_generations holding no line over the limit."""

import gzip
import io
import json
import os
import tracemalloc
import zlib

import pytest
from django.core.management import CommandError, call_command

from logs.models import Generation
from tests.factories import make_record

pytestmark = pytest.mark.django_db

URL = "/api/v1/generations"


def _post(client, token, body, content_type="application/json", **extra):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return client.post(
        URL, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}", **extra
    )


def _post_gzip(client, token, body, content_type="application/json"):
    return _post(client, token, body, content_type, HTTP_CONTENT_ENCODING="gzip")


def _ndjson(records):
    return "".join(json.dumps(r) + "\n" for r in records).encode()


class _Unreadable:
    """A wsgi.input that fails the test if the view reads any of it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


@pytest.fixture(scope="session")
def zip_bomb():
    """100 MB of zeros, gzip-compressed to about 100 KB, built without holding 100 MB."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [deflater.compress(zeros) for _ in range(100)]
    return b"".join([*parts, deflater.flush()])


@pytest.fixture
def inflated_sizes(monkeypatch):
    """The length of every piece zlib inflates for the API, through a spy on decompressobj."""
    sizes = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, *args, **kwargs):
            self._real = real(*args, **kwargs)

        def decompress(self, data, max_length=0):
            piece = self._real.decompress(data, max_length)
            sizes.append(len(piece))
            return piece

        def __getattr__(self, name):
            return getattr(self._real, name)

    monkeypatch.setattr("logs.api.zlib.decompressobj", Spy)
    return sizes


# ------------------------------------------------------------------------- size limits


def test_a_body_over_the_limit_is_413_as_json_naming_the_limit(client, ingest_token, settings):
    settings.INGEST_MAX_BYTES = 2048
    # Smaller than the body too: Django's own check must not answer first with an HTML 400.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = _post(client, ingest_token, [make_record() for _ in range(10)])
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["limit"] == 2048
    assert "larger than 2048 bytes" in response.json()["error"]
    assert Generation.objects.count() == 0


def test_a_declared_length_over_the_limit_is_413_without_reading_the_body(client, ingest_token):
    response = client.post(
        URL,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ingest_token}",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "the request body is larger than 52428800 bytes; send smaller batches",
        "limit": 52428800,
    }


def test_the_token_is_checked_before_the_size(client):
    response = client.post(
        URL,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer zl_ingest_wrong",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 401


def test_a_batch_over_djangos_upload_limit_but_within_the_apis_is_stored(
    client, ingest_token, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    records = [make_record() for _ in range(10)]
    response = _post(client, ingest_token, records)
    assert response.status_code == 200
    assert response.json()["created"] == 10


def test_a_body_of_exactly_the_limit_is_read(client, ingest_token, settings):
    settings.INGEST_MAX_BYTES = 2048
    body = json.dumps(make_record()).encode()
    body += b" " * (2048 - len(body))
    assert _post(client, ingest_token, body).status_code == 200


def test_the_record_limit_counts_the_decompressed_records(client, ingest_token, settings):
    settings.INGEST_MAX_RECORDS = 2
    body = gzip.compress(_ndjson([make_record() for _ in range(3)]))
    response = _post_gzip(client, ingest_token, body, "application/x-ndjson")
    assert response.status_code == 413
    assert response.json()["limit"] == 2
    assert "limit is 2" in response.json()["error"]


# ------------------------------------------- counted while parsing: stop at the limit

# Two million elements: 4 MB of body, ~200 MB of Python objects had each been built.
MANY = 2_000_000


def _peak_mb(call):
    """(result, peak MB of Python allocations during the call). Generous bounds on it stand
    for "built no more than the limit's worth": the body itself is a few MB."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_an_array_past_the_record_limit_is_413_having_built_no_more_than_the_limit(
    client, ingest_token
):
    # The body at a fifth of its size: [1,1,1,…] gzip-compressed to a few KB.
    body = gzip.compress(b"[" + b"1," * MANY + b"1]")
    response, peak = _peak_mb(lambda: _post_gzip(client, ingest_token, body))
    assert response.status_code == 413
    assert response.json() == {
        "error": "more than 10000 records in one request; the limit is 10000",
        "limit": 10000,
    }
    assert peak < 30


def test_ndjson_past_the_record_limit_is_413_having_built_no_more_than_the_limit(
    client, ingest_token
):
    body = b"1\n" * MANY
    response, peak = _peak_mb(lambda: _post(client, ingest_token, body, "application/x-ndjson"))
    assert response.status_code == 413
    assert response.json()["limit"] == 10000
    assert peak < 30


def test_an_array_the_fast_reader_refuses_is_counted_as_it_is_parsed(client, ingest_token):
    # NaN sends the body to the standard parser, which now stops at the limit too.
    body = b"[NaN," + b"1.5," * MANY + b"1.5]"
    response, peak = _peak_mb(lambda: _post(client, ingest_token, body))
    assert response.status_code == 413
    assert response.json()["limit"] == 10000
    assert peak < 60


def test_the_standard_parser_reports_a_bad_array_as_json_does(client, ingest_token):
    record = json.dumps(make_record())
    for body, message in [
        (f"[NaN, {record} {record}]", "Expecting ',' delimiter: line 1 column"),
        (f"[{record}] x", "Extra data: line 1 column"),
        ("[NaN,", "Expecting value: line 1 column 6 (char 5)"),
    ]:
        response = _post(client, ingest_token, body.encode())
        assert response.status_code == 400
        assert message in response.json()["error"]


def test_a_record_that_is_a_huge_array_is_refused_unread(client, ingest_token):
    body = b"[" + json.dumps(make_record()).encode() + b", [" + b"1.5," * MANY + b"1.5]]"
    response, peak = _peak_mb(lambda: _post(client, ingest_token, body))
    assert response.status_code == 207
    assert response.json()["results"][1]["errors"] == [
        {"field": "(record)", "message": "must be a JSON object, got an array"}
    ]
    # A few copies of the 8 MB body; its two million Decimals were ~200 MB more.
    assert peak < 80


def test_import_refuses_a_line_that_is_a_huge_array_unread(db, tmp_path):
    path = tmp_path / "array.jsonl"
    path.write_bytes(_ndjson([make_record()]) + b"[" + b"1.5," * MANY + b"1.5]\n")
    out, peak = _peak_mb(lambda: _import(str(path), "--rejects", str(tmp_path / "r.jsonl")))
    assert "1 created, 0 duplicate, 1 rejected" in out
    assert peak < 80


# ----------------------------------------------------------------------------- chunked


def _post_chunked(client, token, wsgi_input, **extra):
    """A chunked request as gunicorn hands it over: no CONTENT_LENGTH, the chunks decoded."""
    return client.post(
        URL,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **{"wsgi.input": wsgi_input},
        **extra,
    )


class _Endless:
    """A chunked body that never ends; counts what the view read of it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        assert 0 < size <= 64 * 1024 * 1024, "an unbounded read"
        self.read_bytes += size
        return b" " * size

    readline = read


def test_a_chunked_body_is_read_and_stored(client, ingest_token):
    records = [make_record() for _ in range(3)]
    response = _post_chunked(client, ingest_token, io.BytesIO(json.dumps(records).encode()))
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 3


def test_a_chunked_gzip_body_is_inflated_and_stored(client, ingest_token):
    body = gzip.compress(json.dumps([make_record(), make_record()]).encode())
    response = _post_chunked(client, ingest_token, io.BytesIO(body), HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_chunked_body_without_end_is_413_read_no_further_than_the_limit(
    client, ingest_token, settings, encoding
):
    settings.INGEST_MAX_BYTES = 4096
    endless = _Endless()
    response = _post_chunked(client, ingest_token, endless, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 413
    assert response.json()["limit"] == 4096
    assert endless.read_bytes <= 4097


def test_a_chunked_request_through_gunicorns_parser_is_stored(ingest_token):
    """The HTTP bytes a client sends, parsed by gunicorn as its workers do, and the environ
    it makes handed to Django: gunicorn decodes the chunks and sets no CONTENT_LENGTH."""
    from django.test.client import ClientHandler
    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    body = json.dumps([make_record(), make_record()]).encode()
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    raw = (
        b"POST /api/v1/generations HTTP/1.1\r\nHost: testserver\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + f"Authorization: Bearer {ingest_token}\r\n\r\n".encode()
        + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
        + b"0\r\n\r\n"
    )
    config = Config()
    request = next(RequestParser(config, iter([raw]), ("127.0.0.1", 50000)))
    _, environ = wsgi.create(request, None, ("127.0.0.1", 50000), ("127.0.0.1", 8000), config)
    assert "CONTENT_LENGTH" not in environ
    response = ClientHandler()(environ)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["created"] == 2
    assert Generation.objects.count() == 2


# -------------------------------------------------------------------------------- gzip


def test_a_gzip_batch_is_stored_as_the_same_batch_sent_plain(client, ingest_token):
    records = [make_record() for _ in range(3)]
    body = json.dumps(records).encode()
    zipped = _post_gzip(client, ingest_token, gzip.compress(body))
    plain = _post(client, ingest_token, body)
    assert zipped.status_code == 200
    assert zipped.json()["created"] == 3
    # The same content hash: the plain batch finds every record stored, identical.
    assert [(r["status"], r["contentDiffers"]) for r in plain.json()["results"]] == [
        ("duplicate", False)
    ] * 3


def test_gzip_ndjson_is_accepted(client, ingest_token):
    body = gzip.compress(_ndjson([make_record() for _ in range(3)]))
    response = _post_gzip(client, ingest_token, body, "application/x-ndjson")
    assert response.status_code == 200
    assert response.json()["created"] == 3


def test_concatenated_gzip_members_are_one_body_as_gzip_reads_them(client, ingest_token):
    first, second = _ndjson([make_record()]), _ndjson([make_record()])
    # Zero padding after a member is allowed, as Python's gzip allows it.
    body = gzip.compress(first) + gzip.compress(second) + b"\0\0\0"
    assert gzip.decompress(body) == first + second
    response = _post_gzip(client, ingest_token, body, "application/x-ndjson")
    assert response.status_code == 200
    assert response.json()["created"] == 2


def test_identity_and_x_gzip_are_understood(client, ingest_token):
    plain = _post(client, ingest_token, make_record(), HTTP_CONTENT_ENCODING="identity")
    zipped = _post(
        client,
        ingest_token,
        gzip.compress(json.dumps(make_record()).encode()),
        HTTP_CONTENT_ENCODING="x-gzip",
    )
    assert (plain.status_code, zipped.status_code) == (200, 200)


def test_a_zip_bomb_is_413_after_inflating_no_more_than_the_limit(
    client, ingest_token, settings, zip_bomb, inflated_sizes
):
    limit = settings.INGEST_MAX_BYTES = 1024 * 1024
    assert len(zip_bomb) < limit
    response = _post_gzip(client, ingest_token, zip_bomb)
    assert response.status_code == 413
    assert response.json()["limit"] == limit
    assert "decompressed request body is larger than 1048576 bytes" in response.json()["error"]
    assert sum(inflated_sizes) <= limit + 1


def test_a_compressed_body_over_the_limit_is_413(client, ingest_token, settings):
    settings.INGEST_MAX_BYTES = 2048
    incompressible = gzip.compress(os.urandom(4096))
    response = _post_gzip(client, ingest_token, incompressible)
    assert response.status_code == 413
    assert response.json()["limit"] == 2048


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, gzip"])
def test_an_unknown_content_encoding_is_415_naming_the_supported_ones(
    client, ingest_token, encoding
):
    response = _post(client, ingest_token, b"\x1f\x8b", HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 415
    assert response.json()["supported"] == ["gzip", "identity"]
    assert response["Accept-Encoding"] == "gzip, identity"


def test_an_unknown_encoding_without_a_token_is_401(client):
    response = client.post(URL, b"{}", content_type="application/json", HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 401


def _corrupt_crc():
    body = bytearray(gzip.compress(json.dumps(make_record()).encode()))
    body[-8] ^= 0xFF  # the CRC-32 in the trailer
    return bytes(body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"not": "gzip"}', id="bad header"),
        pytest.param(gzip.compress(b'[{"generationId": "X"}]')[:-12], id="truncated"),
        pytest.param(gzip.compress(b'[{"generationId": "X"}]')[:5], id="header only"),
        pytest.param(_corrupt_crc(), id="crc error"),
        pytest.param(gzip.compress(b"[]") + b"garbage", id="garbage after a member"),
    ],
)
def test_a_corrupt_gzip_body_is_400_as_json(client, ingest_token, body):
    response = _post_gzip(client, ingest_token, body)
    assert response.status_code == 400
    assert "not valid gzip" in response.json()["error"]
    assert Generation.objects.count() == 0


def test_an_empty_gzip_body_is_400_empty(client, ingest_token):
    response = _post_gzip(client, ingest_token, gzip.compress(b"  \n"))
    assert response.status_code == 400
    assert "empty" in response.json()["error"]


# ------------------------------------------------------------------- import_generations


def _import(*args):
    out = io.StringIO()
    call_command("import_generations", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_rejects_a_gz_line_over_the_limit_without_holding_it(
    db, tmp_path, settings, monkeypatch
):
    settings.INGEST_MAX_BYTES = 2048
    before, after = make_record(), make_record()
    long_line = json.dumps(make_record(padding="x" * 5_000_000)).encode()
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress(_ndjson([before]) + long_line + b"\n" + _ndjson([after])))
    read = []
    real_readline = gzip.GzipFile.readline

    def spy(self, size=-1):
        line = real_readline(self, size)
        read.append(len(line))
        return line

    monkeypatch.setattr(gzip.GzipFile, "readline", spy)
    out = _import(str(path))
    assert "2 created, 0 duplicate, 1 rejected" in out
    assert max(read) <= 2049
    [reject] = [json.loads(line) for line in (tmp_path / "big.jsonl.gz.rejects.jsonl").open()]
    assert reject["line"] == 2
    assert (
        f"the line is {len(long_line) + 1} bytes, larger than 2048"
        in (reject["errors"][0]["message"])
    )
    assert reject["text"] == long_line[:1024].decode()
    assert set(Generation.objects.values_list("generation_id", flat=True)) == {
        before["generationId"],
        after["generationId"],
    }


def test_import_of_a_gz_line_with_no_end_stops_at_the_limit(db, tmp_path, settings):
    settings.INGEST_MAX_BYTES = 4096
    path = tmp_path / "bomb.jsonl.gz"
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [deflater.compress(b"x" * 1024 * 1024) for _ in range(20)]
    path.write_bytes(b"".join([*parts, deflater.flush()]))
    out = _import(str(path))
    assert "0 created, 0 duplicate, 1 rejected" in out


def test_import_batches_are_no_larger_than_a_request_may_be(db, tmp_path, settings, monkeypatch):
    settings.INGEST_MAX_RECORDS = 2
    from logs.management.commands import import_generations

    sizes = []
    real_ingest = import_generations.ingest

    def spy(records, **kwargs):
        sizes.append(len(records))
        return real_ingest(records, **kwargs)

    monkeypatch.setattr(import_generations, "ingest", spy)
    path = tmp_path / "five.jsonl"
    path.write_bytes(_ndjson([make_record() for _ in range(5)]))
    assert "5 created" in _import(str(path))
    assert sizes == [2, 2, 1]


def test_import_of_a_damaged_gz_file_names_it_and_keeps_what_came_before(db, tmp_path):
    records = [make_record() for _ in range(3)]
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(gzip.compress(_ndjson(records)) + b"not gzip")
    with pytest.raises(CommandError, match="damaged.jsonl.gz: not a valid gzip file after line 3"):
        _import(str(path))
    assert Generation.objects.count() == 3


def test_import_refuses_a_huge_number_by_name_as_the_api_does(db, tmp_path):
    path = tmp_path / "numbers.jsonl"
    line = json.dumps(make_record(latency=0)).replace('"latency": 0', '"latency": 1e500000')
    path.write_text(line + "\n")
    assert "0 created, 0 duplicate, 1 rejected" in _import(str(path))
    [reject] = [json.loads(r) for r in (tmp_path / "numbers.jsonl.rejects.jsonl").open()]
    assert reject["errors"][0]["field"] == "latency"
    assert "too long or too large a number" in reject["errors"][0]["message"]
