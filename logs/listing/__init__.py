"""The log list page: what it filters, reads, sums and draws.

  filters.py    GenerationFilter: the query string's fields, validated, and the queryset
  summary.py    the summary strip, from the hourly rollups where they can answer
  histogram.py  the volume histogram above the rows
  buckets.py    the histogram's bucket sizes and their edges on the viewer's clock
  exports.py    CSV and JSONL exports of the list's rows, read in keyset chunks

The view itself is logs.views.generation_list. Nothing here imports the write path.
"""
