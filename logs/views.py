import contextlib
import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from billing.accounts import current_account
from zenlogs.keyset import NEWEST_FIRST, Cursor, index_order

from . import search
from .detail.curl import build_curl
from .detail.highlight import highlight_json
from .detail.sections import HIGHLIGHT_LIMIT, SECTIONS, build_section, load_stages
from .listing.exports import csv_rows
from .listing.filters import DEFAULT_SORT, RANGE_LABELS, GenerationFilter
from .listing.histogram import volume_histogram
from .listing.summary import summarize
from .models import Generation, Stage, StagePayload
from .record.codec import dumps
from .record.raw import to_raw_metadata


def _page(queryset, order, cursor, size):
    """One keyset page in `order` (newest first by default): (rows, newer_cursor,
    older_cursor), the cursors of the pages before and after it. Reads size + 1 rows to learn
    whether another page exists, so there is no COUNT and no OFFSET."""
    rows_qs = queryset.for_list().select_related("charge").with_rating()
    if cursor is not None and cursor.direction == "n":
        rows = rows_qs.read(order, size + 1, cursor.position, backwards=True)
        if len(rows) > size:
            rows = rows[:size][::-1]
            return rows, Cursor.after(rows[0], "n", order), Cursor.after(rows[-1], "o", order)
        cursor = None  # reached the head: show the first page, whole
    rows = rows_qs.read(order, size + 1, cursor.position if cursor is not None else None)
    older = Cursor.after(rows[size - 1], "o", order) if len(rows) > size else None
    rows = rows[:size]
    newer = Cursor.after(rows[0], "n", order) if cursor is not None and rows else None
    return rows, newer, older


def _reads(filterset, order=NEWEST_FIRST, *, always=False):
    """Where the list's keyset reads run. A numeric bound (cost_min, ...) has no index, and
    PostgreSQL without statistics guesses that it leaves a handful of rows, so it read the
    whole window and sorted it for a page (tests/test_query_plans.py), for the details page's
    neighbours and for the summary's sample. With sorts ruled out a read walks the window's
    index and stops at its LIMIT: one page when the bound matches often, the window (as the
    sort would) when it matches rarely. A text search that matched too often to list by id
    (logs.search) is the same kind of condition: a check per row as the index is walked.
    Reads in an `order` no index keeps (sort=-latency, ...) sort whatever is done; with sorts
    ruled out PostgreSQL weighs every plan alike (2.6 s for a page by cost, bound by cost,
    without the cost index: bench/README.md). `always`: rule sorts out for any filters,
    for reads of a row or two that must never read more; but not for a rare word's matches
    listed by id, which are few and found by id and time: sorting them is the plan there,
    and a walk of the index would step over every row between them."""
    queryset = filterset.qs  # built first: it decides how a text search is read
    if not order.has_index(queryset.model):
        return contextlib.nullcontext()
    walked = filterset.numeric_filtered or filterset.search_mode == "walk"
    if walked or (always and filterset.search_mode != "ids"):
        return index_order(queryset.db)
    return contextlib.nullcontext()


@login_required
def generation_list(request):
    account = current_account(request)
    generations = Generation.objects.for_account(account)
    filterset = GenerationFilter(request.GET, account=account, queryset=generations)
    context = {"filter": filterset, "account": account, "range_labels": RANGE_LABELS}
    status = 200
    if filterset.is_valid():
        with _reads(filterset, filterset.order):
            rows, newer, older = _page(
                filterset.qs, filterset.order, filterset.cursor, filterset.page_size
            )
        with _reads(filterset):
            histogram = volume_histogram(account, filterset, request.GET)
            sample = histogram.sample if histogram is not None else None
            summary = summarize(account, filterset, sample)
        # The list's total is the summary's count. When that stopped at its cap, counting
        # on would read the same rows again and then some: the cap is shown as "10,000+"
        # (also for a window of exactly that many, the one case it cannot tell apart).
        total, total_exact = summary.requests, summary.exact
        if filterset.search_query is not None:
            found = search.excerpts(rows, filterset.search_query, account.pk)
            for row in rows:
                row.search_excerpt = found.get(row.pk)
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            rows=rows,
            newer_cursor=newer,
            older_cursor=older,
            on_first_page=filterset.cursor is None,
            summary=summary,
            histogram=histogram,
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
        (writer.writerow(row) for row in csv_rows(filterset.qs, filterset.order)),
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
        Generation.objects.public_id_for(request.user, generation_id)
        .select_related("account", "api_key", "charge")
        .with_rating()
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
    """The generations just before ("newer") and just after ("older") this one in the list
    the user came from, its filters and sort in the query string, or none when those don't
    parse."""
    query = request.GET.copy()
    for name in (*DETAIL_PARAMS, "cursor"):
        query.pop(name, None)
    account = generation.account
    filterset = GenerationFilter(
        query, account=account, queryset=Generation.objects.for_account(account)
    )
    if not filterset.is_valid():
        return None, None, query.urlencode()
    # Always walked: for a generation of today, the newer neighbour's range is today's
    # partition alone, and PostgreSQL without statistics guessed a handful of matches there
    # and sorted all of the day's (2,500 rows read for 1, tests/test_query_plans.py).
    with _reads(filterset, filterset.order, always=True):
        newer, older = _neighbours_in(filterset, generation)
    return newer, older, query.urlencode()


def _neighbours_in(filterset, generation):
    order = filterset.order
    qs = filterset.qs.only("generation_id", "created_at", order.column)
    if order.column == "created_at":
        start, end = filterset.clean_window()
        before_start = start is not None and generation.created_at < start
        after_end = end is not None and generation.created_at >= end
        # Outside the window the generation is no cursor: every listed row is on one side
        # of it. Given as one, PostgreSQL starts its index walk at the generation, not at
        # the window's edge, and steps over every row in between (15 ms at a million rows,
        # for 23 days of them). In another order its value is a place like any other.
        if before_start or after_end:
            if before_start == order.descending:  # every listed row comes before it
                return _first(qs.read(order, 1, backwards=True)), None
            return None, _first(qs.read(order, 1))
    position = order.position(generation)
    newer = qs.read(order, 1, position, backwards=True)
    older = qs.read(order, 1, position)
    return _first(newer), _first(older)


def _first(rows):
    return rows[0] if rows else None


def _search_marks(request):
    """The list's search (q), carried in the details page's query string, or None. One that
    does not parse marks nothing here; the list it came from said what was wrong."""
    try:
        return search.parse_query(request.GET.get("q"))
    except search.QueryError:
        return None


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
    marks = _search_marks(request)
    for section in sections:
        if section.conversation is not None:
            # Pretty mode marks what the list's search found (logs_extras' marked filters).
            section.conversation.search_query = marks
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
        list_sorted=request.GET.get("sort") not in (None, "", DEFAULT_SORT),
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
    payload = get_object_or_404(StagePayload.objects.of(generation), stage=stage)
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
