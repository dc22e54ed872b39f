"""Sign-ins in the audit log. Django's login view (and any single sign-on that ends in
django.contrib.auth.login) and django-axes send these signals; each attempt leaves one entry.

Axes' receivers run first (axes comes before billing in INSTALLED_APPS), so by the time a
failure reaches us request.axes_locked_out says whether this attempt was refused by the
lockout or was the one that started it: either is recorded as locked out, not as failed."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from ..models import AuditAction
from . import audit


def _method(user):
    backend = getattr(user, "backend", "") or ""
    if backend.endswith("OIDCBackend"):
        return "oidc"
    return "password" if backend.endswith(("ModelBackend", "AxesStandaloneBackend")) else backend


@receiver(user_logged_in, dispatch_uid="audit_signin_succeeded")
def _signed_in(sender, request, user, **kwargs):
    audit.record(request, None, AuditAction.SIGNIN_SUCCEEDED, actor=user, method=_method(user))


@receiver(user_login_failed, dispatch_uid="audit_signin_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    if "password" not in credentials:
        # The OpenID Connect callback's (its credentials are the flow's nonce and PKCE
        # verifier): billing.team.oidc records that one, with the email and why.
        return
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")[:150]
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    locked = bool(getattr(request, "axes_locked_out", False))
    action = AuditAction.SIGNIN_LOCKED_OUT if locked else AuditAction.SIGNIN_FAILED
    audit.record(request, None, action, actor=user or username)
