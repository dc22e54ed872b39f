"""/settings/members/, /settings/tokens/, /settings/audit/ and an invitation's landing page.

Every change is a POST that answers with the page again (or a redirect to it), and leaves one
audit entry. Members are named by username, invitations and tokens by sealed ids: row ids
never reach a page (zenlogs/sealed.py)."""

from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from logs.models import ApiToken, IngestToken
from zenlogs.htmx import render_page_or_partial
from zenlogs.keyset import Cursor
from zenlogs.sealed import unseal

from ..accounts import SESSION_KEY
from ..models import AuditAction, AuditEntry, Invitation, Membership, Role
from . import audit, invitations
from .forms import AuditParams, InviteForm, MembersParams, RoleForm, SignUpForm, TokenForm
from .permissions import can, forbidden, membership, requires

AUDIT_PAGE_SIZE = 50
MEMBERS_PAGE_SIZE = 100
# The audit log's actor suggestions: the members, the first this many by username.
ACTOR_SUGGESTIONS = 200

# ----------------------------------------------------------------------------- members


def _members_page(request, status=200, **extra):
    account = membership(request).account
    may_manage_owners = can(request, "manage_owners")
    params = MembersParams(request.GET)
    members, next_after = [], None
    if params.is_valid():
        members, next_after = _members(account, **params.cleaned_data)
    else:
        status = 400
    context = {
        "account": account,
        "params": params,
        "members": members,
        "next_after": next_after,
        "pending": Invitation.objects.filter(account=account).pending(),
        "invite_form": InviteForm(may_manage_owners=may_manage_owners),
        "roles": RoleForm(may_manage_owners=may_manage_owners).fields["role"].choices,
        "may_manage_owners": may_manage_owners,
        **extra,
    }
    return render(request, "settings/members.html", context, status=status)


def _members(account, q, after):
    """(a page of the account's members by username, the username the next page starts
    after or None): those whose username, email or name holds `q`, after `after`. One
    row more than the page says whether there is a next one: no COUNT."""
    rows = Membership.objects.filter(account=account).select_related("user")
    if q:
        rows = rows.filter(
            Q(user__username__icontains=q)
            | Q(user__email__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
        )
    if after:
        rows = rows.filter(user__username__gt=after)
    page = list(rows.order_by("user__username")[: MEMBERS_PAGE_SIZE + 1])
    if len(page) > MEMBERS_PAGE_SIZE:
        return page[:MEMBERS_PAGE_SIZE], page[MEMBERS_PAGE_SIZE - 1].user.username
    return page, None


@requires("manage_members")
def members(request):
    return _members_page(request)


@requires("manage_members")
@require_POST
def invite(request):
    account = membership(request).account
    form = InviteForm(request.POST, may_manage_owners=can(request, "manage_owners"))
    if not form.is_valid():
        return _members_page(request, status=400, invite_form=form)
    invitation, link = invitations.invite(
        request, account, form.cleaned_data["email"], form.cleaned_data["role"], by=request.user
    )
    # The link is shown this once: only its hash is kept.
    return _members_page(request, invited=invitation, invite_link=link)


def _owners_left(account):
    return Membership.objects.filter(account=account, role=Role.OWNER).count()


def _target(request, username):
    """The member of the current account named username (404 for anyone else), and the
    refusal if the acting role may not touch them: only owners manage owners."""
    account = membership(request).account
    target = get_object_or_404(
        Membership.objects.select_related("user"), account=account, user__username=username
    )
    if target.role == Role.OWNER and not can(request, "manage_owners"):
        return target, forbidden(request)
    return target, None


@requires("manage_members")
@require_POST
def change_role(request, username):
    target, refused = _target(request, username)
    if refused:
        return refused
    form = RoleForm(request.POST, may_manage_owners=can(request, "manage_owners"))
    if not form.is_valid():
        if request.POST.get("role") == Role.OWNER:
            return forbidden(request)
        return _members_page(request, status=400, role_error=f"role: {form.errors['role'][0]}")
    new_role = form.cleaned_data["role"]
    with transaction.atomic():
        # Locked, so two owners demoting each other at once cannot leave none.
        owners = list(
            Membership.objects.select_for_update()
            .filter(account=target.account, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
        if target.pk in owners and new_role != Role.OWNER and len(owners) == 1:
            return _members_page(
                request,
                status=400,
                role_error=_(
                    "%(username)s is the account's last owner: make another member owner first."
                )
                % {"username": username},
            )
        old_role = target.role
        if old_role != new_role:
            target.role = new_role
            target.save(update_fields=["role"])
            audit.record(
                request,
                target.account,
                AuditAction.ROLE_CHANGED,
                username,
                old_role=old_role,
                new_role=new_role,
            )
    return redirect("team:members")


@requires("manage_members")
@require_POST
def remove_member(request, username):
    target, refused = _target(request, username)
    if refused:
        return refused
    with transaction.atomic():
        owners = list(
            Membership.objects.select_for_update()
            .filter(account=target.account, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
        if target.pk in owners and len(owners) == 1:
            return _members_page(
                request,
                status=400,
                role_error=_("%(username)s is the account's last owner and cannot be removed.")
                % {"username": username},
            )
        target.delete()
        audit.record(
            request, target.account, AuditAction.MEMBER_REMOVED, username, role=target.role
        )
    if target.user_id == request.user.pk:
        request.session.pop(SESSION_KEY, None)
        return redirect("/logs/")
    return redirect("team:members")


@requires("manage_members")
@require_POST
def revoke_invitation(request, invitation_id):
    account = membership(request).account
    pk = unseal(invitation_id)
    if pk is None:
        raise Http404("no such invitation")
    invitation = get_object_or_404(Invitation, pk=pk, account=account)
    invitations.revoke(request, invitation)
    return redirect("team:members")


# ----------------------------------------------------------------------------- invitation


def accept_invitation(request, token):
    """The invitation link: who is signed in joins; anyone else signs in first (next=here)
    or, new, picks a username and password. A used, revoked or expired link says so."""
    invitation = invitations.find(token)
    if invitation is None:
        return render(request, "settings/invitation.html", {"state": "unknown"}, status=404)
    state = invitation.state
    context = {"invitation": invitation, "state": state}
    if state != "pending":
        return render(request, "settings/invitation.html", context, status=410)
    if request.user.is_authenticated:
        if request.method == "POST":
            return _join(request, invitation, request.user)
        return render(request, "settings/invitation.html", context)
    form = SignUpForm(request.POST or None, email=invitation.email)
    context["form"] = form
    context["login_url"] = f"{reverse('login')}?next={request.path}"
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "settings/invitation.html", context, status=400)
        try:
            # One transaction: a link used meanwhile by someone else creates no user.
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    username=form.cleaned_data["username"],
                    email=invitation.email,
                    password=form.cleaned_data["password1"],
                )
                joined = invitations.accept(invitation, user, request=request)
        except invitations.InvitationNotValid as exc:
            return _not_valid(request, invitation, exc.state)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, joined)
    return render(request, "settings/invitation.html", context)


def _join(request, invitation, user):
    try:
        joined = invitations.accept(invitation, user, request=request)
    except invitations.InvitationNotValid as exc:
        return _not_valid(request, invitation, exc.state)
    return _joined(request, joined)


def _not_valid(request, invitation, state):
    context = {"invitation": invitation, "state": state}
    return render(request, "settings/invitation.html", context, status=410)


def _joined(request, membership):
    # The account just joined is the one the console opens on (after login(), which
    # starts a new session).
    request.session[SESSION_KEY] = membership.account_id
    return redirect("/logs/")


# ----------------------------------------------------------------------------- tokens


def _tokens_page(request, status=200, **extra):
    account = membership(request).account
    may_ingest = can(request, "ingest_tokens")
    context = {
        "account": account,
        "personal": ApiToken.objects.filter(user=request.user, revoked=False).order_by(
            "-created_at"
        ),
        "may_ingest": may_ingest,
        "ingest": IngestToken.objects.filter(account=account, revoked=False)
        .select_related("created_by")
        .order_by("-created_at")
        if may_ingest
        else [],
        "personal_form": TokenForm(prefix="personal"),
        "ingest_form": TokenForm(prefix="ingest"),
        **extra,
    }
    return render(request, "settings/tokens.html", context, status=status)


@requires("personal_tokens")
def tokens(request):
    return _tokens_page(request)


@requires("personal_tokens")
@require_POST
def create_personal_token(request):
    form = TokenForm(request.POST, prefix="personal")
    if not form.is_valid():
        return _tokens_page(request, status=400, personal_form=form)
    token, raw = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
    audit.record(
        request, membership(request).account, AuditAction.TOKEN_CREATED, token, kind="personal"
    )
    return _tokens_page(request, new_token=raw, new_token_name=token.name)


@requires("ingest_tokens")
@require_POST
def create_ingest_token(request):
    account = membership(request).account
    form = TokenForm(request.POST, prefix="ingest")
    if not form.is_valid():
        return _tokens_page(request, status=400, ingest_form=form)
    token, raw = IngestToken.issue(
        name=form.cleaned_data["name"], account=account, created_by=request.user
    )
    audit.record(request, account, AuditAction.TOKEN_CREATED, token, kind="ingest")
    return _tokens_page(request, new_token=raw, new_token_name=token.name)


def _revoke(request, tokens, token_id, kind):
    pk = unseal(token_id)
    if pk is None:
        raise Http404("no such token")
    token = get_object_or_404(tokens, pk=pk, revoked=False)
    # An UPDATE, not a cached flag: the next request's lookup (matching) no longer finds it.
    type(token).objects.filter(pk=token.pk).update(revoked=True)
    audit.record(request, membership(request).account, AuditAction.TOKEN_REVOKED, token, kind=kind)
    return redirect("team:tokens")


@requires("personal_tokens")
@require_POST
def revoke_personal_token(request, token_id):
    return _revoke(request, ApiToken.objects.filter(user=request.user), token_id, "personal")


@requires("ingest_tokens")
@require_POST
def revoke_ingest_token(request, token_id):
    account = membership(request).account
    return _revoke(request, IngestToken.objects.filter(account=account), token_id, "ingest")


# ----------------------------------------------------------------------------- audit log


def _detail_pairs(details):
    """An entry's details as (name, text) pairs: an export's filters as the query string
    they were (model=a model=b range=24h), lists joined, anything else as it is."""
    pairs = []
    for name, value in (details or {}).items():
        if isinstance(value, dict):
            value = " ".join(
                f"{key}={item}"
                for key, items in value.items()
                for item in (items if isinstance(items, list) else [items])
            )
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        pairs.append((name, str(value)))
    return pairs


@requires("audit_log")
def audit_log(request):
    account = membership(request).account
    params = AuditParams(request.GET)
    context = {"account": account, "params": params}
    status = 200
    if params.is_valid():
        entries = AuditEntry.objects.for_account(account).newest_first()
        if params.cleaned_data["actor"]:
            entries = entries.filter(actor_name=params.cleaned_data["actor"])
        if params.cleaned_data["action"]:
            entries = entries.filter(action=params.cleaned_data["action"])
        cursor = params.cleaned_data["cursor"]
        if cursor is not None:
            entries = entries.older_than(cursor.created_at, cursor.pk)
        # One row more than the page tells whether there is an older page: no COUNT.
        rows = list(entries[: AUDIT_PAGE_SIZE + 1])
        older = (
            Cursor.after(rows[AUDIT_PAGE_SIZE - 1], "o") if len(rows) > AUDIT_PAGE_SIZE else None
        )
        query = request.GET.copy()
        query.pop("cursor", None)
        for entry in rows:
            entry.detail_pairs = _detail_pairs(entry.details)
        context.update(
            entries=rows[:AUDIT_PAGE_SIZE],
            older_cursor=older,
            on_first_page=cursor is None,
            filter_query=query.urlencode(),
            # The filter's suggestions: the members, not a scan of the whole log for names.
            actors=Membership.objects.filter(account=account)
            .values_list("user__username", flat=True)
            .order_by("user__username")[:ACTOR_SUGGESTIONS],
        )
    else:
        status = 400
    return render_page_or_partial(request, "settings/audit.html", "entries", context, status=status)
