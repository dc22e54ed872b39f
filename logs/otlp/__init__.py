"""The OTLP/HTTP receiver: traces and logs from any OpenTelemetry-instrumented app or
gateway, their GenAI model calls stored as generations through the same write path as a
gateway's records (validation, limits, redaction, rating, idempotency, search).

  views.py     POST /v1/traces and POST /v1/logs: token, encoding, body, OTLP answers
  decode.py    protobuf (opentelemetry-proto) and OTLP/JSON bodies as plain spans and log
               records
  mapping.py   a GenAI span as a generation record (today's and the legacy attribute
               names), and the conversation a span or log record carries
  receive.py   an export stored: spans through logs.ingest, the log record's conversation
               joined to its span whichever arrives first (PendingOtelLog)

Generation ids are `otel-<traceId>-<spanId>`, so a re-sent export is a duplicate. OTLP
traffic is rated by the price table but never settled against wallets (an estimate). Part of
the write path: nothing here imports a page (import-linter contracts in pyproject.toml).
"""
