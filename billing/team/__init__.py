"""Teams: who may do what in an account, and the settings pages that manage it.

- permissions.py: the roles' rules (one table), the view decorator that enforces them and
  the 403 page; the navigation asks the same table.
- invitations.py: issuing, mailing, finding and accepting single-use invitation links.
- audit.py: the append-only audit log's one writer, `record`.
- views.py, forms.py: /settings/members/, /settings/tokens/, /settings/audit/ and the
  invitation's landing page.
"""
