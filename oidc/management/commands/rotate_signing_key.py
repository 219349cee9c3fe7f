"""Rotate the ID token signing key of one user pool."""

from django.core.management.base import BaseCommand, CommandError

from authn.models import UserPool
from oidc.keys import publication_period, rotate_signing_key


class Command(BaseCommand):
    help = (
        "Make a new RSA key sign the ID tokens of a user pool. The old key stays "
        "in the pool's JWKS for one ID token lifetime, so tokens it signed still "
        "verify; keys retired longer ago are deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("pool_id", type=int, help="ID of the user pool.")

    def handle(self, *args, pool_id, **options):
        pool = UserPool.objects.filter(pk=pool_id).first()
        if pool is None:
            raise CommandError(f"No user pool has the ID {pool_id}.")

        key = rotate_signing_key(pool)
        hours = publication_period().total_seconds() / 3600
        self.stdout.write(
            f"Pool {pool.pk} ({pool.name}) now signs with key {key.kid}. The previous "
            f"key stays published for {hours:g} hours."
        )
