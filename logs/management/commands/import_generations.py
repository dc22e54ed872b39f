import gzip
import time
import zlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing.rating import PriceBook
from logs.ingest import CREATED, DUPLICATE, REJECTED, analyze_ingested_tables, ingest
from logs.record.codec import dumps, fast_json, loads

BATCH = 1000
# What the reject file keeps of a line over INGEST_MAX_BYTES.
KEPT_OF_A_LONG_LINE = 1024


class Command(BaseCommand):
    help = (
        "Imports generations from JSONL files (optionally .gz) with the ingest API's "
        "validation and idempotency. Rejected lines go to a reject file with their errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--rejects", help="where to write rejected lines (default: FIRST_FILE.rejects.jsonl)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, files, rejects, no_progress, **options):
        paths = [Path(f) for f in files]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"FILE: {path} is not a file")
        reject_path = (
            Path(rejects) if rejects else paths[0].with_name(paths[0].name + ".rejects.jsonl")
        )
        counts = {CREATED: 0, DUPLICATE: 0, REJECTED: 0}
        started = time.monotonic()
        price_book = PriceBook()
        # A line is one record, so it gets the API's limits: a request's size, and a batch
        # no longer than a request may be.
        limit = settings.INGEST_MAX_BYTES
        batch_size = min(BATCH, settings.INGEST_MAX_RECORDS)
        total = sum(p.stat().st_size for p in paths)
        with (
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                disable=no_progress or None,
                file=self.stderr._out,
                desc="import",
            ) as bar,
            _LazyFile(reject_path) as reject_file,
        ):
            for path in paths:
                batch = []  # (line number, raw line, record)
                number = 0
                opener = gzip.open if path.suffix == ".gz" else open
                try:
                    with opener(path, "rb") as handle:
                        for number, (raw, size) in enumerate(_lines(handle, limit), start=1):
                            if path.suffix != ".gz":
                                bar.update(size)
                            if len(raw) < size:
                                counts[REJECTED] += 1
                                message = (
                                    f"the line is {size} bytes, larger than {limit} bytes "
                                    f"(INGEST_MAX_BYTES); its first {len(raw)} are kept here"
                                )
                                reject_file.write(
                                    path, number, raw, [{"field": "(line)", "message": message}]
                                )
                                continue
                            line = raw.strip()
                            if not line:
                                continue
                            try:
                                text = line.decode("utf-8")
                                # Raw JSON where the fast reader takes it, as the API does.
                                record = line if fast_json(line) else loads(text)
                                batch.append((number, line, record))
                            except (UnicodeDecodeError, ValueError) as exc:
                                counts[REJECTED] += 1
                                message = f"not valid JSON: {exc}"
                                reject_file.write(
                                    path, number, line, [{"field": "(line)", "message": message}]
                                )
                                continue
                            if len(batch) >= batch_size:
                                self._flush(batch, path, counts, reject_file, price_book)
                                batch = []
                except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                    # What was read is good: store it, as the batches before it were.
                    self._flush(batch, path, counts, reject_file, price_book)
                    raise CommandError(
                        f"{path}: not a valid gzip file after line {number} ({exc}); "
                        "the lines before it were imported"
                    ) from exc
                self._flush(batch, path, counts, reject_file, price_book)
                if path.suffix == ".gz":
                    bar.update(path.stat().st_size)
        elapsed = max(time.monotonic() - started, 1e-9)
        handled = sum(counts.values())
        summary = (
            f"Imported {handled} records from {len(paths)} file(s): {counts[CREATED]} created, "
            f"{counts[DUPLICATE]} duplicate, {counts[REJECTED]} rejected, "
            f"{handled / elapsed:,.0f} records/s"
        )
        if counts[REJECTED]:
            summary += f"; rejects in {reject_path}"
        self.stdout.write(summary)
        if counts[CREATED]:
            # Pages over what was just imported should not wait for autovacuum.
            analyze_ingested_tables()

    def _flush(self, batch, path, counts, reject_file, price_book):
        if not batch:
            return
        outcomes = ingest([record for _, _, record in batch], price_book=price_book)
        for (number, line, _), outcome in zip(batch, outcomes, strict=True):
            counts[outcome.status] += 1
            if outcome.status == REJECTED:
                reject_file.write(path, number, line, outcome.errors)


def _lines(handle, limit):
    """The file's lines as (raw, size). A line over limit bytes is never held whole: it is
    read through in pieces of at most limit bytes, and raw is only its first
    KEPT_OF_A_LONG_LINE bytes (len(raw) < size says so). readline(n) stops at n bytes,
    inflating no more than that from a .gz file, so a line with no end costs no more."""
    while raw := handle.readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw, len(raw)
            continue
        size, head = len(raw), raw[:KEPT_OF_A_LONG_LINE]
        while not raw.endswith(b"\n") and (raw := handle.readline(limit + 1)):
            size += len(raw)
        yield head, size


class _LazyFile:
    """The reject file, created only when there is something to reject."""

    def __init__(self, path):
        self.path, self.handle = path, None

    def __enter__(self):
        return self

    def write(self, source, number, line, errors):
        if self.handle is None:
            self.handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        entry = {
            "file": str(source),
            "line": number,
            "errors": errors,
            "text": line.decode("utf-8", errors="replace"),
        }
        self.handle.write(dumps(entry) + "\n")

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.close()
