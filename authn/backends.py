"""First-factor check for end users: identifier and password."""

import logging

import phonenumbers
from django.contrib.auth.hashers import make_password
from django.db.models import Q

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
    lookups = list(identifier_lookups(identifier))
    national = national_phone_lookup(pool, identifier)
    if national is not None:
        lookups.append(national)

    for lookup in lookups:
        user = EndUser.objects.filter(lookup, pool=pool).first()
        if user is not None:
            return user
    return None


def national_phone_lookup(pool, identifier):
    """Return a lookup for ``identifier`` read as a phone number of the pool's
    default country, or None.

    ``identifier_lookups`` already matches numbers written with a country code.
    This adds numbers written the national way, such as ``(202) 555-0100`` in a
    pool whose default country is ``US``.
    """
    # TODO: read UserPool.default_country directly once the model has it, and
    # move this into authn.identifiers.normalize_phone.
    country = getattr(pool, "default_country", "") or None
    if country is None or not identifier:
        return None

    try:
        number = phonenumbers.parse(identifier, country)
    except phonenumbers.NumberParseException:
        return None

    if not phonenumbers.is_valid_number(number):
        return None
    return Q(
        phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )
