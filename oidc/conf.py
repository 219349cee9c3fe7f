"""Settings of the OpenID Connect provider, read from Django settings with defaults.

Each attribute of ``settings`` is an ``OIDC_*`` name that a project may set in
its Django settings module. Token lifetimes are django-oauth-toolkit settings
(``OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"]`` and friends), not these.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Scheme and host the provider is reached at, without a path, for example
    # "https://id.example.com". Each pool's issuer is this URL followed by
    # /oidc/<pool id>. None derives it from the scheme and Host header of each
    # request, which suits development, but then the issuer depends on the host
    # name a client uses, so production should set it.
    "OIDC_ISSUER_BASE_URL": None,
    # Size of the RSA keys that sign ID tokens, in bits. RS256 needs at least
    # 2048 (RFC 7518, section 3.3).
    "OIDC_SIGNING_KEY_BITS": 2048,
}


class Settings:
    """The OIDC_* settings: each attribute is the Django setting or its default."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not an OpenID Connect provider setting")
        return getattr(django_settings, name, DEFAULTS[name])


settings = Settings()
