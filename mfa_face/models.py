"""The face factor as a django-otp device."""

from datetime import timedelta

import numpy as np
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, VerifyNotAllowed

from idp.crypto import EncryptedBinaryField

from .conf import settings as face_settings

DESCRIPTOR_SIZE = 128


class FaceDevice(ThrottlingMixin, Device):
    """One end user's face enrollment.

    ``template`` contains the enrolled 128-D dlib descriptors as float64 bytes,
    never a photo or a frame, and ``quality`` the quality figures of the
    frames they came from, in the same order. ``Device.user`` is redefined to point at the
    pool-scoped end user instead of ``AUTH_USER_MODEL``, which holds only
    console administrators.
    """

    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        related_name="face_devices",
        help_text="The end user this face enrollment belongs to.",
    )
    # Encrypted at rest with the FACE_TEMPLATE_KEYS (see idp/crypto.py), so
    # the database alone does not reveal a template.
    template = EncryptedBinaryField()
    quality = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "Quality figures of the enrolled frames: eye distance in pixels, "
            "sharpness, brightness, yaw and pitch in degrees."
        ),
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    last_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta(Device.Meta):
        verbose_name = "face device"
        constraints = [
            models.UniqueConstraint(fields=["user"], name="facedevice_one_per_user"),
        ]

    def get_throttle_factor(self):
        return face_settings.MFA_FACE_THROTTLE_FACTOR

    def verify_is_allowed(self):
        """Return ``(True, None)``, or ``(False, details)`` while the factor is locked.

        The first ``MFA_FACE_LOCKOUT_FAILURES - 1`` consecutive failures only
        wait for django-otp's short exponential delay, so a user who was
        badly lit can retry at once. From the limit on, the factor locks for
        ``MFA_FACE_LOCKOUT_SECONDS``, doubled for each further failure.
        ``details["locked_until"]`` is the end of the current lock.
        """
        limit = face_settings.MFA_FACE_LOCKOUT_FAILURES
        failures = self.throttling_failure_count
        if failures < limit or self.throttling_failure_timestamp is None:
            return super().verify_is_allowed()

        lock = face_settings.MFA_FACE_LOCKOUT_SECONDS * 2 ** (failures - limit)
        locked_until = self.throttling_failure_timestamp + timedelta(seconds=lock)
        if timezone.now() < locked_until:
            return False, {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": failures,
                "locked_until": locked_until,
            }
        return True, None

    def lockout(self):
        """Return ``(False, None)``, or ``(True, details)`` while the lockout runs.

        Unlike :meth:`verify_is_allowed`, django-otp's short delay after the
        first failures does not count, so an attempt that started while it was
        allowed is still counted once the lockout alone permits it.
        """
        if self.throttling_failure_count < face_settings.MFA_FACE_LOCKOUT_FAILURES:
            return False, None
        allowed, details = self.verify_is_allowed()
        return (not allowed), details

    @property
    def descriptors(self):
        """The enrolled descriptors as a (k, 128) float64 array."""
        return np.frombuffer(bytes(self.template), dtype=np.float64).reshape(
            -1, DESCRIPTOR_SIZE
        )

    @descriptors.setter
    def descriptors(self, value):
        array = np.asarray(value, dtype=np.float64).reshape(-1, DESCRIPTOR_SIZE)
        self.template = array.tobytes()


class UsedChallenge(models.Model):
    """The SHA-256 of a face-step nonce that an upload has consumed.

    The unique constraint makes consumption atomic across requests and server
    processes: of two uploads that carry one nonce at the same moment, only
    the first insert succeeds. Rows are deleted once their nonce has expired.
    """

    nonce_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used face-step challenge"

    def __str__(self):
        return f"used challenge {self.nonce_hash[:8]}…"
