"""First-factor check for end users: identifier and password."""

import logging

from django.contrib.auth.hashers import make_password

from .identifiers import identifier_lookups
from .models import EndUser

logger = logging.getLogger(__name__)


def authenticate_password(pool, identifier, password):
    """Return the active end user of ``pool`` matching the credentials, or None.

    :param identifier: a username, an email (compared case-insensitively) or a
        phone number (normalized to E.164; a national number is read in the
        pool's default country).

    An unknown identifier still runs the password hasher once, so the response
    time does not reveal whether the account exists.
    """
    user = find_user(pool, identifier)

    if user is None:
        make_password(password)
        return None

    if not user.check_password(password):
        return None

    if not user.is_active:
        return None

    return user


def find_user(pool, identifier):
    """Return the end user of ``pool`` that ``identifier`` names, or None."""
    for lookup in identifier_lookups(identifier, pool.default_country):
        user = EndUser.objects.filter(lookup, pool=pool).first()
        if user is not None:
            return user
    return None
