"""Throttling of failed password sign-ins, per account and per client IP.

End users are counted per pool and identifier, console administrators per
email. Both kinds of failure count towards the limit of the client IP.

Counters live in Django's cache with a fixed window. The default local-memory
cache keeps one count per process, so a server with several workers sets
REDIS_URL (idp/settings.py) for the limits to hold across workers.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

from .identifiers import normalize_phone


def _key(kind, *parts):
    # Hash the parts so that an identifier typed by anyone cannot form an
    # invalid cache key (memcached rejects spaces and long keys).
    digest = hashlib.sha256(
        "\x00".join(str(part) for part in parts).encode()
    ).hexdigest()
    return f"authn:password-failures:{kind}:{digest}"


def _account_key(pool, identifier):
    return _key("account", pool.pk, canonical_identifier(pool, identifier))


def canonical_identifier(pool, identifier):
    """Return the form of ``identifier`` that its failures are counted under.

    A phone number counts as its E.164 form, so that ``+1 202 555 0100`` and
    ``+12025550100`` share one count, and any other text counts in lower case.
    The form depends only on the text and the pool, never on whether an
    account has it, so the count reveals no account.
    """
    text = (identifier or "").strip()
    try:
        return normalize_phone(text, pool.default_country)
    except ValidationError:
        return text.lower()


def _ip_key(ip):
    return _key("ip", ip or "unknown")


def is_throttled(pool, identifier, ip):
    """Return True while the identifier or the client IP has too many failures.

    The identifier is counted whether or not an account has it, so the result
    does not reveal which accounts exist.
    """
    return _over_limit(_account_key(pool, identifier), ip)


def record_failure(pool, identifier, ip):
    """Count one failed password sign-in for the identifier and the client IP."""
    _record(_account_key(pool, identifier), ip)


def reset_account(pool, identifier):
    """Forget the identifier's failures after a successful sign-in."""
    cache.delete(_account_key(pool, identifier))


def _admin_key(email):
    return _key("admin", (email or "").strip().lower())


def is_admin_throttled(email, ip):
    """Return True while an administrator email or the client IP has too many failures.

    The email is counted whether or not an administrator has it, so the result
    does not reveal which accounts exist.
    """
    return _over_limit(_admin_key(email), ip)


def record_admin_failure(email, ip):
    """Count one failed console sign-in for the email and the client IP."""
    _record(_admin_key(email), ip)


def reset_admin(email):
    """Forget the email's failures after a successful console sign-in."""
    cache.delete(_admin_key(email))


def _over_limit(account_key, ip):
    account_failures = cache.get(account_key, 0)
    if account_failures >= settings.AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT:
        return True

    ip_failures = cache.get(_ip_key(ip), 0)
    return ip_failures >= settings.AUTHN_PASSWORD_MAX_FAILURES_PER_IP


def _record(account_key, ip):
    for key in (account_key, _ip_key(ip)):
        _increment(key)


def _increment(key):
    window = settings.AUTHN_PASSWORD_FAILURE_WINDOW
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:
        # The entry expired between add() and incr().
        cache.set(key, 1, timeout=window)
