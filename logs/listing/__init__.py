"""The log list page: what it filters, reads, sums and draws.

  views.py      the list page and its htmx partial, the CSV export
  filters.py    GenerationFilter: the query string's fields, validated, and the queryset
  state.py      ListState: the window, retention clip, order, cursor and search mode
  reads.py      keyset pages and the plan each read runs under (and the details' neighbours)
  summary.py    the summary strip, from the hourly rollups where they can answer
  histogram.py  the volume histogram above the rows
  buckets.py    the histogram's bucket sizes and their edges on the viewer's clock
  exports.py    CSV and JSONL exports of the list's rows, read in keyset chunks

Nothing here imports the write path.
"""
