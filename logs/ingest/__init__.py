"""The write path: a gateway's records in, validated, redacted, rated, settled and stored.

  store.py      ingest(records): one transaction a batch; the one way records are written
                (the ingest API, import_generations and load_demo all call it)
  redact.py     secrets replaced before anything is stored
  rollups.py    hourly rollups and filter choices (facets) kept as records arrive

Parsing and validating a record is logs.metadata (read_record). Nothing here imports a page
module (logs.listing, logs.detail): the import-linter contracts in pyproject.toml hold it.
"""
