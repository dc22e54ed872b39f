"""Teams: who may do what in an account, and the settings pages that manage it.

- permissions.py: the roles' rules (one table), the view decorator that enforces them and
  the 403 page; the navigation asks the same table (billing.context_processors `can`).
- invitations.py: issuing, mailing, finding and accepting single-use invitation links; the
  accounts an email domain may join.
- audit.py: the append-only audit log's one writer, `record`; signins.py hears sign-ins
  from Django's and django-axes' signals.
- views.py, forms.py, urls.py: /settings/members/, /settings/tokens/, /settings/audit/ and
  the invitation's landing page (templates/settings/).
- oidc.py: sign-in through the company's OpenID Connect provider (mozilla-django-oidc):
  discovery, who a first sign-in lets in, OIDC_ONLY, the refusal page.
"""
