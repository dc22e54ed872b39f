"""A generation's record as data: what the write path (logs.ingest) and the pages (logs.listing,
logs.detail, templatetags) both need, below both of them.

  codec.py      JSON text in and out: dumps and loads with Decimals (never floats), the guards
                against hostile documents (JSONDepthError, check_depth, json_depth, numbers
                too long to read, UNSTORABLE characters), fast_json
  values.py     the field limits (ID_RE, SLUG_RE, MAX_INT, MAX_MONEY, MAX_THROUGHPUT,
                MAX_TOKENS, MIN_CREATED_AT / MAX_CREATED_AT, in_date_range, STAGE_KEYS) and
                how values are written (amount_string, plain_number, format_created_at)
  raw.py        to_raw_metadata: a stored generation as the spec's raw metadata object
  schema.py     the record's JSON Schemas, in (Record) and out (RawMetadata), for the OpenAPI
                document (logs/openapi.py)

Reading and validating an incoming record is the write path's (logs.ingest.parse). Nothing
here imports logs.ingest or a page module.
"""
