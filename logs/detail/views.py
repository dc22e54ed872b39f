from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from billing.models import AuditAction
from billing.team import audit
from billing.team.permissions import can_in, forbidden, requires
from logs import search
from logs.listing.filters import DEFAULT_SORT, GenerationFilter
from logs.listing.reads import neighbours, reading
from logs.listing.state import ListState
from logs.models import Generation, Stage, StagePayload
from logs.record.codec import dumps
from logs.record.raw import to_raw_metadata

from .curl import build_curl
from .highlight import highlight_json
from .sections import HIGHLIGHT_LIMIT, SECTIONS, build_section, load_stages


def _generation_for(request, generation_id):
    # Scoped to the user's accounts before the lookup: another account's id is a 404.
    return get_object_or_404(
        Generation.objects.public_id_for(request.user, generation_id)
        .select_related("account", "api_key", "charge")
        .with_rating()
    )


class DetailParams(forms.Form):
    view = forms.ChoiceField(choices=[("pretty", _("Pretty")), ("json", "JSON")], required=False)
    # Pretty mode's message text: rendered as Markdown (the default), or as sent.
    text = forms.ChoiceField(
        choices=[("markdown", "Markdown"), ("raw", _("Raw text"))], required=False
    )
    request_stage = forms.ChoiceField(
        choices=[(s, s) for s in SECTIONS["request"][2]], required=False
    )
    response_stage = forms.ChoiceField(
        choices=[(s, s) for s in SECTIONS["response"][2]], required=False
    )


DETAIL_PARAMS = ("view", "text", "request_stage", "response_stage")


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
    state = ListState(filterset)
    # Always walked: for a generation of today, the newer neighbour's range is today's
    # partition alone, and PostgreSQL without statistics guessed a handful of matches there
    # and sorted all of the day's (2,500 rows read for 1, tests/listing/test_query_plans.py).
    with reading(state, state.order, always=True):
        newer, older = neighbours(state, generation)
    return newer, older, query.urlencode()


def _search_marks(request):
    """The list's search (q), carried in the details page's query string, or None. One that
    does not parse marks nothing here; the list it came from said what was wrong."""
    try:
        return search.parse_query(request.GET.get("q"))
    except search.QueryError:
        return None


@requires("read_logs")
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
    otel = generation.via_opentelemetry
    sections = [
        build_section("request", stages, params.cleaned_data["request_stage"], view, otel),
        build_section("response", stages, params.cleaned_data["response_stage"], view, otel),
    ]
    marks = _search_marks(request)
    raw_text = params.cleaned_data["text"] == "raw"
    for section in sections:
        if section.conversation is not None:
            # Pretty mode marks what the list's search found (logs_extras' marked filters).
            section.conversation.search_query = marks
            section.conversation.raw_text = raw_text
    # Raw downloads and Copy as cURL hand out the request as sent: viewers may not.
    may_download = can_in(request.user, generation.account, "download")
    context = {
        "generation": generation,
        "view": view,
        "sections": sections,
        "raw_text": raw_text,
        "may_download": may_download,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "logs/detail.html#conversation", context)
    raw_metadata = dumps(to_raw_metadata(generation), indent=2)
    newer, older, list_query = _neighbours(request, generation)
    user_request = stages.get(Stage.USER_REQUEST)
    curl = None
    if may_download and user_request is not None and not user_request.truncated:
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


@requires("read_logs")
def stage_raw(request, generation_id, stage):
    if stage not in Stage.values:
        raise Http404("unknown stage")
    generation = _generation_for(request, generation_id)
    # The generation may be in another of the user's accounts than the current one: the
    # role that counts is the one there.
    if not can_in(request.user, generation.account, "download"):
        return forbidden(request)
    payload = get_object_or_404(StagePayload.objects.of(generation), stage=stage)
    audit.record(
        request,
        generation.account,
        AuditAction.STAGE_DOWNLOADED,
        generation.generation_id,
        stage=stage,
    )
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


@requires("read_logs")
def cost(request, generation_id):
    """A generation's cost popover, as its row on the list shows it: what app.js fills in
    when the popover of a row brought in live is first opened (live rows come without their
    ratings, to keep a poll cheap: logs.listing.live)."""
    generation = _generation_for(request, generation_id)
    context = {"g": generation, "account": generation.account}
    return render(request, "logs/_cost_popover.html", context)
