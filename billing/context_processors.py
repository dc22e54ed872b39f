from django.http import Http404

from .accounts import current_account, user_accounts


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

    return {"user_accounts": _accounts, "active_account": _current}
