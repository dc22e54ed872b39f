from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.accounts import current_account

from .filters import RANGE_LABELS, Cursor, GenerationFilter
from .metadata import dumps, to_raw_metadata
from .models import Generation, Stage, StagePayload
from .summary import capped_count, summarize


def _page(queryset, cursor, size):
    """One keyset page, newest first: (rows, newer_cursor, older_cursor). Reads size + 1 rows
    to learn whether another page exists, so there is no COUNT and no OFFSET."""
    rows_qs = queryset.for_list().select_related("rating").prefetch_related("rating__details")
    if cursor is not None and cursor.direction == "n":
        rows = list(
            rows_qs.newer_than(cursor.created_at, cursor.pk).order_by("created_at", "id")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size][::-1]
            return rows, Cursor.after(rows[0], "n"), Cursor.after(rows[-1], "o")
        cursor = None  # reached the head: show the newest page, whole
    if cursor is not None:
        rows_qs = rows_qs.older_than(cursor.created_at, cursor.pk)
    rows = list(rows_qs.newest_first()[: size + 1])
    older = Cursor.after(rows[size - 1], "o") if len(rows) > size else None
    rows = rows[:size]
    newer = Cursor.after(rows[0], "n") if cursor is not None and rows else None
    return rows, newer, older


@login_required
def generation_list(request):
    account = current_account(request)
    generations = Generation.objects.for_account(account)
    filterset = GenerationFilter(request.GET, account=account, queryset=generations)
    context = {"filter": filterset, "account": account, "range_labels": RANGE_LABELS}
    status = 200
    if filterset.is_valid():
        rows, newer, older = _page(filterset.qs, filterset.cursor, filterset.page_size)
        summary = summarize(account, filterset)
        total, total_exact = (
            (summary.requests, True) if summary.exact else capped_count(filterset.qs)
        )
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            rows=rows,
            newer_cursor=newer,
            older_cursor=older,
            on_first_page=filterset.cursor is None,
            summary=summary,
            total=total,
            total_exact=total_exact,
            filters_active=filterset.active,
            # Only an empty account gets the "how to send logs" help, not an empty filter.
            account_empty=not rows and not generations.exists(),
            detail_query=query.urlencode(),
        )
    else:
        # Never silently drop a bad filter: show what's wrong, list nothing.
        status = 400
    template = "logs/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, context, status=status)


def _generation_for(request, generation_id):
    # Scoped to the user's accounts before the lookup: another account's id is a 404.
    return get_object_or_404(
        Generation.objects.for_user(request.user).select_related("account", "api_key"),
        generation_id=generation_id,
    )


@login_required
def generation_detail(request, generation_id):
    generation = _generation_for(request, generation_id)
    raw_metadata = dumps(to_raw_metadata(generation), indent=2)
    return render(
        request, "logs/detail.html", {"generation": generation, "raw_metadata": raw_metadata}
    )


@login_required
def stage_raw(request, generation_id, stage):
    if stage not in Stage.values:
        raise Http404("unknown stage")
    generation = _generation_for(request, generation_id)
    payload = get_object_or_404(StagePayload, generation=generation, stage=stage)
    is_json = payload.body_format == StagePayload.BodyFormat.JSON
    response = HttpResponse(
        payload.body,
        content_type="application/json" if is_json else "text/plain; charset=utf-8",
    )
    extension = "json" if is_json else "txt"
    response["Content-Disposition"] = (
        f'attachment; filename="{generation.generation_id}-{stage}.{extension}"'
    )
    return response
