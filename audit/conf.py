"""Settings of the audit log, read from Django settings with defaults.

Each attribute of ``settings`` is an ``AUDIT_*`` name; a project sets it in its
Django settings module to override the default below.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Take the client IP from the last address of X-Forwarded-For, the one the
    # reverse proxy in front of the app appended, instead of REMOTE_ADDR. Turn
    # it on only behind exactly one trusted proxy that sets the header; without
    # such a proxy a client can write any address into it.
    "AUDIT_TRUST_X_FORWARDED_FOR": False,
    # Events per page of the console's audit log.
    "AUDIT_PAGE_SIZE": 50,
}


class Settings:
    """The AUDIT_* settings: each attribute is the Django setting or its default."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not an audit log setting")
        return getattr(django_settings, name, DEFAULTS[name])


settings = Settings()
