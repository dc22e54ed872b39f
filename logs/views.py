from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.accounts import current_account

from .metadata import dumps, to_raw_metadata
from .models import Generation, Stage, StagePayload


@login_required
def generation_list(request):
    account = current_account(request)
    generations = Generation.objects.for_account(account).for_list().newest_first()[:50]
    return render(request, "logs/list.html", {"generations": generations, "account": account})


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
    return render(request, "logs/detail.html", {"generation": generation,
                                                "raw_metadata": raw_metadata})  # fmt: skip


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
