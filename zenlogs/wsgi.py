import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zenlogs.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their models) lives as long as the process: kept
# out of the cycle collector's full passes, which otherwise rescan all of it every few
# requests (some 100,000 objects, tens of ms a pass; an OTLP export allocates enough to
# set one off every few batches, bench/README.md).
gc.freeze()
