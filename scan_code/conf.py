"""Settings of scan-code sign-in, read from Django settings with defaults.

Each attribute of ``settings`` is a ``SCAN_CODE_*`` name that a project may set
in its Django settings module.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Seconds a QR code can be scanned and confirmed. Two minutes is enough to
    # take out a phone, sign in on it and confirm, and short enough that a
    # photographed code is soon worthless.
    "SCAN_CODE_TTL": 120,
    # Milliseconds between two status requests of the waiting page.
    "SCAN_CODE_POLL_INTERVAL_MS": 2000,
    # Module size of the QR code image, in SVG units (pixels at 100 % zoom).
    "SCAN_CODE_QR_SCALE": 6,
    # Hours an expired code is kept before it is deleted. Expired codes are
    # useless; they are kept a little so the logs can be related to them.
    "SCAN_CODE_RETENTION_HOURS": 24,
}


class Settings:
    """The SCAN_CODE_* settings: each attribute is the Django setting or its default."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not a scan-code sign-in setting")
        return getattr(django_settings, name, DEFAULTS[name])


settings = Settings()
