"""The face factor as a django-otp device."""

import numpy as np
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

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
    template = models.BinaryField()
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
