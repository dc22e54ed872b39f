from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .accounts import SESSION_KEY, user_accounts


@login_required
@require_POST
def switch_account(request):
    account = get_object_or_404(user_accounts(request.user), pk=request.POST.get("account"))
    request.session[SESSION_KEY] = account.pk
    # Filters name the old account's keys and models; start the new one's list clean.
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/logs/"
    return redirect(next_url.split("?")[0])
