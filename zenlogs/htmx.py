"""The htmx side of a console page: one URL serves both the full page and its partial."""

from django.shortcuts import render


def render_page_or_partial(request, template, partial, context, status=200):
    """The page, or only its `partial` (a partialdef of `template`) for an htmx request. A
    history restore (htmx lost its cache of the page) gets the whole page, as any URL pushed
    into history must."""
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)
