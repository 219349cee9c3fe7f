"""User pools, self-built applications and the end users who sign in to them.

Administrators are Django's own ``auth.User`` and only ever use the console.
End users are :class:`EndUser` rows scoped to one pool: they are never Django
users, so an end-user sign-in cannot grant console access.
"""

import uuid

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AbstractApplication


class IdentitySource(models.TextChoices):
    """The method by which the end user passed the first factor."""

    PASSWORD = "password", "Password sign-in (username, email or phone)"
    SCAN_CODE = "scan_code", "Scan-code sign-in"


class LivenessLevel(models.TextChoices):
    """Strength of the face step's check that a live person is in front of the camera."""

    OFF = "off", "Off"
    PASSIVE = "passive", "Passive"
    ACTIVE = "active", "Active"


class UserPool(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_pools"
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    # Security Settings -> Multi-factor Authentication -> Face Recognition.
    face_mfa_enabled = models.BooleanField(default=False)
    # Policy Configuration: the identity sources that pool-wide MFA applies to.
    mfa_on_password = models.BooleanField(default=True)
    mfa_on_scan_code = models.BooleanField(default=True)
    # Security Settings -> Face Recognition liveness (presentation-attack
    # detection) applied to every face step of this pool.
    # ISO 3166 alpha-2 region in which phone numbers without a country code
    # are read, at user creation and at sign-in; "" requires a country code.
    default_country = models.CharField(max_length=2, blank=True, default="")
    liveness = models.CharField(
        max_length=16, choices=LivenessLevel.choices, default=LivenessLevel.PASSIVE
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def mfa_applies_to_source(self, identity_source):
        if identity_source == IdentitySource.SCAN_CODE:
            return self.mfa_on_scan_code
        return self.mfa_on_password


class Application(AbstractApplication):
    """A self-built app: an OpenID Connect client (relying party) of one pool.

    django-oauth-toolkit's abstract application supplies the client id, the
    hashed client secret, the redirect URIs and the grant type. This model adds
    the pool and the app's own security rules. ``AbstractApplication.user`` is
    the administrator who created the app.
    """

    pool = models.ForeignKey(
        UserPool, on_delete=models.CASCADE, related_name="applications"
    )

    # Advanced Configuration -> Customize security rules for this app. While on,
    # the app's own switches below replace the pool's MFA settings.
    custom_security_rules = models.BooleanField(default=False)
    # Security Management -> Multi-factor Authentication -> Face Recognition.
    face_mfa_enabled = models.BooleanField(default=False)

    class Meta(AbstractApplication.Meta):
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def generate_new_client_secret(self):
        """Replace the client secret with a new random one and return it in clear.

        ``ClientSecretField`` hashes the value when the row is saved, so the
        returned string is the only clear copy. Show it once, then drop it. The
        caller saves the row, and until then the old secret stays valid.
        """
        secret = generate_client_secret()
        self.client_secret = secret
        return secret


class EndUser(models.Model):
    """A person who signs in through the hosted login of one pool.

    At least one of username, email and phone is set. Each is unique within
    the pool, so the same username in two pools is two different people.
    """

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="users")
    # Stable subject identifier; the username can change, this never does.
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL, not "", marks an unused identifier, so the per-pool unique
    # constraints below ignore it.
    username = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    password = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "username"], name="enduser_unique_username_per_pool"
            ),
            models.UniqueConstraint(
                "pool", Lower("email"), name="enduser_unique_email_per_pool"
            ),
            models.UniqueConstraint(
                fields=["pool", "phone"], name="enduser_unique_phone_per_pool"
            ),
            models.CheckConstraint(
                condition=Q(username__isnull=False)
                | Q(email__isnull=False)
                | Q(phone__isnull=False),
                name="enduser_has_identifier",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.username or self.email or self.phone or str(self.sub)

    # django-otp reads these when it treats this model as a device owner.
    is_authenticated = True
    is_anonymous = False

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        def upgrade(raw):
            self.set_password(raw)
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, upgrade)
