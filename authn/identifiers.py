"""Normalize and look up the identifiers an end user signs in with."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.db.models import Q

PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(value, default_country=None):
    """Return ``value`` as an E.164 number such as ``+12025550100``.

    :param value: a phone number with a country code (``+1 202 555 0100`` or
        ``001 202 555 0100``), or a national number when ``default_country``
        is given.
    :param default_country: ISO 3166 alpha-2 region (``"US"``) used for a
        number written without a country code; None or "" accepts only
        international numbers.
    :raises ValidationError: ``value`` is not a possible number of its region.
    """
    text = (value or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]

    try:
        number = phonenumbers.parse(text, (default_country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None

    # is_possible_number checks the length for the region, which accepts the
    # reserved example ranges (555) that is_valid_number would refuse.
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(
            "Enter the phone number in international form, for example +12025550100.",
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identifier_lookups(identifier, default_country=None):
    """Return the field lookups ``identifier`` may match, in priority order.

    A username wins over an email, and an email over a phone number, so a
    username that happens to look like another user's email still finds its
    own account. A phone number without a country code is read in
    ``default_country``.
    """
    identifier = (identifier or "").strip()
    if not identifier:
        return []

    lookups = [Q(username=identifier), Q(email__iexact=identifier)]
    try:
        lookups.append(Q(phone=normalize_phone(identifier, default_country)))
    except ValidationError:
        pass
    return lookups


def search_filter(query):
    """Return a Q matching end users whose username, email or phone contains ``query``.

    Username and email match case-insensitively. The phone part ignores the
    separators that :func:`normalize_phone` drops, so ``555-0100`` finds
    ``+12025550100``. An empty query matches every user.
    """
    query = (query or "").strip()
    if not query:
        return Q()

    condition = Q(username__icontains=query) | Q(email__icontains=query)

    compact = PHONE_SEPARATORS.sub("", query)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact and compact.lstrip("+").isdigit():
        condition |= Q(phone__contains=compact)

    return condition
