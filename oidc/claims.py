"""Authentication context values this provider puts in ID tokens."""

from authn.transaction import MULTI_FACTOR

# "acr" values (OpenID Connect Core 1.0, section 2). No registry defines
# values for "password only" and "password and face", so the provider names
# its own two classes.
ACR_SINGLE_FACTOR = "urn:face-mfa-idp:acr:single-factor"
ACR_MULTI_FACTOR = "urn:face-mfa-idp:acr:multi-factor"
ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR]


def acr_value(amr):
    """Return the acr class of a sign-in whose RFC 8176 ``amr`` list is given."""
    if MULTI_FACTOR in amr:
        return ACR_MULTI_FACTOR
    return ACR_SINGLE_FACTOR
