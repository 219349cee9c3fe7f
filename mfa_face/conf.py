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
    # header before decoding. The default admits 3840x2160, the largest video
    # frame common cameras deliver; decoded RGB costs 3 bytes a pixel.
    "MFA_FACE_MAX_FRAME_PIXELS": 8_300_000,
    # Maximum width x height summed over the frames of one request, checked
    # from the headers before decoding, so one request decodes at most about
    # 75 MB of RGB. The default admits twelve 1920x1080 frames; the camera
    # page requests 640x480.
    "MFA_FACE_MAX_BURST_PIXELS": 25_000_000,
    # Maximum number of frames accepted in one enrollment or verification
    # request. It must be at least MFA_FACE_BURST_FRAMES and the frame count of
    # an active liveness attempt (1 + 2 x MFA_FACE_ACTIVE_FRAMES_PER_ACTION);
    # a system check (mfa_face.E001) enforces both.
    "MFA_FACE_MAX_FRAMES": 12,
    # Frames are downscaled so that the longer side is at most this many
    # pixels before face detection, because the HOG detector's cost grows with
    # the pixel count. At 640 px a face at arm's length from a laptop camera
    # stays well above the detector's minimum face size.
    "MFA_FACE_DETECT_MAX_SIDE": 640,
    # Maximum Euclidean distance between two descriptors that still counts as
    # the same person. A false match lets a stranger in, so the threshold
    # keeps a wide margin below impostors rather than dlib's customary 0.6.
    # face_eval on the 21 usable shared photos (2026-12-03, dlib-bin 20.0.1):
    # the closest impostor pair was 0.656, and at 0.5 no impostor pair of 149
    # and 2 genuine pairs of 61 were misjudged. docs/accuracy.md has the run.
    "MFA_FACE_MATCH_THRESHOLD": 0.5,
    # Frames the camera page captures per attempt when liveness is off or
    # passive, MFA_FACE_BURST_INTERVAL_MS apart: 6 frames span 2 seconds.
    "MFA_FACE_BURST_FRAMES": 6,
    # Milliseconds between two frames of a burst.
    "MFA_FACE_BURST_INTERVAL_MS": 400,
    # Good frames of one verification whose descriptors can decide it, best
    # first. Unless the best frame is a clear match (below), a verification
    # matches when more than half of them are within the threshold. Only as
    # many descriptors are computed as can settle that majority: the best
    # frame, then the second, and the third only when those two disagree.
    "MFA_FACE_DESCRIBE_FRAMES": 3,
    # A verification whose best good frame is at most this distance from the
    # template matches on that frame's descriptor alone, without the majority.
    # The threshold above was calibrated on single photos, so one frame this
    # far below it is a stricter test than the threshold's own. A frame near
    # the threshold needs the others: in the 120 clip bursts of
    # bench.burst_eval that share no frame with the enrollment, the distances
    # of the first three good frames of one burst lay up to 0.34 apart
    # (median 0.18). A value above the threshold counts as the threshold.
    # None describes at least two frames in every verification.
    "MFA_FACE_CLEAR_MATCH_DISTANCE": 0.4,
    # Good frames of one enrollment whose descriptors form the template: the
    # MFA_FACE_ENROLL_FRAMES that agree best among the best
    # MFA_FACE_ENROLL_CANDIDATES good frames. Enrollment happens once, so it
    # can afford describing more frames than a verification.
    "MFA_FACE_ENROLL_FRAMES": 3,
    "MFA_FACE_ENROLL_CANDIDATES": 6,
    # Seconds of django-otp's exponential delay after the first failed face
    # verification: 1, 2, 4, 8 ... seconds after consecutive failures.
    "MFA_FACE_THROTTLE_FACTOR": 1,
    # Consecutive failed face verifications allowed before the face factor
    # locks. NIST SP 800-63B allows at most 5 for a biometric factor; after
    # that each further failure doubles the lock, starting at
    # MFA_FACE_LOCKOUT_SECONDS.
    "MFA_FACE_LOCKOUT_FAILURES": 5,
    # Face attempts of any outcome (enrollment or verification uploads) that
    # one account may send within MFA_FACE_ATTEMPT_WINDOW seconds. Quality
    # rejections do not count towards the lockout, so this bounds the face
    # analyses that one password can request.
    "MFA_FACE_MAX_ATTEMPTS": 20,
    "MFA_FACE_ATTEMPT_WINDOW": 300,
    # Seconds of the first lock after MFA_FACE_LOCKOUT_FAILURES failures.
    "MFA_FACE_LOCKOUT_SECONDS": 60,
    # Folder that contains the dlib model files. None means the "models"
    # folder of the installed face_recognition_models package. The environment
    # variable of the same name is used when the Django setting is None.
    "MFA_FACE_MODELS_DIR": None,
    # Quality gates ------------------------------------------------------------
    # Minimum distance between the centers of the eyes, in pixels of the
    # frame. Below about 30 px dlib's descriptor and landmarks lose detail; a
    # face at arm's length from a 640x480 laptop camera has 50 to 70 px.
    "MFA_FACE_MIN_EYE_DISTANCE": 30,
    # Minimum variance of the Laplacian of the gray face resized to 128x128
    # px. Sharp photos and the frames of the shared video clip measured 44 to
    # 1579; a Gaussian blur of sigma 3 px at 640 px brought all but one of the
    # shared photos below 15.
    "MFA_FACE_MIN_SHARPNESS": 15,
    # Limits of the mean gray level (0 to 255) of the face box.
    "MFA_FACE_MIN_BRIGHTNESS": 40,
    "MFA_FACE_MAX_BRIGHTNESS": 220,
    # Maximum head turn (yaw) and nod (pitch), in degrees, from the 68
    # landmarks. dlib's descriptor is trained mostly on near-frontal faces.
    "MFA_FACE_MAX_YAW": 30,
    "MFA_FACE_MAX_PITCH": 30,
    # Liveness -----------------------------------------------------------------
    # Minimum number of frames with one face that a passive or active
    # liveness check needs.
    "MFA_FACE_LIVENESS_MIN_FRAMES": 4,
    # Consecutive frames whose face regions differ by less than this mean
    # absolute gray level (0 to 255) are near-identical. A camera's own noise
    # keeps live frames above it; a replayed still image stays at 0.
    "MFA_FACE_STILL_MAX_DIFFERENCE": 0.5,
    # A burst is flat (one plane: a photo or a screen) when one homography per
    # pair of frames explains the eyebrow, eye and nose landmarks within this
    # RMS error, as a fraction of the eye distance, for the median pair. The
    # shared clip's bursts measured 0.046 and more, simulated prints 0.035 and
    # less; docs/accuracy.md has the measurement.
    "MFA_FACE_PLANAR_MAX_ERROR": 0.042,
    # A flat burst is rejected as a presentation attack when the head pose
    # changed by at least this many degrees across it, because a real head
    # turned that far shows depth. A flat burst with less change is asked to
    # try again with a slight head turn.
    "MFA_FACE_PLANAR_MIN_TURN": 12,
    # A burst is a presentation attack when the backgrounds of two consecutive
    # frames differ by more than this mean absolute gray level (0 to 255).
    # Both frames are scaled down to 64 px wide, and the head and body are
    # left out. One camera capture keeps its background, and photos shown to
    # the camera one after another do not. The shared clip's bursts measured
    # 14.1 at most, and bursts of different shared photos of one person 29.6
    # and more (docs/accuracy.md).
    "MFA_FACE_SCENE_MAX_CHANGE": 22,
    # Minimum fraction of the frame, 0 to 1, that must show background beside
    # and above the head for the scene comparison. A face that fills the frame
    # leaves too little, and the user is asked to hold the camera farther
    # away.
    "MFA_FACE_SCENE_MIN_BACKGROUND": 0.1,
    # Active liveness: a head turn counts when the yaw differs from the first
    # frame's by at least this many degrees.
    "MFA_FACE_ACTIVE_TURN": 15,
    # Active liveness: a blink counts when the eye aspect ratio falls to at
    # most this fraction of the burst's median.
    "MFA_FACE_BLINK_RATIO": 0.65,
    # Active liveness: frames captured per requested action, and milliseconds
    # between them. One more frame is captured before the first prompt.
    "MFA_FACE_ACTIVE_FRAMES_PER_ACTION": 5,
    "MFA_FACE_ACTIVE_INTERVAL_MS": 300,
    # Seconds from issuing an active liveness challenge until its frames must
    # have arrived: the capture takes about 4 seconds.
    "MFA_FACE_ACTIVE_DEADLINE": 20,
    # Seconds that an account keeps its active liveness actions while no
    # attempt passes, mismatches or is rejected as an attack, so that
    # requesting new challenges does not draw new actions.
    "MFA_FACE_ACTIVE_ACTIONS_TTL": 900,
    # Seconds a challenge nonce stays valid when liveness is off or passive.
    "MFA_FACE_CHALLENGE_TTL": 120,
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
