"""Issuer identifier and endpoint URLs of each pool's OpenID provider."""

from django.urls import reverse

from .conf import settings as oidc_settings

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def absolute_url(request, path):
    """Return ``path`` on the configured public base URL, or on the request's host."""
    base = oidc_settings.OIDC_ISSUER_BASE_URL
    if base:
        return base.rstrip("/") + path
    return request.build_absolute_uri(path)


def endpoint_url(request, pool, name):
    """Return the absolute URL of the endpoint ``oidc:<name>`` of ``pool``."""
    return absolute_url(request, reverse(f"oidc:{name}", kwargs={"pool_id": pool.pk}))


def issuer_url(request, pool):
    """Return the issuer identifier of ``pool``, for example http://host/oidc/7.

    The discovery document lives at the issuer followed by
    /.well-known/openid-configuration (OpenID Connect Discovery 1.0, section 4),
    so the issuer is derived from that URL.
    """
    return endpoint_url(request, pool, "discovery").removesuffix(DISCOVERY_SUFFIX)
