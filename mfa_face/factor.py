"""Enrollment and verification of the face factor from a burst of frames."""

import logging
from dataclasses import dataclass

import numpy as np
from django.db import transaction as db_transaction
from django.utils import timezone

from . import engine
from .conf import settings as face_settings
from .models import FaceDevice

logger = logging.getLogger(__name__)


class AttemptRejected(engine.FaceError):
    """An attempt that cannot be decided: bad frames or an inconsistent burst."""


@dataclass
class Verification:
    matched: bool
    distance: float


def describe_burst(frames):
    """Return the descriptors of the usable frames of one attempt.

    :param frames: a list of encoded JPEG or PNG frames (bytes).
    :returns: a (k, 128) float64 array with one row per frame that shows one face;
        at most ``MFA_FACE_DESCRIBE_FRAMES`` rows, from the largest faces.
    :raises engine.ImageRejected: a frame is not a valid image; the whole attempt
        is rejected, because a client that sends one bad frame is not trusted for
        the others.
    :raises engine.MultipleFaces: any frame shows more than one face.
    :raises engine.NoFace: no frame shows a face.
    """
    if not frames:
        raise AttemptRejected("no_frames", "No camera frames were received. Try again.")

    images = [
        engine.decode_image(
            data,
            max_bytes=face_settings.MFA_FACE_MAX_FRAME_BYTES,
            max_pixels=face_settings.MFA_FACE_MAX_FRAME_PIXELS,
        )
        for data in frames
    ]

    candidates = []
    for image in images:
        locations = engine.face_locations(image)
        if len(locations) > 1:
            raise engine.MultipleFaces()
        if len(locations) == 1:
            candidates.append((face_area(locations[0]), image, locations[0]))

    if not candidates:
        raise engine.NoFace()

    # The descriptor costs far more than detection, so only the frames with the
    # largest faces, which carry the most detail, are described.
    candidates.sort(key=lambda candidate: candidate[0], reverse=True)
    chosen = candidates[: face_settings.MFA_FACE_DESCRIBE_FRAMES]
    return np.array(
        [engine.face_descriptor(image, location) for _, image, location in chosen]
    )


def face_area(location):
    top, right, bottom, left = location
    return (bottom - top) * (right - left)


def enroll(user, frames):
    """Enroll ``user``'s face from ``frames`` and return the new FaceDevice.

    The frames must show one person: every pair of descriptors must be within
    the match threshold, otherwise the attempt is rejected and nothing is saved.
    """
    descriptors = describe_burst(frames)

    threshold = face_settings.MFA_FACE_MATCH_THRESHOLD
    for i in range(len(descriptors)):
        for j in range(i + 1, len(descriptors)):
            if engine.face_distance(descriptors[i], descriptors[j]) > threshold:
                raise AttemptRejected(
                    "inconsistent_frames",
                    "The frames do not show the same face. Hold still and try again.",
                )

    with db_transaction.atomic():
        device = FaceDevice(user=user, name="Face", confirmed=True)
        device.descriptors = descriptors
        device.save()

    logger.info(
        "face enrolled user=%s pool=%s frames=%d", user.pk, user.pool_id, len(frames)
    )
    return device


def verify(device, frames):
    """Compare ``frames`` with ``device``'s template and record the outcome.

    The decision uses the median distance over the described frames, so one
    lucky or unlucky frame does not decide alone. A match resets django-otp's
    failure counter; a mismatch increments it.
    """
    descriptors = describe_burst(frames)

    template = device.descriptors
    distances = [
        engine.face_distance(template, descriptor) for descriptor in descriptors
    ]
    distance = float(np.median(distances))
    matched = distance <= face_settings.MFA_FACE_MATCH_THRESHOLD

    if matched:
        device.throttle_reset(commit=False)
        device.last_verified_at = timezone.now()
        device.save()
    else:
        device.throttle_increment(commit=True)

    logger.info(
        "face verification user=%s pool=%s matched=%s distance=%.3f",
        device.user_id,
        device.user.pool_id,
        matched,
        distance,
    )
    return Verification(matched=matched, distance=distance)
