"""Demo data: realistic gateway records built from a seed, and `manage.py load_demo`, which
stores them through the real ingest path with a console user demo / demo.

Each record is the spec's raw metadata object plus, optionally, the four stage payloads
(user_request, origin_request, origin_response, user_response) in each provider's own wire
format: OpenAI Chat Completions, Anthropic Messages, Gemini generateContent, and their
server-sent event streams. Nothing here but the command touches the database or the clock:
the caller passes `now` (and a rating function, for the few records the gateway rated
itself), and generation ids depend only on the seed and the record's index, so loading
twice stores nothing new.

  records.py      the entry points: build_records(count, now=…), spec_example(text)
  catalog.py      accounts, API keys, models and their providers
  scenarios.py    the conversations calls carry
  plan.py         one call decided at random: who, which model, outcome, tokens, timings
  metadata.py     a planned call as the raw metadata record (fee tokens, usage, amounts)
  stages.py       its four stages, from requests.py and responses.py (wire formats, SSE)
  management/     the load_demo command
"""
