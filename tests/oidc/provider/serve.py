"""Starts the test provider: `python -m tests.oidc.provider.serve` with PROVIDER_DB (an
SQLite file, new) and PROVIDER_CONFIG (JSON: client_id, client_secret, redirect_uri, users
as [username, email, password]). It binds a free port on 127.0.0.1, migrates, creates the
users and a confidential client that must use PKCE, prints its issuer URL on one line, then
serves until it is terminated."""

import json
import logging
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def main():
    config = json.loads(os.environ["PROVIDER_CONFIG"])
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    issuer = f"http://127.0.0.1:{server.server_address[1]}/o"
    os.environ["PROVIDER_ISSUER"] = issuer
    os.environ["PROVIDER_RSA_KEY"] = _rsa_key()
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc.provider.settings"

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", run_syncdb=True, verbosity=0)
    for username, email, password in config["users"]:
        get_user_model().objects.create_user(username, email=email, password=password)
    Application.objects.create(
        name="ZenLogs",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=config["redirect_uri"],
        post_logout_redirect_uris=config["post_logout_redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    logging.getLogger("django").setLevel(logging.ERROR)
    server.set_app(get_wsgi_application())
    print(issuer, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
