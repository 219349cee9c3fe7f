"""Recovery codes as a django-otp device of the pool-scoped end user.

A code is 10 characters of Crockford's base32 (50 random bits), shown to the
user as ``XXXXX-XXXXX``. Only a salted SHA-256 hash of each code is stored: a
slow password hash would add nothing, because the codes are random and not
chosen by people, so there is no dictionary to search.

django-otp's own static device (``django_otp.plugins.otp_static``) is not
used for two reasons: its ``user`` is a foreign key to ``AUTH_USER_MODEL``,
which contains only console administrators here, and it stores each token in
plaintext.
"""

import hashlib
import hmac
import secrets

from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from .conf import settings as recovery_settings

# Douglas Crockford's base32 alphabet: no I, L, O or U, so a code read aloud
# or copied by hand has no look-alike characters.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
GROUP_LENGTH = 5
# Inputs longer than this are not hashed; no formatting of a code comes close.
MAX_INPUT_LENGTH = 64

# Crockford's decoding rules for the letters the alphabet leaves out.
LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def generate_code():
    """Return a new random code formatted as ``XXXXX-XXXXX``."""
    characters = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{characters[:GROUP_LENGTH]}-{characters[GROUP_LENGTH:]}"


def normalize_code(text):
    """Return ``text`` as the user meant it: upper case, no dashes or spaces.

    Lower case, any whitespace, dashes, and the look-alike letters I, L and O
    are accepted, so ``abcde fghjk`` and ``ABCDE-FGHJK`` are the same code.
    """
    stripped = "".join(
        character for character in text if not character.isspace() and character != "-"
    )
    return stripped.upper().translate(LOOK_ALIKES)


def hash_code(salt, normalized):
    """Return the hex SHA-256 of a normalized code under the device's salt."""
    return hashlib.sha256(f"{salt}:{normalized}".encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """The set of recovery codes of one end user.

    The codes themselves are :class:`RecoveryCode` rows. ``Device.user`` is
    redefined to point at the pool-scoped end user, as the face device does.
    Consecutive wrong codes are throttled by django-otp's exponential delay.
    """

    user = models.ForeignKey(
        "authn.EndUser",
        on_delete=models.CASCADE,
        related_name="recovery_code_devices",
        help_text="The end user these recovery codes belong to.",
    )
    # Mixed into every code's hash, so equal codes of two users hash apart and
    # a table of precomputed hashes is useless. Replaced at every issue.
    salt = models.CharField(max_length=32)

    class Meta(Device.Meta):
        verbose_name = "recovery code device"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], name="recoverycodedevice_one_per_user"
            ),
        ]

    def get_throttle_factor(self):
        return recovery_settings.MFA_RECOVERY_THROTTLE_FACTOR

    def replace_codes(self, count):
        """Delete every code of this device and store ``count`` new ones.

        Also clears the throttling state, because none of the new codes has
        been guessed at.

        :returns: the new codes in plaintext, formatted as ``XXXXX-XXXXX``.
            They are not stored anywhere and cannot be shown again.
        """
        codes = [generate_code() for _ in range(count)]

        self.salt = secrets.token_hex(16)
        self.throttle_reset(commit=False)
        self.save()

        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(
                device=self, code_hash=hash_code(self.salt, normalize_code(code))
            )
            for code in codes
        )
        return codes

    def verify_token(self, token):
        """Consume the code ``token`` if it is one of this device's codes.

        Follows django-otp's contract: returns False without checking while
        throttled, counts a failure for a wrong code, and resets the count on
        a match. Every stored hash is compared, with ``hmac.compare_digest``,
        so the time taken does not depend on which code matched.

        :returns: True when a code matched and was deleted.
        """
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False

        match = None
        if len(token) <= MAX_INPUT_LENGTH:
            candidate = hash_code(self.salt, normalize_code(token))
            for code in self.codes.all():
                if hmac.compare_digest(code.code_hash, candidate):
                    match = code

        # Checking the delete count keeps a code single-use even when two
        # requests matched it at the same time without a row lock.
        if match is not None and RecoveryCode.objects.filter(pk=match.pk).delete()[0]:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True

        self.throttle_increment(commit=True)
        return False


class RecoveryCode(models.Model):
    """One unused recovery code, stored as its salted SHA-256 hex digest."""

    device = models.ForeignKey(
        RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes"
    )
    code_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        # Only the hash exists; its first characters tell two rows apart.
        return f"recovery code {self.code_hash[:8]}…"
