"""Invitations: a single-use link to join an account with a role, valid INVITATION_DAYS.

The link carries a 256-bit random token; only its sha256 is stored, as for API tokens, so
the link is shown once (to the admin, to copy) and mailed, never kept. Accepting is the one
place a membership is made from an invitation, for the link's page and for single sign-on
alike (`pending_for_email`, `accept`)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import ROLE_RANKS, Account, AuditAction, Invitation, Membership, Role
from . import audit

INVITATION_DAYS = 7
TOKEN_PREFIX = "zl_inv_"


class InvitationNotValid(Exception):
    """The invitation was used, revoked or has expired; `state` says which."""

    def __init__(self, state):
        super().__init__(f"this invitation is {state}")
        self.state = state


def _hash(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def link_for(raw, request=None):
    path = reverse("team:invitation", args=[raw])
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def invite(request, account, email, role, by=None):
    """Issues an invitation, mails its link and records it in the audit log. Returns
    (invitation, link): the link exists nowhere else once the caller has shown it."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        account=account,
        email=email,
        role=role,
        token_hash=_hash(raw),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    link = link_for(raw, request)
    sender = by.get_username() if by is not None else "An administrator"
    send_mail(
        subject=f"You are invited to {account.name or account.external_id} on ZenLogs",
        message=(
            f"{sender} invited you to join {account.name or account.external_id} on ZenLogs "
            f"as {Role(role).label.lower()}.\n\n"
            f"Open this link within {INVITATION_DAYS} days to accept (it works once):\n\n"
            f"{link}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    audit.record(
        request,
        account,
        AuditAction.INVITATION_SENT,
        invitation,
        actor=by,
        email=email,
        role=role,
    )
    return invitation, link


def find(raw):
    """The invitation a link names, whatever its state, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    return Invitation.objects.select_related("account").filter(token_hash=_hash(raw)).first()


def pending_for_email(email):
    """The newest valid pending invitation for this email (case-insensitive), or None."""
    if not email:
        return None
    return (
        Invitation.objects.pending()
        .filter(email__iexact=email.strip())
        .select_related("account")
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def accept(invitation, user, request=None):
    """Joins `user` to the invitation's account with its role and marks it used, once: a
    second call (or a race with revoking) raises InvitationNotValid. A user already in the
    account keeps the higher of the two roles. Records invitation.accepted. Returns the
    Membership."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise InvitationNotValid(invitation.state)
    membership, created = Membership.objects.get_or_create(
        user=user, account=invitation.account, defaults={"role": invitation.role}
    )
    if not created and ROLE_RANKS[Role(invitation.role)] > ROLE_RANKS[Role(membership.role)]:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        request,
        invitation.account,
        AuditAction.INVITATION_ACCEPTED,
        invitation,
        actor=user,
        email=invitation.email,
        role=membership.role,
    )
    return membership


@transaction.atomic
def revoke(request, invitation):
    """Revokes a pending invitation (its link then says so) and records it. Returns False
    when it was no longer pending."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        return False
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        request,
        invitation.account,
        AuditAction.INVITATION_REVOKED,
        invitation,
        email=invitation.email,
    )
    return True


def accounts_allowing(email):
    """The accounts whose allowed email domains include this email's (single sign-on joins
    them as viewer without an invitation)."""
    domain = (email or "").rpartition("@")[2].strip().lower()
    if not domain:
        return []
    # allowed_email_domains is free text an admin types: read in Python, over the few
    # accounts that have any.
    candidates = Account.objects.exclude(allowed_email_domains="")
    return [account for account in candidates if domain in account.email_domains()]
