"""The site's URLs plus views that fail on purpose, for tests/site/test_error_pages.py and the
error pages' browser test (@pytest.mark.urls("tests.site.error_urls"))."""

from django.core.exceptions import PermissionDenied
from django.db import ProgrammingError
from django.urls import path

from zenlogs.urls import handler500
from zenlogs.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def fails(request):
    raise RuntimeError("a bug")


def fails_in_the_database(request):
    # A database error that is a bug (a query that cannot run), not an outage: still a 500.
    raise ProgrammingError("relation does not exist")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("test-errors/500/", fails),
    path("test-errors/500-database/", fails_in_the_database),
    path("test-errors/403/", forbidden),
    *site_urlpatterns,
]
