"""Answers shared by the apps' views."""

from django.http import HttpResponseBadRequest


def invalid_form(message, form):
    """400 in plain text for a request a form refused: `message` (translated, with
    %(errors)s) holding each field's errors as "name: what is wrong; other: ...", so the
    answer names every field at fault. For requests no page answers (a switcher's POST, an
    export's download)."""
    errors = "; ".join(f"{name}: {' '.join(found)}" for name, found in form.errors.items())
    return HttpResponseBadRequest(
        message % {"errors": errors} + "\n", content_type="text/plain; charset=utf-8"
    )
