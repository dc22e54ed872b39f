"""Which account a console request acts for. A user may belong to several accounts; the
chosen one is kept in the session and switched from the header."""

from django.http import Http404
from django.utils.translation import gettext as _

from .models import Account

SESSION_KEY = "account_id"


def user_accounts(user):
    return Account.objects.for_user(user).order_by("name", "external_id")


def current_account(request):
    """The signed-in user's active account; 404 for a user who belongs to none."""
    if hasattr(request, "_current_account"):
        return request._current_account
    accounts = user_accounts(request.user)
    wanted = request.session.get(SESSION_KEY)
    account = (accounts.filter(pk=wanted).first() if wanted else None) or accounts.first()
    if account is None:
        raise Http404(_("You are not a member of any account."))
    request._current_account = account
    return account
