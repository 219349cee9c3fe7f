"""Per-pool ID token signing keys: creation, rotation and the published JWKS."""

import json
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

from .conf import settings as oidc_settings
from .models import SigningKey

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"


def new_key_pair():
    """Return a new RSA JWK of ``OIDC_SIGNING_KEY_BITS`` bits."""
    return jwk.JWK.generate(
        kty="RSA", size=oidc_settings.OIDC_SIGNING_KEY_BITS, alg=ALGORITHM, use="sig"
    )


def create_signing_key(pool):
    """Store a new active key for ``pool`` and return it.

    :raises IntegrityError: ``pool`` already has an active key.
    """
    key = new_key_pair()
    return SigningKey.objects.create(
        pool=pool,
        kid=key.thumbprint(),
        private_key_pem=key.export_to_pem(private_key=True, password=None).decode(),
    )


def active_signing_key(pool):
    """Return the key that signs new ID tokens of ``pool``, creating it on first use.

    Two requests may create the first key at the same time. The partial unique
    constraint lets only one insert succeed, and the other request reads it.
    """
    key = SigningKey.objects.filter(pool=pool, retired_at__isnull=True).first()
    if key is not None:
        return key

    try:
        with transaction.atomic():
            key = create_signing_key(pool)
    except IntegrityError:
        return SigningKey.objects.get(pool=pool, retired_at__isnull=True)

    logger.info("signing key created pool=%s kid=%s", pool.pk, key.kid)
    return key


def publication_period():
    """Return how long a retired key stays published: the ID token lifetime."""
    return timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)


def rotate_signing_key(pool):
    """Retire the active key of ``pool``, make a new one active and return it.

    Keys retired longer ago than the ID token lifetime are deleted, because no
    unexpired token can carry their signature any more.
    """
    now = timezone.now()
    with transaction.atomic():
        SigningKey.objects.select_for_update().filter(
            pool=pool, retired_at__isnull=True
        ).update(retired_at=now)
        key = create_signing_key(pool)
        removed, _ = SigningKey.objects.filter(
            pool=pool, retired_at__lt=now - publication_period()
        ).delete()

    logger.info(
        "signing key rotated pool=%s kid=%s expired_keys_removed=%s",
        pool.pk,
        key.kid,
        removed,
    )
    return key


def published_signing_keys(pool):
    """Return the keys of ``pool`` whose signatures relying parties may still see.

    That is the active key (created if missing) and every key retired less
    than one ID token lifetime ago, newest first.
    """
    active = active_signing_key(pool)
    retired = SigningKey.objects.filter(
        pool=pool, retired_at__gte=timezone.now() - publication_period()
    )
    return [active, *retired]


def private_jwk(signing_key):
    """Return the jwcrypto JWK of a stored key, private part included."""
    return jwk.JWK.from_pem(signing_key.private_key_pem.encode())


def public_jwk_dict(signing_key):
    """Return the public JWK of a stored key as a dict for the JWKS document."""
    public = json.loads(private_jwk(signing_key).export_public())
    return {**public, "kid": signing_key.kid, "alg": ALGORITHM, "use": "sig"}


def verification_key_set(pool):
    """Return a JWKSet with the public keys that verify this pool's ID tokens."""
    key_set = jwk.JWKSet()
    for signing_key in published_signing_keys(pool):
        key_set.add(jwk.JWK(**public_jwk_dict(signing_key)))
    return key_set


def jwks_document(pool):
    """Return the JWKS document of ``pool`` (RFC 7517, section 5)."""
    return {"keys": [public_jwk_dict(key) for key in published_signing_keys(pool)]}
