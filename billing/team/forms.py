"""The settings pages' forms. Each error names its field."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from zenlogs.keyset import CursorField

from ..models import AuditAction, Role


def role_choices(may_manage_owners):
    """The roles one may give: owners only by an owner."""
    return [(r.value, r.label) for r in Role if may_manage_owners or r != Role.OWNER]


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField()

    def __init__(self, *args, may_manage_owners=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(may_manage_owners)
        self.fields["role"].initial = Role.MEMBER


class RoleForm(forms.Form):
    role = forms.ChoiceField()

    def __init__(self, *args, may_manage_owners=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(may_manage_owners)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


class SignUpForm(forms.Form):
    """A new user accepting an invitation: username and password, Django's validators."""

    username = forms.CharField(max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self):
        username = self.cleaned_data["username"]
        field = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD)
        for validator in field.validators:
            validator(username)
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            user = get_user_model()(username=cleaned.get("username", ""), email=self.email)
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AuditParams(forms.Form):
    cursor = CursorField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(
        required=False, choices=[("", _("Any action")), *AuditAction.choices]
    )

    def clean_cursor(self):
        cursor = self.cleaned_data["cursor"]
        # Like the ledger, the log only pages back in time (Older, then Newest).
        if cursor is not None and cursor.direction != "o":
            raise forms.ValidationError(_("This page link is not valid; start from the newest."))
        return cursor


class MembersParams(forms.Form):
    """/settings/members/'s query: a text to find members by, and the username the page
    starts after (the list is by username, a page at a time: an account that lets its email
    domain in can have thousands)."""

    q = forms.CharField(required=False, max_length=150, label=_("Find"))
    after = forms.CharField(required=False, max_length=150)
