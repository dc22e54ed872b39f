"""Who may do what: one table of capabilities, each with the least role that has it
(README, Roles). Views ask through `requires`, templates through the `can` context
(billing.context_processors), so the navigation hides exactly what the server refuses.
tests/site/test_roles.py walks every URL against every role with a table of its own."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

# The signed-in user's membership of the current account, its account with it (404 without
# one): read once a request, with the account (billing.accounts).
from ..accounts import current_membership as membership
from ..models import ROLE_RANKS, Account, Membership, Role

# The least role that may, per capability.
CAPABILITIES = {
    # the log list, details, usage
    "read_logs": Role.VIEWER,
    # raw stage bodies, CSV/JSONL export, copy as cURL
    "download": Role.MEMBER,
    # one's own API read tokens
    "personal_tokens": Role.MEMBER,
    # /billing/: wallets, ledger
    "billing": Role.ADMIN,
    # invite, change roles, remove (not owners)
    "manage_members": Role.ADMIN,
    "ingest_tokens": Role.ADMIN,
    "audit_log": Role.ADMIN,
    # make or remove owners
    "manage_owners": Role.OWNER,
}


def role_allows(role, capability):
    return ROLE_RANKS[Role(role)] >= ROLE_RANKS[CAPABILITIES[capability]]


def can(request, capability):
    return role_allows(membership(request).role, capability)


def can_in(user, account, capability):
    """Whether the user's role in `account` (not necessarily the current one) has it."""
    role = (
        Membership.objects.filter(user=user, account=account).values_list("role", flat=True).first()
    )
    return role is not None and role_allows(role, capability)


def forbidden(request):
    """The 403 page in the site's layout."""
    return render(request, "403.html", {"role_refused": True}, status=403)


def requires(capability):
    """A view for signed-in members whose role has `capability`: anyone else signed in gets
    the 403 page (pages and their htmx partials alike), the signed-out the sign-in page."""
    CAPABILITIES[capability]  # a typo fails at import, not on the first request

    def decorator(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request, capability):
                return forbidden(request)
            return view(request, *args, **kwargs)

        checked.capability = capability
        return checked

    return decorator


def allowed_accounts(user, capability):
    """The accounts in which the user's role has `capability` (the API, which reads across
    all of a user's accounts)."""

    roles = [role for role in Role if role_allows(role, capability)]
    return Account.objects.filter(memberships__user=user, memberships__role__in=roles)
