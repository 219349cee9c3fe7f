"""Normalize and look up the identifiers an end user signs in with."""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q

PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{6,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(value):
    """Return ``value`` as an E.164 number (``+`` and 7 to 15 digits).

    Spaces, dashes, dots and brackets are dropped first, so ``+1 (202) 555-0100``
    becomes ``+12025550100``. Raises ValidationError for anything else.
    """
    compact = PHONE_SEPARATORS.sub("", value or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]

    if not PHONE_PATTERN.match(compact):
        raise ValidationError(
            "Enter the phone number in international form, for example +12025550100.",
            code="invalid_phone",
        )
    return compact


def identifier_lookups(identifier):
    """Return the field lookups ``identifier`` may match, in priority order.

    A username wins over an email, and an email over a phone number, so a
    username that happens to look like another user's email still finds its
    own account.
    """
    identifier = (identifier or "").strip()
    if not identifier:
        return []

    lookups = [Q(username=identifier), Q(email__iexact=identifier)]
    try:
        lookups.append(Q(phone=normalize_phone(identifier)))
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
