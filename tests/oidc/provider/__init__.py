"""A real OpenID Connect provider for the sign-in tests: django-oauth-toolkit's, in a small
Django project of its own (settings, URLs, a sign-in page) that `serve` runs in a second
process with its own SQLite database and an RSA key made at start. See tests/oidc/conftest.py.
"""
