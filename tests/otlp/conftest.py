import pytest

from logs.models import IngestToken


@pytest.fixture
def account_token(account_a):
    """An ingest token bound to account A, as create_ingest_token --account issues."""
    return IngestToken.issue(name="otlp", account=account_a)[1]


@pytest.fixture
def token_b(account_b):
    return IngestToken.issue(name="otlp b", account=account_b)[1]
