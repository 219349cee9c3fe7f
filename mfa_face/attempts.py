"""Rate limit of face attempts per account, counted in Django's cache.

The lockout counts only decided failures (a mismatch or a presentation
attack). Quality rejections and liveness retries are free, so that a user in
bad light can try again at once, but each still costs a face analysis. This
limit bounds how many attempts of any outcome one account can send.
"""

from django.core.cache import cache

from .conf import settings as face_settings


def _key(end_user):
    return f"mfa_face:attempts:{end_user.pk}"


def count_attempt(end_user):
    """Count one attempt of ``end_user``; return False when it is over the limit."""
    window = face_settings.MFA_FACE_ATTEMPT_WINDOW
    key = _key(end_user)
    if cache.add(key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # The entry expired between add() and incr().
            cache.set(key, 1, timeout=window)
            count = 1
    return count <= face_settings.MFA_FACE_MAX_ATTEMPTS
