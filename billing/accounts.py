"""Which account a console request acts for. A user may belong to several accounts; the
chosen one is kept in the session and switched from the header."""

from django.http import Http404
from django.utils.translation import gettext as _

from .models import Account, Membership

SESSION_KEY = "account_id"


def user_accounts(user):
    return Account.objects.for_user(user).order_by("name", "external_id")


def current_account(request):
    """The signed-in user's active account; 404 for a user who belongs to none."""
    if not hasattr(request, "_current_account"):
        current_membership(request)
    return request._current_account


def current_membership(request):
    """The signed-in user's membership of the active account, its account with it: one read
    answers both which account a request acts for and what its role may do (a live poll
    every 5 s pays for each read). 404 for a user who belongs to no account."""
    if hasattr(request, "_membership"):
        return request._membership
    mine = Membership.objects.select_related("account").filter(user=request.user)
    wanted = request.session.get(SESSION_KEY) if request.user.is_authenticated else None
    found = (mine.filter(account_id=wanted).first() if wanted else None) or mine.order_by(
        "account__name", "account__external_id"
    ).first()
    if found is None:
        raise Http404(_("You are not a member of any account."))
    request._membership, request._current_account = found, found.account
    return found
