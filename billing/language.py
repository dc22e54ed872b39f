"""The console's language: which one a request is answered in, and the header's switcher.

Django's LocaleMiddleware answers in the language of the language cookie, else the browser's
Accept-Language. The switcher stores the choice in that cookie, and on the user's profile
(UserProfile.language) when they are signed in, so that it follows them: signing in from
another browser sets the cookie there from the profile. The cookie is the only thing read per
request, so choosing the language costs no query, not even on the 500 page, which must not
touch the database.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zenlogs.responses import invalid_form

from .models import UserProfile


class LanguageParams(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)


def stored_language(user):
    """The language the user chose, or "" when they left it to the browser."""
    language = UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else ""


def set_language_cookie(response, language):
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


@receiver(user_logged_in, dispatch_uid="zenlogs_language_on_sign_in")
def _remember_on_sign_in(sender, request, user, **kwargs):
    # The sign-in's answer (LanguageCookieMiddleware) carries the user's own choice.
    if request is not None:
        request.zenlogs_language = stored_language(user)


class LanguageCookieMiddleware:
    """Sets the language cookie on the answer to a sign-in, from the user's profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = getattr(request, "zenlogs_language", "")
        if language:
            set_language_cookie(response, language)
        return response


@require_POST
def switch_language(request):
    """The header's switcher: stores the choice (on the user when signed in, and in the
    cookie) and goes back to the page it was made on."""
    params = LanguageParams(request.POST)
    if not params.is_valid():
        return invalid_form(_("Invalid language switch: %(errors)s"), params)
    language = params.cleaned_data["language"]
    if request.user.is_authenticated:
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    next_url = params.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/logs/"
    response = redirect(next_url)
    set_language_cookie(response, language)
    return response
