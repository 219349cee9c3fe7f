"""Signing keys of each pool and the OAuth 2.0 records of end-user sign-ins.

django-oauth-toolkit's grant and token models point at ``AUTH_USER_MODEL``,
which holds only console administrators. The concrete models here replace them
(``OAUTH2_PROVIDER_*_MODEL`` settings) with the same fields but a ``user`` that
is the pool-scoped :class:`~authn.models.EndUser`.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)


class SigningKey(models.Model):
    """An RSA key pair that signs the ID tokens of one pool.

    A pool has at most one active key (``retired_at`` is NULL). A retired key
    signs nothing new but stays in the pool's JWKS until every ID token it
    signed has expired, so relying parties can still verify them.
    """

    pool = models.ForeignKey(
        "authn.UserPool", on_delete=models.CASCADE, related_name="signing_keys"
    )
    # RFC 7638 JWK thumbprint of the public key, sent as the JWS "kid" header.
    kid = models.CharField(max_length=64, unique=True)
    # NOTE: the private key is stored unencrypted, so database backups must be
    # protected like SECRET_KEY.
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool"],
                condition=Q(retired_at__isnull=True),
                name="signingkey_one_active_per_pool",
            ),
        ]

    def __str__(self):
        return f"Signing key {self.kid} of pool {self.pool_id}"


class Grant(AbstractGrant):
    """An authorization code, with how the end user authenticated for it."""

    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        related_name="%(app_label)s_%(class)s",
    )
    # When the sign-on session behind this code authenticated the user.
    auth_time = models.DateTimeField(null=True, blank=True)
    # RFC 8176 authentication method references, for example ["pwd", "face", "mfa"].
    amr = models.JSONField(default=list, blank=True)
    acr = models.CharField(max_length=255, blank=True, default="")
    # Set when the code is exchanged. The row is kept until it expires so that
    # a second exchange is recognised as reuse and revokes the tokens of the
    # first (RFC 6749, section 4.1.2).
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractGrant.Meta):
        pass


class AccessToken(AbstractAccessToken):
    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        blank=True,
        null=True,
        related_name="%(app_label)s_%(class)s",
    )
    # The authorization code this token was issued for; NULL for tokens from a
    # refresh, which carry ``source_refresh_token`` instead.
    source_grant = models.ForeignKey(
        Grant,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="access_tokens",
    )

    class Meta(AbstractAccessToken.Meta):
        pass


class RefreshToken(AbstractRefreshToken):
    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        related_name="%(app_label)s_%(class)s",
    )

    class Meta(AbstractRefreshToken.Meta):
        pass


class IDToken(AbstractIDToken):
    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        blank=True,
        null=True,
        related_name="%(app_label)s_%(class)s",
    )

    class Meta(AbstractIDToken.Meta):
        pass
