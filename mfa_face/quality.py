"""Quality gates that a camera frame passes before it counts in a decision.

A frame counts when it shows exactly one face that is large enough, lit well
enough, sharp enough and turned towards the camera. Each failed gate has a
stable code and a message that states what the user should change. The limits are
the ``MFA_FACE_MIN_*`` and ``MFA_FACE_MAX_*`` settings in ``conf.py``.
"""

from collections import Counter
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .conf import settings as face_settings
from .errors import FaceError, MultipleFaces, NoFace
from .pose import eye_distance, head_pose

# Side of the square, in pixels, that the face box is resized to before the
# Laplacian is taken, so that sharpness does not depend on the face's size.
SHARPNESS_SIDE = 128


class QualityRejected(FaceError):
    """A frame, or every frame of a burst, that failed a quality gate."""


# Each gate's code and message, in the order the gates are checked. A frame
# that fails several gates reports the first, because an early failure
# causes the later ones: a dark frame is also noisy and looks blurred.
GATES = {
    "no_face": NoFace.message,
    "multiple_faces": MultipleFaces.message,
    "face_too_small": "Your face is too small in the picture. Move closer to the camera.",
    "too_dark": "The picture is too dark. More light: face a lamp or a window.",
    "too_bright": "The picture is too bright. Move out of direct light.",
    "bad_pose": "Your head is turned away. Look at the camera.",
    "too_blurry": "The picture is blurred. Hold still and look at the camera.",
}


@dataclass(frozen=True)
class FrameQuality:
    """The figures that the quality gates check, for one face in one frame."""

    # Distance between the centers of the eyes, in pixels of the frame.
    eye_distance: float
    # Variance of the Laplacian of the gray face, resized to SHARPNESS_SIDE.
    sharpness: float
    # Mean gray level of the face box, 0 to 255.
    brightness: float
    # Head pose in degrees, as pose.head_pose returns it.
    yaw: float
    pitch: float

    def as_dict(self):
        """Return the figures rounded for storage, as a dict of floats."""
        return {name: round(value, 2) for name, value in asdict(self).items()}


def measure(rgb, box, landmarks):
    """Measure the quality figures of one face.

    :param rgb: HxWx3 uint8 RGB array of the frame.
    :param box: ``(top, right, bottom, left)`` box of the face in ``rgb``.
    :param landmarks: (68, 2) landmarks of that face.
    :return: a FrameQuality.
    """
    gray_face = _gray_crop(rgb, box)
    pose = head_pose(landmarks, rgb.shape)
    return FrameQuality(
        eye_distance=eye_distance(landmarks),
        sharpness=_sharpness(gray_face),
        brightness=float(gray_face.mean()) if gray_face.size else 0.0,
        yaw=pose.yaw,
        pitch=pose.pitch,
    )


def failed_gate(quality):
    """Return the code of the first gate that ``quality`` fails, or None.

    :param quality: a FrameQuality.
    :return: one of the codes of GATES, or None when every gate passes.
    """
    if quality.eye_distance < face_settings.MFA_FACE_MIN_EYE_DISTANCE:
        return "face_too_small"
    if quality.brightness < face_settings.MFA_FACE_MIN_BRIGHTNESS:
        return "too_dark"
    if quality.brightness > face_settings.MFA_FACE_MAX_BRIGHTNESS:
        return "too_bright"
    if (
        abs(quality.yaw) > face_settings.MFA_FACE_MAX_YAW
        or abs(quality.pitch) > face_settings.MFA_FACE_MAX_PITCH
    ):
        return "bad_pose"
    if quality.sharpness < face_settings.MFA_FACE_MIN_SHARPNESS:
        return "too_blurry"
    return None


def rejection(code):
    """Return the QualityRejected error for a gate code."""
    return QualityRejected(code, GATES[code])


def most_common_rejection(codes):
    """Return the error for the most frequent gate code of a burst.

    Ties go to the gate checked first, which is the likelier cause.

    :param codes: non-empty iterable of gate codes, one per rejected frame.
    :return: a QualityRejected.
    """
    counts = Counter(codes)
    order = list(GATES)
    code = max(counts, key=lambda name: (counts[name], -order.index(name)))
    return rejection(code)


def pose_deviation(quality):
    """Return how far the head is turned from frontal, in degrees."""
    return float(np.hypot(quality.yaw, quality.pitch))


def _gray_crop(rgb, box):
    top, right, bottom, left = box
    face = np.ascontiguousarray(rgb[top:bottom, left:right])
    if face.size == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    return cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)


def _sharpness(gray_face):
    if gray_face.size == 0:
        return 0.0
    side = SHARPNESS_SIDE
    interpolation = cv2.INTER_AREA if gray_face.shape[1] > side else cv2.INTER_LINEAR
    resized = cv2.resize(gray_face, (side, side), interpolation=interpolation)
    return float(cv2.Laplacian(resized, cv2.CV_64F).var())
