"""Settings of the face factor, read from Django settings with defaults.

Each attribute of ``settings`` is a ``MFA_FACE_*`` name. A project sets it in
its Django settings module to override the default below. When Django settings
are not configured (a bare script, a notebook) every name has its default, so
the engine works without a Django project.
"""

import os

DEFAULTS = {
    # Maximum size of one uploaded camera frame, in bytes. A 640x480 JPEG from
    # a browser camera is usually 30 to 150 kB.
    "MFA_FACE_MAX_FRAME_BYTES": 2_000_000,
    # Maximum width x height of one frame, in pixels, checked from the image
    # header before decoding. Decoded RGB costs 3 bytes a pixel, so the default
    # caps one frame at 36 MB of memory.
    "MFA_FACE_MAX_FRAME_PIXELS": 12_000_000,
    # Maximum number of frames accepted in one enrollment or verification
    # request.
    "MFA_FACE_MAX_FRAMES": 8,
    # Frames are downscaled so that the longer side is at most this many
    # pixels before face detection, because the HOG detector's cost grows with
    # the pixel count. At 640 px a face at arm's length from a laptop camera
    # stays well above the detector's minimum face size.
    "MFA_FACE_DETECT_MAX_SIDE": 640,
    # Maximum Euclidean distance between two descriptors that still counts as
    # the same person. dlib's usual 0.6 is tuned for accuracy on LFW, and a
    # sign-in factor should rather reject a genuine user, who can retry, than
    # accept an impostor. On the 23 single-face development photos (dlib-bin
    # 20.0.1, measured 2026-12) the largest genuine distance was 0.521 and the
    # smallest impostor distance 0.656. At 0.5, 72 of 74 genuine pairs pass
    # and the nearest impostor is 0.156 away. docs/accuracy.md has the details.
    "MFA_FACE_MATCH_THRESHOLD": 0.5,
    # Frames the camera page captures per attempt, about 250 ms apart.
    "MFA_FACE_BURST_FRAMES": 3,
    # Frames of one attempt whose descriptors are computed, largest faces
    # first. The descriptor costs several times more than detection, so the
    # other frames are only checked for a face.
    "MFA_FACE_DESCRIBE_FRAMES": 3,
    # Seconds of django-otp's exponential delay after the first failed face
    # verification: 1, 2, 4, 8 ... seconds after consecutive failures.
    "MFA_FACE_THROTTLE_FACTOR": 1,
    # Folder that contains the dlib model files. None means the "models"
    # folder of the installed face_recognition_models package. The environment
    # variable of the same name is used when the Django setting is None.
    "MFA_FACE_MODELS_DIR": None,
}


def _django_settings():
    """Return django.conf.settings, or None when no settings are configured."""
    try:
        from django.conf import settings as django_settings
    except ImportError:
        return None

    # A set DJANGO_SETTINGS_MODULE counts as configured even before the lazy
    # settings object has loaded it, because reading an attribute loads it.
    if django_settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
        return django_settings
    return None


class Settings:
    """The MFA_FACE_* settings: each attribute is the Django setting or its default."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not a face factor setting")

        value = DEFAULTS[name]
        django_settings = _django_settings()
        if django_settings is not None:
            value = getattr(django_settings, name, value)

        if name == "MFA_FACE_MODELS_DIR" and value is None:
            value = os.environ.get("MFA_FACE_MODELS_DIR") or None
        return value


settings = Settings()
