"""Presentation-attack detection: is a live head in front of the camera?

Three levels, set per user pool (``authn.models.LivenessLevel``):

- ``off``: no check.
- ``passive``: the burst must not be a replayed still image, its frames
  must show one scene, and its landmarks must not move as one flat plane. One
  camera capture keeps its size and its background, and a series of
  different photos shown to the camera does not. A printed photo or a phone
  screen is flat, so between any two frames its landmarks are related by one
  homography. A real head that turns is not flat: the nose moves against the
  eyes and eyebrows, and no single homography explains both.
- ``active``: the passive checks, and the landmarks must show the actions
  that the server asked for (turn the head left, turn it right, blink) in
  the order asked.

The passive check cannot catch a video of the user replayed on a screen,
because the video shows a real head turning. The active check's random
actions are what a replayed recording fails.

NOTE: frames made in software and sent in place of the camera's pass the
passive level when they show a head turning in 3D over a still background:
one photo warped per frame, or photos of the user pasted onto one shared
background. The active level rejects them unless they also show the
requested actions in order.
"""

import itertools
import logging
from dataclasses import dataclass

import cv2
import numpy as np

from . import scene
from .conf import settings as face_settings
from .errors import FaceError
from .pose import eye_aspect_ratio, eye_distance

logger = logging.getLogger(__name__)

OFF = "off"
PASSIVE = "passive"
ACTIVE = "active"
LEVELS = (OFF, PASSIVE, ACTIVE)

TURN_LEFT = "turn_left"
TURN_RIGHT = "turn_right"
BLINK = "blink"
ACTIONS = (TURN_LEFT, TURN_RIGHT, BLINK)

# Prompt text of the page while it captures the frames for each action.
ACTION_PROMPTS = {
    TURN_LEFT: "Turn your head slowly to your left.",
    TURN_RIGHT: "Turn your head slowly to your right.",
    BLINK: "Blink slowly.",
}

# Landmarks that the flatness test fits: eyebrows (17-26), nose (27-35) and
# eyes (36-47). The mouth moves as the user talks, and the jaw points follow
# the silhouette, which slides over the skin as the head turns, so neither
# behaves as fixed points on the head.
RIGID_LANDMARKS = np.arange(17, 48)


class PresentationAttack(FaceError):
    """A burst that shows a photo, a screen or a recording, not a live head.

    A verification rejected with this error counts as a failed attempt.
    """


class LivenessRetry(FaceError):
    """A burst that cannot show liveness either way; the user should retry."""


@dataclass(frozen=True)
class LivenessFigures:
    """The measurements behind a liveness decision, for logs and docs.

    ``still_difference`` is the largest mean absolute gray-level difference
    between the face regions of consecutive frames (0 to 255).
    ``planar_error`` is the median, over all pairs of frames, of the RMS error
    of one homography fitted to the pair's rigid landmarks, as a fraction of
    the eye distance. ``pose_change`` is the largest change of head pose between two
    frames, in degrees. ``scene_change`` is the largest mean absolute
    gray-level difference between the backgrounds of consecutive frames, and
    ``background`` the smallest fraction of a frame pair that showed
    background (see :func:`mfa_face.scene.scene_change`).
    """

    frames: int
    still_difference: float
    planar_error: float
    pose_change: float
    scene_change: float
    background: float


def check(burst, level, actions=()):
    """Run the liveness check of ``level`` on an analysed burst.

    :param burst: a ``burst.Burst``.
    :param level: ``"off"``, ``"passive"`` or ``"active"``.
    :param actions: for ``"active"``, the requested actions in order.
    :return: LivenessFigures, or None when ``level`` is ``"off"``.
    :raises PresentationAttack: the burst is a still image, flat, or does not
        show the requested actions in order.
    :raises LivenessRetry: too few frames show a face, or the head hardly
        moved, so flatness cannot be judged.
    :raises ValueError: for an unknown level, or an active check without
        actions.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown liveness level {level!r}; expected one of {LEVELS}")
    if level == OFF:
        return None

    if level == ACTIVE:
        if not actions:
            raise ValueError("an active liveness check needs the requested actions")
        check_frame_count(burst, actions)

    faces = burst.faces()
    figures = measure(faces)
    judge_passive(figures)

    if level == ACTIVE:
        check_actions(faces, actions)
    return figures


def check_frame_count(burst, actions):
    """Raise unless an active burst has the frame count that its challenge set.

    The camera page captures one frame, then
    ``MFA_FACE_ACTIVE_FRAMES_PER_ACTION`` frames for each action. A shorter
    burst would let a few chosen pictures stand for the movements.

    :raises LivenessRetry: with code ``liveness_frame_count``.
    """
    expected = 1 + len(actions) * face_settings.MFA_FACE_ACTIVE_FRAMES_PER_ACTION
    if len(burst.frames) != expected:
        raise LivenessRetry(
            "liveness_frame_count",
            f"The face check needs {expected} camera frames and received "
            f"{len(burst.frames)}. Reload the page and try again.",
        )


def measure(faces):
    """Measure the passive liveness figures of the frames that show a face.

    :param faces: ``burst.FrameAnalysis`` objects with landmarks, in capture
        order.
    :return: LivenessFigures.
    :raises LivenessRetry: fewer than ``MFA_FACE_LIVENESS_MIN_FRAMES`` frames,
        or frames of different sizes.
    """
    minimum = face_settings.MFA_FACE_LIVENESS_MIN_FRAMES
    if len(faces) < minimum:
        raise LivenessRetry(
            "liveness_too_few_frames",
            "Your face was not in view long enough. Keep your face in the picture "
            "for the whole capture and try again.",
        )

    # A camera delivers every frame of one capture at one size. A phone
    # turned during the capture changes it, and so do pictures of different
    # sizes sent as a burst.
    if len({face.rgb.shape for face in faces}) > 1:
        raise LivenessRetry(
            "frame_size_changed",
            "The camera picture changed size during the capture. Hold the device "
            "still, without turning it, and try again.",
        )

    change, background = scene.scene_change(faces)
    return LivenessFigures(
        frames=len(faces),
        still_difference=still_difference(faces),
        planar_error=planar_error(faces),
        pose_change=pose_change(faces),
        scene_change=change,
        background=background,
    )


def judge_passive(figures):
    """Raise unless ``figures`` show a live head.

    :raises PresentationAttack: with code ``still_image`` for near-identical
        frames, ``scene_changed`` when the background changed between two
        frames, or ``flat_face`` when the frames fit one plane although the
        head pose changed by at least ``MFA_FACE_PLANAR_MIN_TURN`` degrees.
    :raises LivenessRetry: with code ``liveness_needs_background`` when too
        little background is in view to compare, or ``liveness_needs_motion``
        when the frames fit one plane and the head hardly moved.
    """
    if figures.still_difference < face_settings.MFA_FACE_STILL_MAX_DIFFERENCE:
        raise PresentationAttack(
            "still_image",
            "The camera shows a still picture, not a live face. "
            "Use your camera and look into it.",
        )

    if figures.background < face_settings.MFA_FACE_SCENE_MIN_BACKGROUND:
        raise LivenessRetry(
            "liveness_needs_background",
            "Your face fills the picture. Hold the camera a little farther away, "
            "so that the room behind you is in view, and try again.",
        )

    if figures.scene_change > face_settings.MFA_FACE_SCENE_MAX_CHANGE:
        raise PresentationAttack(
            "scene_changed",
            "The picture behind you changed between frames, as it does when "
            "photos are shown to the camera. Hold the camera still, look into it "
            "yourself, and try again.",
        )

    if figures.planar_error > face_settings.MFA_FACE_PLANAR_MAX_ERROR:
        return

    if figures.pose_change >= face_settings.MFA_FACE_PLANAR_MIN_TURN:
        raise PresentationAttack(
            "flat_face",
            "The camera shows a photo or a screen, not a live face. "
            "Remove it and look into the camera yourself.",
        )
    raise LivenessRetry(
        "liveness_needs_motion",
        "Your head hardly moved. Turn your head slightly from side to side "
        "while the picture is taken, and try again.",
    )


def still_difference(faces):
    """Return the largest mean absolute difference between consecutive face regions.

    Each pair is compared inside the union of the two face boxes, in gray
    levels from 0 to 255. Frames of different sizes count as different.
    """
    largest = 0.0
    for first, second in itertools.pairwise(faces):
        if first.rgb.shape != second.rgb.shape:
            return float("inf")

        top = min(first.box[0], second.box[0])
        right = max(first.box[1], second.box[1])
        bottom = max(first.box[2], second.box[2])
        left = min(first.box[3], second.box[3])
        first_gray = _gray(first.rgb[top:bottom, left:right])
        second_gray = _gray(second.rgb[top:bottom, left:right])
        difference = cv2.absdiff(first_gray, second_gray)
        largest = max(largest, float(difference.mean()))
    return largest


def planar_error(faces):
    """Return the median homography fit error over all pairs of frames.

    For each pair, one homography is fitted to the rigid landmarks by least
    squares: OpenCV's findHomography without RANSAC, because every point must
    fit. The RMS distance between the mapped and the found points is divided
    by the mean eye distance of the pair. The median is used because one
    frame with misplaced landmarks spoils every pair it is in. In the
    measurements of docs/accuracy.md the largest pair error of a simulated
    print reached that of a real head, but the median did not.
    """
    errors = [
        _pair_planar_error(first, second)
        for first, second in itertools.combinations(faces, 2)
    ]
    if not errors:
        return 0.0
    return float(np.median(errors))


def _pair_planar_error(first, second):
    source = first.landmarks[RIGID_LANDMARKS].astype(np.float64)
    target = second.landmarks[RIGID_LANDMARKS].astype(np.float64)

    homography, _ = cv2.findHomography(source, target, 0)
    if homography is None:
        # Degenerate points (all on one line) fit no plane: not flat.
        return float("inf")

    mapped = cv2.perspectiveTransform(source.reshape(-1, 1, 2), homography)
    residual = mapped.reshape(-1, 2) - target
    rms = float(np.sqrt((residual**2).sum(axis=1).mean()))
    scale = (eye_distance(first.landmarks) + eye_distance(second.landmarks)) / 2
    return rms / max(scale, 1.0)


def pose_change(faces):
    """Return the largest change of head pose between two frames, in degrees."""
    largest = 0.0
    for first, second in itertools.combinations(faces, 2):
        change = float(
            np.hypot(
                first.quality.yaw - second.quality.yaw,
                first.quality.pitch - second.quality.pitch,
            )
        )
        largest = max(largest, change)
    return largest


def check_actions(faces, actions):
    """Raise unless the frames show ``actions`` in the requested order.

    A turn counts when the yaw differs from the first frame's by at least
    ``MFA_FACE_ACTIVE_TURN`` degrees in the requested direction. A blink counts
    when the eye aspect ratio falls to ``MFA_FACE_BLINK_RATIO`` of the burst's
    median or below. Each action must appear in a later frame than the one
    before it.

    :param faces: ``burst.FrameAnalysis`` objects with landmarks, in capture
        order.
    :param actions: the requested actions, e.g. ``["turn_left", "blink"]``.
    :raises PresentationAttack: with code ``actions_not_seen``.
    """
    observed = observed_actions(faces)
    remaining = list(actions)
    for frame_actions in observed:
        if remaining and remaining[0] in frame_actions:
            remaining.pop(0)

    if remaining:
        logger.info(
            "active liveness failed requested=%s missing=%s", actions, remaining
        )
        raise PresentationAttack(
            "actions_not_seen",
            "The requested head movements were not seen in the requested order. "
            "Follow the prompts on the page and try again.",
        )


def observed_actions(faces):
    """Return, for each frame, the set of actions that frame shows."""
    if not faces:
        return []

    baseline_yaw = faces[0].quality.yaw
    ratios = [eye_aspect_ratio(frame.landmarks) for frame in faces]
    blink_limit = face_settings.MFA_FACE_BLINK_RATIO * float(np.median(ratios))
    turn = face_settings.MFA_FACE_ACTIVE_TURN

    observed = []
    for frame, ratio in zip(faces, ratios, strict=True):
        shown = set()
        # A positive yaw change moves the nose to the image's right, which
        # is the user's own left in an unmirrored camera image.
        if frame.quality.yaw - baseline_yaw >= turn:
            shown.add(TURN_LEFT)
        if baseline_yaw - frame.quality.yaw >= turn:
            shown.add(TURN_RIGHT)
        if ratio <= blink_limit:
            shown.add(BLINK)
        observed.append(shown)
    return observed


def _gray(rgb):
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
