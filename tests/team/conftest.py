import pytest

from billing.models import Role
from tests.conftest import _member
from tests.factories import ACCOUNT_A


@pytest.fixture
def members(owner):
    """One user per role in account A (the suite's `owner` is its first owner)."""
    found = {Role.OWNER: owner}
    for role in (Role.VIEWER, Role.MEMBER, Role.ADMIN):
        found[role] = _member(role.value, ACCOUNT_A, role=role)
    return found


@pytest.fixture
def as_role(client, members):
    """A function: the test client signed in as the member with that role."""

    def _as(role):
        client.force_login(members[role])
        return client

    return _as
