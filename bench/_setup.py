"""What every bench script does first: put the project on the path, set Django up the way
production runs (no DEBUG query log), and summarise timings the same way."""

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zenlogs.settings")
os.environ.setdefault("DEBUG", "1")  # only so SECRET_KEY may be absent

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
settings.DEBUG = False  # no query log, no debug overhead: measure what production does


def median_p95(samples):
    """(median, p95) of timings, dropping the first run, which warms caches and connections."""
    samples = sorted(samples[1:])
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * (len(samples) - 1)))
    ]
