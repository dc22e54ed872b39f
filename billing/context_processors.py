from django.http import Http404

from .accounts import current_account, user_accounts
from .team.permissions import CAPABILITIES, membership, role_allows


class _Capabilities:
    """`can.billing` in a template: whether the user's role in the current account has that
    capability (billing/team/permissions.py), read once, on first use."""

    def __init__(self, request):
        self._request = request
        self._role = None

    def _current_role(self):
        if self._role is None:
            try:
                self._role = membership(self._request).role
            except Http404:  # no account: nothing to be allowed
                self._role = ""
        return self._role

    def __getitem__(self, capability):
        if capability not in CAPABILITIES:
            raise KeyError(capability)
        role = self._current_role()
        return bool(role) and role_allows(role, capability)

    @property
    def role(self):
        return self._current_role()


def account_context(request):
    """The account switcher in the header. Lazy, so pages that never render the header
    (API, downloads) pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def _accounts():
        return list(user_accounts(user))

    def _current():
        try:
            return current_account(request)
        except Http404:  # a user with no account still sees the header
            return None

    return {"user_accounts": _accounts, "active_account": _current, "can": _Capabilities(request)}
