"""The audit log's one writer. Every action the log covers calls `record` once, from the view
or command that did it; nothing updates or deletes an entry (billing.models.AuditEntry)."""

from django.contrib.auth import get_user_model

from zenlogs.lockout import client_address

from ..models import Account, AuditEntry


def _object_fields(obj):
    if obj is None:
        return "", ""
    if isinstance(obj, str):
        return "", obj[:200]
    label = getattr(obj, "audit_label", None)
    return obj._meta.model_name, str(label if label is not None else obj)[:200]


def record(request, account, action, obj=None, *, actor=None, **details):
    """Writes one entry: `action` (an AuditAction) by `actor` (a user, or the username as
    typed for a sign-in that matched none; by default the request's signed-in user) on `obj`
    (a model instance or a short text) in `account`, from the request's client address
    (request is None for commands). `details` are stored as JSON (filters, old and new role).

    `account` None means the action belongs to the actor rather than one account (a sign-in):
    it is then written once to each account the actor is a member of, so every account's
    admins see what happened to their member; with no such account (an unknown username),
    once with no account, which only /admin/ shows. Returns the entries written."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    user = actor if isinstance(actor, get_user_model()) else None
    actor_name = user.get_username() if user is not None else (actor or "")
    object_type, object_ref = _object_fields(obj)
    fields = {
        "actor": user,
        "actor_name": str(actor_name)[:150],
        "ip_address": client_address(request) if request is not None else None,
        "action": action,
        "object_type": object_type,
        "object_ref": object_ref,
        "details": details,
    }
    if account is not None:
        accounts = [account]
    elif user is not None:
        accounts = list(Account.objects.for_user(user)) or [None]
    else:
        accounts = [None]
    return [AuditEntry.objects.create(account=each, **fields) for each in accounts]
