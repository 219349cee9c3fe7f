"""Django system checks of the face factor's settings."""

from django.core import checks

from .conf import settings as face_settings


@checks.register(checks.Tags.security)
def check_frame_limits(app_configs=None, **kwargs):
    """Report a frame limit that would reject the camera page's own bursts."""
    maximum = face_settings.MFA_FACE_MAX_FRAMES
    burst = face_settings.MFA_FACE_BURST_FRAMES
    active = 1 + 2 * face_settings.MFA_FACE_ACTIVE_FRAMES_PER_ACTION

    errors = []
    for name, count in (
        ("MFA_FACE_BURST_FRAMES", burst),
        ("1 + 2 x MFA_FACE_ACTIVE_FRAMES_PER_ACTION", active),
    ):
        if maximum < count:
            errors.append(
                checks.Error(
                    f"MFA_FACE_MAX_FRAMES is {maximum}, less than {name} ({count}), "
                    "so the server would reject every burst the camera page sends.",
                    hint=f"Set MFA_FACE_MAX_FRAMES to at least {count}.",
                    id="mfa_face.E001",
                )
            )
    return errors
