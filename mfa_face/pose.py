"""Head pose and eye opening from the 68 facial landmarks.

Angles are in degrees. ``yaw`` is positive when the nose points to the image's
right, which in an unmirrored camera image (what a browser's camera delivers)
means the person turned to their own left. ``pitch`` is positive when the face
looks down, and ``roll`` is positive when the head tilts clockwise in the image.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Indices of the 68-point iBUG 300-W scheme that the pose is fitted on.
RIGHT_EYE = slice(36, 42)  # the eye on the image's left
LEFT_EYE = slice(42, 48)  # the eye on the image's right

# Approximate positions of some landmarks on an average adult head, in
# millimetres: x to the image's right for a frontal face, y down, and z away
# from the camera. The origin is between the inner eye corners. The figures
# are rounded anthropometric averages, not a fitted model: about 32 mm between
# the inner eye corners, 90 mm between the outer ones, and a nose tip 27 mm in
# front of the inner corners. The angles are therefore estimates good to a
# few degrees, which is enough for pose limits and head-turn prompts.
HEAD_MODEL = {
    8: (0.0, 118.0, -2.0),  # chin
    27: (0.0, -3.0, -8.0),  # nasion, top of the nose
    30: (0.0, 38.0, -27.0),  # nose tip
    31: (-14.0, 43.0, -8.0),  # right nostril wing
    33: (0.0, 48.0, -13.0),  # base of the nose
    35: (14.0, 43.0, -8.0),  # left nostril wing
    36: (-45.0, 2.0, 12.0),  # outer corner of the eye on the image's left
    39: (-16.0, 0.0, 0.0),  # inner corner of that eye
    42: (16.0, 0.0, 0.0),  # inner corner of the other eye
    45: (45.0, 2.0, 12.0),  # outer corner of the other eye
    48: (-25.0, 72.0, 0.0),  # mouth corner on the image's left
    54: (25.0, 72.0, 0.0),  # other mouth corner
}
_MODEL_INDICES = list(HEAD_MODEL)
_MODEL_POINTS = np.array([HEAD_MODEL[i] for i in _MODEL_INDICES], dtype=np.float64)
# Distance between the outer eye corners of HEAD_MODEL, in millimetres.
_MODEL_OUTER_EYE_SPAN = 90.0


@dataclass(frozen=True)
class HeadPose:
    """Rotation of the head relative to a face looking straight at the camera."""

    yaw: float
    pitch: float
    roll: float


def head_pose(landmarks, image_size):
    """Estimate the head pose with OpenCV's solvePnP.

    The camera is assumed to have a focal length of one image width (about 53
    degrees of horizontal field of view, as laptop cameras have) and no lens
    distortion. The fit starts from a frontal face at the distance that the
    eye span implies, because solvePnP started from nothing often lands on a
    mirrored solution with the head upside down.

    :param landmarks: (68, 2) array of (x, y) pixels.
    :param image_size: ``(height, width)`` of the image, in pixels.
    :return: a HeadPose in degrees.
    """
    height, width = image_size[:2]
    focal = float(width)
    camera = np.array(
        [[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]]
    )
    points = np.asarray(landmarks, dtype=np.float64)[_MODEL_INDICES]

    eye_span = max(float(np.linalg.norm(points[9] - points[6])), 1.0)
    depth = focal * _MODEL_OUTER_EYE_SPAN / eye_span
    center = points.mean(axis=0)
    translation = np.array(
        [
            [(center[0] - width / 2) * depth / focal],
            [(center[1] - height / 2) * depth / focal],
            [depth],
        ]
    )
    rotation = np.zeros((3, 1))

    _, rotation, translation = cv2.solvePnP(
        _MODEL_POINTS,
        points,
        camera,
        None,
        rotation,
        translation,
        useExtrinsicGuess=True,
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    matrix, _ = cv2.Rodrigues(rotation)

    # matrix = Rz(roll) @ Ry(turn) @ Rx(pitch). A positive turn about the y
    # axis moves the nose tip, which is in front of the face (negative z),
    # to the image's left, so yaw is its negative.
    turn = math.degrees(math.asin(float(np.clip(-matrix[2, 0], -1.0, 1.0))))
    pitch = math.degrees(math.atan2(matrix[2, 1], matrix[2, 2]))
    roll = math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))
    return HeadPose(yaw=-turn, pitch=pitch, roll=roll)


def eye_centers(landmarks):
    """Return the centers of the two eyes as a (2, 2) array, image-left eye first."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    return np.stack(
        [landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)]
    )


def eye_distance(landmarks):
    """Return the distance between the centers of the eyes, in pixels."""
    first, second = eye_centers(landmarks)
    return float(np.linalg.norm(second - first))


def eye_aspect_ratio(landmarks):
    """Return the mean eye aspect ratio of both eyes.

    For each eye it is the sum of the two vertical lid distances over twice
    the corner-to-corner width, so it drops towards 0 as the lids close. Open
    eyes gave 0.26 to 0.52 in the frames of the shared video clip. The value
    for open eyes differs from person to person, so a blink is judged
    relative to the same person's other frames.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    ratios = [_one_eye_ratio(landmarks[RIGHT_EYE]), _one_eye_ratio(landmarks[LEFT_EYE])]
    return float(np.mean(ratios))


def _one_eye_ratio(eye):
    # The six points run clockwise from the outer corner: 0 and 3 are the
    # corners, 1 and 2 the upper lid, 5 and 4 the lower lid below them.
    width = np.linalg.norm(eye[0] - eye[3])
    if width == 0:
        return 0.0
    opening = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(opening / (2.0 * width))
