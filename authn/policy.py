"""The one rule that decides whether face MFA applies to a sign-in."""

from .models import IdentitySource


def face_mfa_required(pool, app, identity_source=IdentitySource.PASSWORD):
    """Return True when a sign-in to ``app`` must pass the face step.

    :param pool: the :class:`~authn.models.UserPool` the app belongs to.
    :param app: the :class:`~authn.models.Application` being signed in to.
    :param identity_source: the :class:`~authn.models.IdentitySource` value of
        the first factor.

    An app that customizes its security rules decides alone, for every
    identity source. Otherwise the pool-wide Face Recognition switch must be on
    and the pool's policy must select this identity source. The caller passes
    freshly loaded rows, so a switch turned off applies to the next sign-in.
    """
    if app.custom_security_rules:
        return app.face_mfa_enabled

    if not pool.face_mfa_enabled:
        return False

    return pool.mfa_applies_to_source(identity_source)
