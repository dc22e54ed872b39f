from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import F, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from logs.models import Generation
from zenlogs.htmx import render_page_or_partial
from zenlogs.keyset import Cursor, CursorField
from zenlogs.responses import invalid_form

from . import usage
from .accounts import SESSION_KEY, current_account, user_accounts
from .models import Charge, LedgerEntry, Wallet
from .settlement import balances
from .team.permissions import requires

LEDGER_PAGE_SIZE = 50
LEDGER_MAX_PAGE_SIZE = 200


class SwitchParams(forms.Form):
    # The account's external id, as the header's switcher sends it: its primary key is one
    # sequence across accounts, which no page shows. CharField refuses a null byte.
    account = forms.CharField(max_length=64)


@login_required
@require_POST
def switch_account(request):
    params = SwitchParams(request.POST)
    if not params.is_valid():
        return invalid_form(_("Invalid account switch: %(errors)s"), params)
    account = get_object_or_404(
        user_accounts(request.user), external_id=params.cleaned_data["account"]
    )
    request.session[SESSION_KEY] = account.pk
    return redirect(_page_after_switch(request, account))


def _page_after_switch(request, account):
    """The page the switch was made on (`next`), without its query string: filters name the
    old account's keys and models, so the new one's list starts clean. A generation's page
    stays only when the generation is the new account's; one of another account would
    still open (it is the user's too) under a header naming an account it is not in, so
    the switch goes to the new account's list instead."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return "/logs/"
    path = next_url.split("?")[0]
    try:
        match = resolve(path)
    except Resolver404:
        return path
    if match.view_name in ("logs:detail", "logs:raw"):
        generation_id = match.kwargs["generation_id"]
        if not Generation.objects.public_id(generation_id, accounts=[account]).exists():
            return reverse("logs:list")
    return path


class LedgerParams(forms.Form):
    cursor = CursorField(required=False, max_length=64)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=LEDGER_MAX_PAGE_SIZE)

    def clean_cursor(self):
        cursor = self.cleaned_data["cursor"]
        # The ledger only pages back in time ("Older", then "Newest"), so a cursor that
        # asks for newer rows did not come from this page.
        if cursor is not None and cursor.direction != "o":
            raise forms.ValidationError(_("This page link is not valid; start from the newest."))
        return cursor


def _ledger_page(account, cursor, size):
    """One keyset page of the ledger, newest first: (entries, older_cursor). Reads size + 1
    rows to learn whether there is an older page: no OFFSET, no COUNT."""
    entries = (
        LedgerEntry.objects.for_account(account)
        # The wallet (one of two) by a query of its own: joined, PostgreSQL without
        # statistics took it for a filter that drops most rows, and sorted the whole ledger
        # rather than read 51 lines off ledger_time.
        .prefetch_related("wallet")
        # Only the generation's public id and its charge's status, not the whole row with
        # its JSON columns. The generation may have been pruned (its id is then NULL and the
        # page shows the line's note, unlinked); the charge is kept, so its status is read
        # from the charge itself, not through the generation.
        .annotate(
            generation_ref=F("generation__generation_id"),
            charge_status=Subquery(
                Charge.objects.filter(pk=OuterRef("generation_id")).values("status")
            ),
        )
        .newest_first()
    )
    if cursor is not None:
        entries = entries.older_than(cursor.created_at, cursor.pk)
    rows = list(entries[: size + 1])
    older = Cursor.after(rows[size - 1], "o") if len(rows) > size else None
    return rows[:size], older


@requires("billing")
def overview(request):
    account = current_account(request)
    params = LedgerParams(request.GET)
    found = balances(account)
    wallets = [
        {"kind": kind, "label": Wallet.Kind(kind).label, "balance": found[kind]} for kind in found
    ]
    context = {
        "account": account,
        "params": params,
        "wallets": wallets,
        "total_balance": sum(found.values()),
    }
    status = 200
    if params.is_valid():
        cursor = params.cleaned_data["cursor"]
        size = params.cleaned_data["page_size"] or LEDGER_PAGE_SIZE
        entries, older = _ledger_page(account, cursor, size)
        context.update(entries=entries, older_cursor=older, on_first_page=cursor is None)
    else:
        # A bad page link shows what is wrong instead of quietly starting over.
        status = 400
    return render_page_or_partial(
        request, "billing/overview.html", "ledger", context, status=status
    )


class UsageParams(forms.Form):
    by = forms.ChoiceField(choices=list(usage.DIMENSIONS.items()), required=False)


@requires("read_logs")
def usage_page(request):
    account = current_account(request)
    params = UsageParams(request.GET)
    context = {"account": account, "params": params, "dimensions": usage.DIMENSION_WORDS}
    status = 200
    if params.is_valid():
        by = params.cleaned_data["by"] or "model"
        report = usage.usage_report(account, dimension=by, zone=timezone.get_current_timezone())
        context.update(
            by=by,
            by_label=usage.DIMENSIONS[by],
            by_word=usage.DIMENSION_WORDS[by],
            report=report,
            chart=usage.chart(report),
        )
    else:
        status = 400
    return render_page_or_partial(request, "billing/usage.html", "usage", context, status=status)
