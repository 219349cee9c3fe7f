"""Settings of the recovery codes, read from Django settings with defaults.

Each attribute of ``settings`` is a ``MFA_RECOVERY_*`` name; a project sets it
in its Django settings module to override the default below.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Number of codes issued at once. Each code is usable once, so this is the
    # number of sign-ins without the face step before the user must get new
    # codes.
    "MFA_RECOVERY_CODE_COUNT": 10,
    # Seconds of django-otp's exponential delay after the first wrong code:
    # 1, 2, 4, 8 ... seconds after consecutive failures. 0 turns throttling
    # off. Each code carries 50 random bits, so the delay mainly slows an
    # attacker who tries codes against many sign-ins of one account.
    "MFA_RECOVERY_THROTTLE_FACTOR": 1,
}


class Settings:
    """The MFA_RECOVERY_* settings: each attribute is the Django setting or its default."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not a recovery code setting")
        return getattr(django_settings, name, DEFAULTS[name])


settings = Settings()
