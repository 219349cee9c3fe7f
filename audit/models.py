"""The audit log: one row per security-relevant event of a user pool."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class EventType(models.TextChoices):
    SIGN_IN_SUCCEEDED = "sign_in_succeeded", "Sign-in succeeded"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGNED_OUT = "signed_out", "Signed out"
    PASSWORD_LOCKED = "password_locked", "Password sign-in locked"
    FACE_ENROLLED = "face_enrolled", "Face enrolled"
    FACE_VERIFIED = "face_verified", "Face verified"
    FACE_REJECTED = "face_rejected", "Face rejected"
    FACE_LOCKED = "face_locked", "Face Recognition locked"
    FACE_RESET = "face_reset", "Face reset by an administrator"
    FACE_DELETED = "face_deleted", "Face data deleted by the user"
    RECOVERY_CODES_ISSUED = "recovery_codes_issued", "Recovery codes issued"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    RECOVERY_CODE_REJECTED = "recovery_code_rejected", "Recovery code rejected"
    MFA_SWITCH_CHANGED = "mfa_switch_changed", "MFA switch changed"


class AuditEvent(models.Model):
    """One recorded event. Write rows with :func:`audit.events.record`.

    Every reference is SET_NULL, so deleting a user, an app or an
    administrator keeps their history. ``identifier`` keeps the user's name as
    it was at the time.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=32, choices=EventType.choices)
    pool = models.ForeignKey(
        "authn.UserPool",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    end_user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # The end user's display name, or for a failed sign-in of an unknown
    # account the identifier that was typed.
    identifier = models.CharField(max_length=254, blank=True)
    # The console administrator who acted, for resets and switch changes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # Facts about the event such as the face distance, a reason code, or a
    # switch name and its new value. Never a secret: record() rejects them.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["pool", "-created_at"], name="audit_pool_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_event_display()} at {self.created_at:%Y-%m-%d %H:%M:%S}"
