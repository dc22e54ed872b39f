"""Fixtures of the search tests: the stored records, and both ways a search is read."""

from datetime import timedelta

import pytest

from logs import search
from tests.factories import ACCOUNT_B, KEY_B, make_record, store
from tests.search.searching import NOW, RECORDS, _chat


@pytest.fixture
def found(owner, outsider):
    """{name: generation} of RECORDS in the owner's account, and one umbrella in another."""
    records = []
    for name, (minutes, model, stages) in RECORDS.items():
        overrides = {
            "generationId": f"SRCH{name.upper()}"[:64],
            "modelSlug": model,
            "providerSlug": model.split("/")[0],
            "createdAt": (NOW - timedelta(minutes=minutes)).isoformat(),
        }
        if stages is not None:
            overrides["stages"] = stages
        records.append(make_record(**overrides))
    records.append(
        make_record(
            generationId="SRCHOTHERACCOUNT",
            accountId=ACCOUNT_B,
            apiKeyId=KEY_B,
            stages=_chat("An umbrella in another account"),
        )
    )
    stored = store(*records)
    return dict(zip(RECORDS, stored, strict=False))


@pytest.fixture(params=["ids", "walk"])
def mode(request, monkeypatch):
    """Every search runs both ways: by id from the index, and walking the list's index with a
    check per row (what a common word gets), which must find exactly the same rows."""
    if request.param == "walk":
        monkeypatch.setattr(search.query, "PROBE_CAP", 0)
    return request.param
