"""The details page of one generation: its four stages, Pretty and JSON.

  views.py      the details page, raw stage downloads; its neighbours by logs.listing.reads
  sections.py   which stage each panel shows, bounded bodies, the parsed conversation
  highlight.py  Pygments highlighting in bounded time, and Markdown code fences
  markdown.py   message text that is Markdown, parsed, sanitized and marked, in bounded time
  curl.py       "Copy as cURL" of the user's request, the key as a placeholder

Nothing here imports the write path.
"""
