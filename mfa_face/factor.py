"""Enrollment and verification of the face factor from a burst of frames.

``enrollment_template`` and ``match_burst`` decide on an analysed burst and
touch no database, so the ``face_eval`` command and the tests run the same
decisions as the sign-in. ``enroll`` and ``verify`` add the liveness check
and store the outcome on the user's FaceDevice.
"""

import itertools
import logging
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction as db_transaction
from django.utils import timezone

from . import engine, liveness
from .burst import AttemptRejected, analyse_burst, describe
from .conf import settings as face_settings
from .models import FaceDevice

logger = logging.getLogger(__name__)

__all__ = [
    "AttemptRejected",
    "Verification",
    "enroll",
    "enrollment_template",
    "match_burst",
    "verify",
    "verify_frames",
]

# Good frames that an enrollment or a verification needs, or every frame of
# a shorter burst, such as one photo sent with liveness off.
MIN_GOOD_FRAMES = 2

# Default of match_burst's clear_match_distance, meaning the configured value.
# None cannot serve as the default, because None turns the clear match off.
CONFIGURED = object()


@dataclass
class Verification:
    """The outcome of comparing one burst with a template.

    ``distances`` are the distances of the frames that were described, best
    frame first, and ``distance`` is their median.
    """

    matched: bool
    distance: float
    distances: list[float] = field(default_factory=list)


@dataclass
class Enrollment:
    """An accepted enrollment burst, not stored yet: the template and its figures."""

    descriptors: np.ndarray
    quality: list[dict]
    figures: liveness.LivenessFigures | None
    frame_count: int
    liveness_level: str


def enrollment_template(burst):
    """Return the descriptors and quality figures that enroll a burst.

    Up to ``MFA_FACE_ENROLL_CANDIDATES`` of the best good frames are
    described, and the ``MFA_FACE_ENROLL_FRAMES`` of them that agree best
    (the smallest largest pairwise distance) form the template. Every pair of
    the chosen descriptors must be within the match threshold, so the template
    cannot mix two people. A frame spoilt by a hand or a microphone in front
    of the face is left out instead of failing the enrollment.

    :param burst: a ``burst.Burst``.
    :return: ``(descriptors, figures)``: a (k, 128) float64 array and a list of
        k dicts of quality figures, in the order of the frames' quality.
    :raises FaceError: the burst's most common quality rejection, when fewer
        than two frames (or fewer than the burst's length) are good.
    :raises AttemptRejected: with code ``inconsistent_frames`` when no
        ``MFA_FACE_ENROLL_FRAMES`` frames show the same person.
    """
    good = burst.require_good_frames(MIN_GOOD_FRAMES)
    candidates = good[: face_settings.MFA_FACE_ENROLL_CANDIDATES]
    size = min(face_settings.MFA_FACE_ENROLL_FRAMES, len(candidates))
    descriptors = describe(candidates)

    best = None
    for chosen in itertools.combinations(range(len(candidates)), size):
        spread = max(
            (
                engine.face_distance(descriptors[first], descriptors[second])
                for first, second in itertools.combinations(chosen, 2)
            ),
            default=0.0,
        )
        if best is None or spread < best[0]:
            best = (spread, chosen)

    spread, chosen = best
    if spread > face_settings.MFA_FACE_MATCH_THRESHOLD:
        raise AttemptRejected(
            "inconsistent_frames",
            "The frames do not show the same face clearly. Keep your face in view, "
            "with nothing in front of it, and try again.",
        )

    template = np.array([descriptors[index] for index in chosen])
    figures = [candidates[index].quality.as_dict() for index in chosen]
    return template, figures


def match_burst(template, burst, threshold=None, clear_match_distance=CONFIGURED):
    """Compare the best good frames of a burst with a template.

    The best good frame is described first, and a distance of at most
    ``MFA_FACE_CLEAR_MATCH_DISTANCE`` is a match on its own. Otherwise up to
    ``MFA_FACE_DESCRIBE_FRAMES`` good frames decide, best first, and the burst
    matches when more than half of them are within the threshold (for an odd
    count, when their median distance is). No descriptor is computed once that
    majority is settled either way. Of three frames, the second is described
    next, and the third only when the first two disagree.

    :param template: (k, 128) array of enrolled descriptors.
    :param burst: a ``burst.Burst``.
    :param threshold: maximum matching distance; the configured
        ``MFA_FACE_MATCH_THRESHOLD`` when None.
    :param clear_match_distance: maximum distance of the best frame that
        matches alone, capped at ``threshold``; None to always decide by the
        majority. The configured ``MFA_FACE_CLEAR_MATCH_DISTANCE`` by default.
    :return: a Verification.
    :raises FaceError: the burst's most common quality rejection, when too few
        frames are good.
    """
    if threshold is None:
        threshold = face_settings.MFA_FACE_MATCH_THRESHOLD
    if clear_match_distance is CONFIGURED:
        clear_match_distance = face_settings.MFA_FACE_CLEAR_MATCH_DISTANCE

    good = burst.require_good_frames(MIN_GOOD_FRAMES)
    deciding = good[: face_settings.MFA_FACE_DESCRIBE_FRAMES]

    # NOTE: no check ties the deciding frames to the person in the other
    # frames. A client that pastes the user's face into its most frontal
    # frame passes with that one frame, or with two when the clear match is
    # off (docs/accuracy.md, passive liveness limits).
    best = engine.face_distance(template, deciding[0].descriptor())
    if clear_match_distance is not None and best <= min(
        clear_match_distance, threshold
    ):
        return Verification(matched=True, distance=best, distances=[best])

    majority = len(deciding) // 2 + 1
    # This many frames beyond the threshold make a match impossible.
    mismatch_count = len(deciding) - majority + 1

    distances = [best]
    within = int(best <= threshold)
    while True:
        beyond = len(distances) - within
        # The minimum number of further frames that could settle the majority,
        # because fewer leave the outcome open whatever their distances are.
        needed = min(majority - within, mismatch_count - beyond)
        if needed <= 0:
            break

        start = len(distances)
        for descriptor in describe(deciding[start : start + needed]):
            distance = engine.face_distance(template, descriptor)
            distances.append(distance)
            if distance <= threshold:
                within += 1

    return Verification(
        matched=within >= majority,
        distance=float(np.median(distances)),
        distances=distances,
    )


def verify_frames(template, frames, liveness_level, actions=()):
    """Run one verification attempt on encoded frames, without a database.

    :param template: (k, 128) array of enrolled descriptors.
    :param frames: list of encoded JPEG or PNG frames (bytes), in capture order.
    :param liveness_level: ``"off"``, ``"passive"`` or ``"active"``.
    :param actions: the requested actions for ``"active"``.
    :return: a Verification.
    :raises FaceError: an invalid frame, a quality rejection, or a liveness
        rejection (``liveness.PresentationAttack`` or ``liveness.LivenessRetry``).
    """
    burst = analyse_burst(frames)
    liveness.check(burst, liveness_level, actions)
    return match_burst(template, burst)


def evaluate_enrollment(frames, liveness_level, actions=()):
    """Analyse one enrollment burst without touching the database.

    :param frames: list of encoded JPEG or PNG frames (bytes), in capture order.
    :param liveness_level: the pool's liveness level.
    :param actions: the requested actions when the level is ``"active"``.
    :return: an Enrollment, for :func:`save_enrollment`.
    :raises FaceError: the attempt was rejected.
    """
    burst = analyse_burst(frames)
    figures = liveness.check(burst, liveness_level, actions)
    descriptors, quality = enrollment_template(burst)
    return Enrollment(descriptors, quality, figures, len(frames), liveness_level)


def save_enrollment(user, enrollment):
    """Store ``enrollment`` as ``user``'s confirmed FaceDevice and return it."""
    with db_transaction.atomic():
        device = FaceDevice(user=user, name="Face", confirmed=True)
        device.descriptors = enrollment.descriptors
        device.quality = enrollment.quality
        device.save()

    logger.info(
        "face enrolled user=%s pool=%s frames=%d descriptors=%d liveness=%s %s",
        user.pk,
        user.pool_id,
        enrollment.frame_count,
        len(enrollment.descriptors),
        enrollment.liveness_level,
        _describe_figures(enrollment.figures),
    )
    return device


def enroll(user, frames, liveness_level, actions=()):
    """Enroll ``user``'s face from one burst and return the new FaceDevice.

    :raises FaceError: the attempt was rejected; nothing is saved.
    """
    return save_enrollment(user, evaluate_enrollment(frames, liveness_level, actions))


def evaluate_verification(template, frames, liveness_level, actions=()):
    """Decide one verification burst against ``template``, without the database.

    :return: (Verification, liveness figures or None).
    :raises FaceError: the attempt could not be decided, or showed a
        presentation attack (``liveness.PresentationAttack``).
    """
    burst = analyse_burst(frames)
    figures = liveness.check(burst, liveness_level, actions)
    return match_burst(template, burst), figures


def record_verification(device, result, liveness_level, figures=None):
    """Count a decided verification on ``device``: a match resets the failure
    count and a mismatch increments it. The caller holds the device's row lock."""
    if result.matched:
        device.throttle_reset(commit=False)
        device.last_verified_at = timezone.now()
        device.save()
    else:
        device.throttle_increment(commit=True)

    logger.info(
        "face verification user=%s pool=%s matched=%s distance=%.3f described=%d "
        "liveness=%s %s",
        device.user_id,
        device.user.pool_id,
        result.matched,
        result.distance,
        len(result.distances),
        liveness_level,
        _describe_figures(figures),
    )


def record_attack(device, attack):
    """Count a presentation attack on ``device`` as a failed attempt."""
    device.throttle_increment(commit=True)
    logger.warning(
        "face presentation attack user=%s pool=%s code=%s",
        device.user_id,
        device.user.pool_id,
        attack.code,
    )


def verify(device, frames, liveness_level, actions=()):
    """Compare one burst with ``device``'s template and record the outcome.

    A match resets django-otp's failure counter. A mismatch and a detected
    presentation attack increment it. Quality rejections and liveness
    retries do not, because the user only needs to take the picture again.
    The hosted login runs the two halves itself (:func:`evaluate_verification`,
    then :func:`record_verification` under a row lock).

    :param device: the user's confirmed FaceDevice.
    :param frames: list of encoded JPEG or PNG frames (bytes), in capture order.
    :param liveness_level: the pool's liveness level.
    :param actions: the requested actions when the level is ``"active"``.
    :return: a Verification.
    :raises FaceError: the attempt could not be decided, or showed a
        presentation attack (``liveness.PresentationAttack``).
    """
    try:
        result, figures = evaluate_verification(
            device.descriptors, frames, liveness_level, actions
        )
    except liveness.PresentationAttack as attack:
        record_attack(device, attack)
        raise
    record_verification(device, result, liveness_level, figures)
    return result


def _describe_figures(figures):
    if figures is None:
        return ""
    return (
        f"still_difference={figures.still_difference:.2f} "
        f"planar_error={figures.planar_error:.3f} "
        f"pose_change={figures.pose_change:.1f} "
        f"scene_change={figures.scene_change:.1f} "
        f"background={figures.background:.2f}"
    )
