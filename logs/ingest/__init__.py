"""The write path: a gateway's records in, validated, redacted, rated, settled and stored.

  store.py      ingest(records): one transaction a batch; the one way records are written
                (the ingest API, import_generations and load_demo all call it)
  batch.py      a request body as its records: a JSON array or object, or NDJSON lines
  parse.py      read_record / parse_record: one record validated into a ParsedRecord, or the
                errors naming each refused field; its content hash
  checks.py     the field checks parse.py runs (strings, integers, decimals, numbers kept raw)
  stages.py     a record's stages in their stored form, bodies kept as the text we store
  redact.py     secrets replaced before anything is stored
  rollups.py    hourly rollups and filter choices (facets) kept as records arrive
  attach.py     stages that arrive after their generation (an OTLP span's conversation,
                logs.otlp), added only where the generation has none

What a record is as data (the JSON codec, the field limits, the raw metadata object written
back out) is logs.record, below both this package and the pages. Nothing here imports a page
module (logs.listing, logs.detail, logs.templatetags): the import-linter contracts
in pyproject.toml hold it.
"""

from .parse import read_record  # noqa: F401
from .store import (  # noqa: F401
    CREATED,
    DUPLICATE,
    REJECTED,
    analyze_ingested_tables,
    collector_paused,
    ingest,
)
