"""Create demo data for a local run and print how to use it as JSON."""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from oauth2_provider.generators import generate_client_secret

from authn.models import Application, EndUser, UserPool
from oidc.conf import settings as oidc_settings
from oidc.keys import active_signing_key

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_POOL = "Demo pool"
DEMO_APP = "Demo app"
DEMO_USERNAME = "demo"
DEMO_REDIRECT_URI = "http://localhost:8080/callback"


class Command(BaseCommand):
    help = (
        "Create a demo administrator, user pool, app with Face Recognition MFA on, and "
        "end user, then print their details as one JSON object, with the OpenID Connect "
        "issuer and the app's client credentials. Run again to reset the demo passwords "
        "and the client secret. Refuses to run with IDP_ENVIRONMENT=production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Scheme, host and port the server is reached at (default: %(default)s).",
        )
        parser.add_argument(
            "--redirect-uri",
            default=DEMO_REDIRECT_URI,
            help=(
                "Redirect URI registered on the demo app, where an OpenID Connect "
                "client receives the code (default: %(default)s)."
            ),
        )

    def handle(self, *args, base_url, redirect_uri, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates known accounts and is disabled in production."
            )

        admin_password = secrets.token_urlsafe(12)
        user_password = secrets.token_urlsafe(12)
        # The application stores only a hash of the secret, so this run is the
        # one chance to print it.
        client_secret = generate_client_secret()
        with transaction.atomic():
            admin, _ = get_user_model().objects.get_or_create(
                username=DEMO_ADMIN_EMAIL, defaults={"email": DEMO_ADMIN_EMAIL}
            )
            admin.set_password(admin_password)
            admin.save()

            pool, _ = UserPool.objects.get_or_create(owner=admin, name=DEMO_POOL)
            app, _ = Application.objects.get_or_create(
                pool=pool,
                name=DEMO_APP,
                defaults={
                    "user": admin,
                    "client_type": Application.CLIENT_CONFIDENTIAL,
                    "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                    "algorithm": Application.RS256_ALGORITHM,
                },
            )
            app.custom_security_rules = True
            app.face_mfa_enabled = True
            app.client_secret = client_secret
            if redirect_uri not in app.redirect_uris.split():
                app.redirect_uris = " ".join([*app.redirect_uris.split(), redirect_uri])
            app.save()
            active_signing_key(pool)

            user, _ = EndUser.objects.get_or_create(pool=pool, username=DEMO_USERNAME)
            user.set_password(user_password)
            user.save()

        base_url = base_url.rstrip("/")
        issuer_base = (oidc_settings.OIDC_ISSUER_BASE_URL or base_url).rstrip("/")
        result = {
            "console_url": base_url + reverse("console:login"),
            "admin_email": DEMO_ADMIN_EMAIL,
            "admin_password": admin_password,
            "pool": pool.name,
            "app": app.name,
            "hosted_login_url": base_url + reverse("authn:login", args=[app.client_id]),
            "user_username": user.username,
            "user_password": user_password,
            "issuer": issuer_base + issuer_path(pool),
            "client_id": app.client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
        }
        self.stdout.write(json.dumps(result))


def issuer_path(pool):
    """Return the path of the pool's issuer (see oidc/issuer.py)."""
    discovery = reverse("oidc:discovery", kwargs={"pool_id": pool.pk})
    return discovery.removesuffix("/.well-known/openid-configuration")
