"""Issue and use the recovery codes of an end user.

Each function takes an ``authn.EndUser``. Callers record the audit events
themselves (``recovery_code_used`` and so on), because only they have the
request, the app and the client IP.
"""

import logging

from django.db import transaction

from .conf import settings as recovery_settings
from .models import RecoveryCode, RecoveryCodeDevice

logger = logging.getLogger(__name__)

DEVICE_NAME = "Recovery codes"


def issue_codes(end_user):
    """Replace ``end_user``'s recovery codes with ``MFA_RECOVERY_CODE_COUNT`` new ones.

    Every earlier code stops working, and the wrong-code count is reset.

    :returns: the new codes as ``XXXXX-XXXXX`` strings. This is the only time
        they exist in plaintext: show them to the user once, never log them.
    """
    count = recovery_settings.MFA_RECOVERY_CODE_COUNT
    with transaction.atomic():
        device, _ = RecoveryCodeDevice.objects.select_for_update().get_or_create(
            user=end_user, defaults={"name": DEVICE_NAME, "confirmed": True}
        )
        codes = device.replace_codes(count)

    logger.info(
        "recovery codes issued user=%s pool=%s count=%d",
        end_user.pk,
        end_user.pool_id,
        count,
    )
    return codes


class CodesThrottled(Exception):
    """Wrong codes came too fast; no code is checked until ``locked_until``."""

    def __init__(self, locked_until):
        super().__init__(f"recovery codes throttled until {locked_until}")
        self.locked_until = locked_until


def use_code(end_user, code):
    """Consume one of ``end_user``'s recovery codes.

    :param code: the code as typed. Case, spaces, dashes and the look-alike
        letters I, L and O are normalized before the comparison.
    :returns: the number of codes left after this one (0 when it was the
        last), or None when the code is wrong or the user has no codes. A
        wrong code counts as a failed attempt, and :func:`locked_until` then
        returns when the next one will be checked.
    :raises CodesThrottled: wrong codes are being throttled; ``code`` was not
        checked.
    """
    with transaction.atomic():
        # The row lock serializes concurrent attempts of one user, so two
        # failures cannot both write the same incremented count.
        device = (
            RecoveryCodeDevice.objects.select_for_update()
            .filter(user=end_user, confirmed=True)
            .first()
        )
        if device is None:
            return None

        # Checked under the row lock, so a request that waited for another's
        # wrong code finds the throttle on, and is not reported as a wrong code.
        allowed, details = device.verify_is_allowed()
        if not allowed:
            raise CodesThrottled((details or {}).get("locked_until"))

        if not device.verify_token(code):
            logger.info(
                "recovery code rejected user=%s pool=%s failures=%d",
                end_user.pk,
                end_user.pool_id,
                device.throttling_failure_count,
            )
            return None

        left = device.codes.count()

    logger.info(
        "recovery code used user=%s pool=%s remaining=%d",
        end_user.pk,
        end_user.pool_id,
        left,
    )
    return left


def remaining(end_user):
    """Return how many unused recovery codes ``end_user`` has (0 without a device)."""
    return RecoveryCode.objects.filter(
        device__user=end_user, device__confirmed=True
    ).count()


def locked_until(end_user):
    """Return when the next recovery code of ``end_user`` will be checked again.

    :returns: an aware datetime while consecutive wrong codes are throttled,
        else None.
    """
    device = RecoveryCodeDevice.objects.filter(user=end_user, confirmed=True).first()
    if device is None:
        return None

    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    return (details or {}).get("locked_until")


def revoke_codes(end_user):
    """Delete ``end_user``'s recovery codes, for a face reset or a data deletion.

    :returns: the number of codes that were still unused.
    """
    with transaction.atomic():
        left = remaining(end_user)
        RecoveryCodeDevice.objects.filter(user=end_user).delete()
    return left
