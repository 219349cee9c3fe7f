"""Create demo data for a local run and print how to use it as JSON."""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from authn.models import Application, EndUser, UserPool

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_POOL = "Demo pool"
DEMO_APP = "Demo app"
DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = (
        "Create a demo administrator, user pool, app with Face Recognition MFA on, and "
        "end user, then print their details as one JSON object. Run again to reset the "
        "demo passwords. Refuses to run with IDP_ENVIRONMENT=production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Scheme, host and port the server is reached at (default: %(default)s).",
        )

    def handle(self, *args, base_url, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates known accounts and is disabled in production."
            )

        admin_password = secrets.token_urlsafe(12)
        user_password = secrets.token_urlsafe(12)
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
            app.save()

            user, _ = EndUser.objects.get_or_create(pool=pool, username=DEMO_USERNAME)
            user.set_password(user_password)
            user.save()

        base_url = base_url.rstrip("/")
        result = {
            "console_url": base_url + reverse("console:login"),
            "admin_email": DEMO_ADMIN_EMAIL,
            "admin_password": admin_password,
            "pool": pool.name,
            "app": app.name,
            "hosted_login_url": base_url + reverse("authn:login", args=[app.client_id]),
            "user_username": user.username,
            "user_password": user_password,
        }
        self.stdout.write(json.dumps(result))
