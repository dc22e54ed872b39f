"""Stages that arrive after their generation: an OTLP span stored first, its conversation
(the log record that carries it) later, in another export.

Only stages the generation does not have yet are added, so a re-sent log record changes
nothing and a conversation never replaces one already stored. The generation's search text
is written with its first stages, as ingest() does for a record that carries them."""

from django.db import transaction

from logs.ingest.stages import parse_stages
from logs.models import GenerationKey, SearchText, StagePayload
from logs.search import ROW_FIELDS as SEARCH_ROW_FIELDS
from logs.search import search_row
from zenlogs.bulk import insert_rows

from .checks import Errors
from .store import STAGE_FIELDS, stage_row


def attach_stages(account, stages_by_id):
    """stages_by_id: {generation_id: {stage: {"headers": {...}, "body": ...}}}, the stages in
    the shape a record carries them (redacted and cut at the stage limit here, as ingest()
    does). Generations of other accounts, and unknown ids, are skipped. Returns (the ids of
    the account's generations found, the ids of those that gained stages)."""
    gained = set()
    if not stages_by_id:
        return set(), gained
    with transaction.atomic():
        # Locked, so two exports attaching to one generation at once add its stages once.
        keys = (
            GenerationKey.objects.select_for_update()
            .filter(generation_id__in=sorted(stages_by_id), account=account)
            .order_by("generation_id")
        )
        keys = list(keys.values_list("generation_id", "stored_id", "created_at"))
        found = {generation_id for generation_id, _, _ in keys}
        if not keys:
            return found, gained
        have = {}
        # Their created_at too: on PostgreSQL that reads only their days' partitions.
        for generation_id, stage in StagePayload.objects.filter(
            generation_id__in=[pk for _, pk, _ in keys],
            account=account,
            created_at__in={c for _, _, c in keys},
        ).values_list("generation_id", "stage"):
            have.setdefault(generation_id, set()).add(stage)
        rows, search_rows = [], []
        for generation_id, pk, created_at in keys:
            present = have.get(pk, set())
            errors = Errors()
            wanted = {k: v for k, v in stages_by_id[generation_id].items() if k not in present}
            new = parse_stages(wanted, errors) if wanted else []
            if errors.items or not new:
                continue
            gained.add(generation_id)
            rows.extend(stage_row(pk, s, account.pk, created_at) for s in new)
            if not present:
                searchable = search_row(
                    pk,
                    account.pk,
                    created_at,
                    {s.stage: (s.text, s.body_format, s.truncated) for s in new},
                )
                if searchable is not None:
                    search_rows.append(searchable)
        insert_rows(StagePayload, STAGE_FIELDS, rows)
        if search_rows:
            # A generation stored without stages has no search text: nothing to collide.
            stored = set(
                SearchText.objects.filter(
                    generation_id__in=[r[0] for r in search_rows],
                    account=account,
                    created_at__in={r[2] for r in search_rows},
                ).values_list("generation_id", flat=True)
            )
            insert_rows(
                SearchText, SEARCH_ROW_FIELDS, [r for r in search_rows if r[0] not in stored]
            )
    return found, gained
