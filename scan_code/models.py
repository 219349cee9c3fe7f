"""One QR code of scan-code sign-in and the state of its confirmation."""

import uuid

from django.db import models
from django.utils import timezone


class ScanCode(models.Model):
    """A one-time sign-in request shown as a QR code in one browser.

    The QR code encodes a URL with a random token, of which only the SHA-256
    hash is stored. The browser that displayed it (the requester) keeps a
    secret in its session whose hash is ``requester_binding``, and only that
    browser can learn the result and complete the sign-in. The first phone
    browser that opens the URL is bound the same way through ``phone_binding``;
    any other browser that opens it gets the message that the code was already used.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be scanned"
        SCANNED = "scanned", "Scanned, waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed on the phone"
        DECLINED = "declined", "Declined on the phone"
        USED = "used", "Used to sign in"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        "authn.Application", on_delete=models.CASCADE, related_name="scan_codes"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    requester_binding = models.CharField(max_length=64)
    phone_binding = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # The end user who confirmed on the phone.
    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scan_codes",
    )
    # Identity sources of the phone's sign-in when it had no second factor:
    # the browser's sign-in needs the face step wherever they would.
    phone_sources = models.JSONField(default=list, blank=True)
    # Unix time of the confirming phone's own first factor; the browser's
    # sign-in rests on it (prompt=login, max_age and auth_time measure it).
    phone_signed_in_at = models.FloatField(null=True, blank=True)
    # Set when the browser that shows the code waits for a fresh sign-in
    # (prompt=login or max_age): the phone's first factor must be newer.
    fresh_after = models.FloatField(null=True, blank=True)
    # Shown on the phone, so the user can tell whether the request is theirs.
    requester_ip = models.GenericIPAddressField(null=True, blank=True)
    requester_user_agent = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    scanned_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"Scan code {self.pk} ({self.status})"

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at
