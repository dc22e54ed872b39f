import csv

from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.accounts import current_account
from billing.models import AuditAction
from billing.team import audit
from billing.team.permissions import requires
from logs import search
from logs.models import Generation
from zenlogs.htmx import render_page_or_partial
from zenlogs.responses import invalid_form

from . import live
from .exports import csv_rows
from .filters import DEFAULT_RANGE, RANGE_LABELS, GenerationFilter, has_empty_values, short_query
from .histogram import volume_histogram
from .reads import page, reading
from .state import ListState
from .summary import summarize


@requires("read_logs")
def generation_list(request):
    # The filter bar sent without JavaScript carries every field, most of them empty: one
    # redirect gives the page its short URL, the one to bookmark and share (htmx's requests
    # are short already, and a link that is long but has nothing empty is taken as it is).
    if not request.htmx and has_empty_values(request.GET):
        short = short_query(request.GET).urlencode()
        return HttpResponseRedirect(f"{request.path}?{short}" if short else request.path)
    account = current_account(request)
    generations = Generation.objects.for_account(account)
    # A live poll renders no form: it checks only the parameters it is given.
    polling = bool(request.htmx and request.GET.get("after"))
    filterset = GenerationFilter(
        request.GET, account=account, queryset=generations, given_only=polling
    )
    valid = filterset.is_valid()
    state = ListState(filterset)
    context = {
        "filter": filterset,
        "state": state,
        "account": account,
        "range_labels": RANGE_LABELS,
        "default_range": DEFAULT_RANGE,
        # What the page's links start from (pager, sort headers, Details, histogram bars,
        # CSV export): the query string without its empty and default parameters.
        "link_query": short_query(request.GET),
    }
    status = 200
    after = filterset.form.cleaned_data.get("after") if valid else None
    if valid and state.live and after is not None and request.htmx:
        return _live_poll(request, state, context, after)
    if valid:
        if state.live:
            context["live_after"] = live.start(state)  # before the rows: see live.start
        with reading(state, state.order):
            rows, newer, older = page(state.qs, state.order, state.cursor, state.page_size)
        with reading(state):
            histogram = volume_histogram(account, state, context["link_query"])
            sample = histogram.sample if histogram is not None else None
            summary = summarize(account, state, sample)
        # The list's total is the summary's count. When that stopped at its cap, counting
        # on would read the same rows again and then some: the cap is shown as "10,000+"
        # (also for a window of exactly that many, the one case it cannot tell apart).
        total, total_exact = summary.requests, summary.exact
        if state.search_query is not None:
            found = search.excerpts(rows, state.search_query, account.pk)
            for row in rows:
                row.search_excerpt = found.get(row.pk)
        context.update(
            rows=rows,
            newer_cursor=newer,
            older_cursor=older,
            on_first_page=state.cursor is None,
            summary=summary,
            histogram=histogram,
            total=total,
            total_exact=total_exact,
            filters_active=filterset.active,
            # Only an empty account gets the "how to send logs" help, not an empty filter.
            account_empty=not rows and not generations.exists(),
            detail_query=_detail_query(context["link_query"]),
            live_query=_live_query(context["link_query"]),
            live_ms=live.poll_ms(),
        )
    else:
        # Never silently drop a bad filter: show what's wrong, list nothing.
        status = 400
    return render_page_or_partial(request, "logs/list.html", "results", context, status=status)


def _detail_query(link_query):
    query = link_query.copy()
    for name in ("cursor", "after", "sums"):
        query.pop(name, None)
    return query.urlencode()


def _live_query(link_query):
    """The list's query string as live=1 follows it: without a To time, another sort or a
    page's cursor (ListState.live_paused_by), which the page offers to drop."""
    query = link_query.copy()
    for name in ("to", "sort", "cursor", "after", "sums"):
        query.pop(name, None)
    query["live"] = "1"
    return query.urlencode()


def _live_poll(request, state, context, after):
    """A live page's poll (logs.listing.live): the rows stored since `after`, the summary
    strip with their figures added, their counts per second for the histogram's bars."""
    cap = state.page_size
    shown = state.form.cleaned_data.get("sums")
    update = live.poll(state, after, shown, cap)
    rows = update.rows
    if rows and state.search_query is not None:
        found = search.excerpts(rows, state.search_query, state.account.pk)
        for row in rows:
            row.search_excerpt = found.get(row.pk)
    context.update(
        update=update,
        summary=update.summary,
        total=update.summary.requests if update.summary else None,
        total_exact=update.summary.exact if update.summary else None,
        detail_query=_detail_query(context["link_query"]),
    )
    return render(request, "logs/list.html#live", context)


class _Echo:
    def write(self, value):
        return value


@requires("download")
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
        return invalid_form(_("Invalid filters: %(errors)s"), filterset.form)
    state = ListState(filterset)
    filters = {name: query.getlist(name) for name in query if any(query.getlist(name))}
    audit.record(request, account, AuditAction.EXPORT, format="csv", filters=filters)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(state.qs, state.order)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="generations-{account.external_id}-{stamp}.csv"'
    )
    return response
