"""The console's language: which one a request is answered in, and the header's switcher.

Django's LocaleMiddleware picks the language cookie, else the browser's Accept-Language. A
signed-in user's own choice, stored on their profile (UserProfile.language), wins over both
and follows them to any browser they sign in from: it is copied into the session when they
sign in, so reading it costs no query on every page. The switcher stores the choice on the
profile (signed in) and always in the language cookie, which the sign-in page goes by.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import UserProfile

SESSION_KEY = "zenlogs_language"


class LanguageParams(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)


def stored_language(user):
    """The language the user chose, or "" when they left it to the browser."""
    language = UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else ""


@receiver(user_logged_in, dispatch_uid="zenlogs_language_on_sign_in")
def _remember_on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = stored_language(user)


class UserLanguageMiddleware:
    """Activates a signed-in user's stored language (after LocaleMiddleware, which chose from
    the cookie or Accept-Language, and after the user is known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_KEY, "")
            if language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def switch_language(request):
    """The header's switcher: stores the choice (on the user when signed in, and in the
    cookie) and goes back to the page it was made on."""
    params = LanguageParams(request.POST)
    if not params.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in params.errors.items())
        return HttpResponseBadRequest(
            _("Invalid language switch: %(errors)s") % {"errors": errors} + "\n",
            content_type="text/plain; charset=utf-8",
        )
    language = params.cleaned_data["language"]
    if request.user.is_authenticated:
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    next_url = params.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/logs/"
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
