import contextlib
import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from billing.accounts import current_account
from zenlogs.keyset import index_order

from .curl import build_curl
from .detail import HIGHLIGHT_LIMIT, SECTIONS, build_section, load_stages
from .exports import csv_rows
from .filters import RANGE_LABELS, Cursor, GenerationFilter
from .highlight import highlight_json
from .metadata import dumps, to_raw_metadata
from .models import Generation, Stage, StagePayload
from .summary import capped_count, summarize


def _page(queryset, cursor, size):
    """One keyset page, newest first: (rows, newer_cursor, older_cursor). Reads size + 1 rows
    to learn whether another page exists, so there is no COUNT and no OFFSET."""
    rows_qs = queryset.for_list().select_related("rating", "charge")
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


def _reads(filterset):
    """Where the list's keyset reads run. A numeric bound (cost_min, ...) has no index, and
    PostgreSQL without statistics guesses that it leaves a handful of rows, so it read the
    whole window and sorted it for a page (tests/test_query_plans.py), for the details page's
    neighbours and for the summary's sample. With sorts ruled out a read walks the window's
    index and stops at its LIMIT: one page when the bound matches often, the window (as the
    sort would) when it matches rarely."""
    if filterset.numeric_filtered:
        return index_order(filterset.qs.db)
    return contextlib.nullcontext()


@login_required
def generation_list(request):
    account = current_account(request)
    generations = Generation.objects.for_account(account)
    filterset = GenerationFilter(request.GET, account=account, queryset=generations)
    context = {"filter": filterset, "account": account, "range_labels": RANGE_LABELS}
    status = 200
    if filterset.is_valid():
        with _reads(filterset):
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


class _Echo:
    def write(self, value):
        return value


@login_required
def export_csv(request):
    """The list's current filters as CSV, streamed: rows are read in keyset chunks and
    written as they come, so memory stays flat at a million rows."""
    account = current_account(request)
    query = request.GET.copy()
    query.pop("cursor", None)
    filterset = GenerationFilter(
        query, account=account, queryset=Generation.objects.for_account(account)
    )
    if not filterset.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.form.errors.items())
        return HttpResponse(
            f"Invalid filters: {errors}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(filterset.qs)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="generations-{account.external_id}-{stamp}.csv"'
    )
    return response


def _generation_for(request, generation_id):
    # Scoped to the user's accounts before the lookup: another account's id is a 404.
    return get_object_or_404(
        Generation.objects.for_user(request.user).select_related(
            "account", "api_key", "rating", "charge"
        ),
        generation_id=generation_id,
    )


class DetailParams(forms.Form):
    view = forms.ChoiceField(choices=[("pretty", "Pretty"), ("json", "JSON")], required=False)
    request_stage = forms.ChoiceField(
        choices=[(s, s) for s in SECTIONS["request"][2]], required=False
    )
    response_stage = forms.ChoiceField(
        choices=[(s, s) for s in SECTIONS["response"][2]], required=False
    )


DETAIL_PARAMS = ("view", "request_stage", "response_stage")


def _neighbours(request, generation):
    """The generations just newer and just older than this one under the list filters the
    user came from (the query string), or none when those filters don't parse."""
    query = request.GET.copy()
    for name in (*DETAIL_PARAMS, "cursor"):
        query.pop(name, None)
    account = generation.account
    filterset = GenerationFilter(
        query, account=account, queryset=Generation.objects.for_account(account)
    )
    if not filterset.is_valid():
        return None, None, query.urlencode()
    with _reads(filterset):
        newer, older = _neighbours_in(filterset, generation)
    return newer, older, query.urlencode()


def _neighbours_in(filterset, generation):
    qs = filterset.qs.only("generation_id", "created_at")
    oldest_first = qs.order_by("created_at", "id")
    start, end = filterset.clean_window()
    # Outside the window the generation is no cursor: every listed row is on one side of it.
    # Given as one, PostgreSQL starts its index walk at the generation, not at the window's
    # edge, and steps over every row in between (15 ms at a million rows, for 23 days of
    # them).
    if start is not None and generation.created_at < start:
        return oldest_first.first(), None
    if end is not None and generation.created_at >= end:
        return None, qs.newest_first().first()
    newer = oldest_first.newer_than(generation.created_at, generation.pk)
    older = qs.newest_first().older_than(generation.created_at, generation.pk)
    return newer.first(), older.first()


@login_required
def generation_detail(request, generation_id):
    generation = _generation_for(request, generation_id)
    params = DetailParams(request.GET)
    if not params.is_valid():
        return render(
            request,
            "logs/detail_error.html",
            {"form": params, "generation": generation},
            status=400,
        )
    view = params.cleaned_data["view"] or "pretty"
    stages = load_stages(generation)
    sections = [
        build_section("request", stages, params.cleaned_data["request_stage"], view),
        build_section("response", stages, params.cleaned_data["response_stage"], view),
    ]
    context = {"generation": generation, "view": view, "sections": sections}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "logs/detail.html#conversation", context)
    raw_metadata = dumps(to_raw_metadata(generation), indent=2)
    newer, older, list_query = _neighbours(request, generation)
    user_request = stages.get(Stage.USER_REQUEST)
    curl = None
    if user_request is not None and not user_request.truncated:
        curl = build_curl(user_request.headers, user_request.head, user_request.body_format)
    context.update(
        raw_metadata=raw_metadata,
        raw_metadata_html=highlight_json(raw_metadata, HIGHLIGHT_LIMIT),
        newer=newer,
        older=older,
        list_query=list_query,
        curl=curl,
        rating=getattr(generation, "rating", None) if generation.cost_known else None,
        stage_sizes={s: p.size_bytes for s, p in stages.items()},
    )
    return render(request, "logs/detail.html", context)


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
