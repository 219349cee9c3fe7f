"""Analysis of one attempt's burst of camera frames, before any decision.

Every frame is decoded, its face located, its 68 landmarks found and its
quality measured. Those steps took about 13 ms a frame on the dlib-bin 20.0.1
wheel (2 cores). The ResNet descriptor took 77 ms a frame there and 15 ms with
dlib built against OpenBLAS, so it is computed later, and only for the frames
that a decision needs.
"""

from dataclasses import dataclass, field

import numpy as np

from . import engine
from . import quality as gates
from .conf import settings as face_settings
from .errors import FaceError


class AttemptRejected(FaceError):
    """An attempt that cannot be decided: no frames, or too few good ones."""


@dataclass
class FrameAnalysis:
    """Analysis of one frame of a burst.

    ``landmarks`` and ``quality`` are set when the frame shows exactly one
    face, and ``rejection`` is the code of the quality gate it failed, or
    None when the frame counts in a decision.
    """

    index: int
    rgb: np.ndarray
    box: tuple | None = None
    landmarks: np.ndarray | None = None
    quality: gates.FrameQuality | None = None
    rejection: str | None = None
    _descriptor: np.ndarray | None = field(default=None, repr=False)

    @property
    def has_face(self):
        return self.landmarks is not None

    @property
    def good(self):
        return self.has_face and self.rejection is None

    def descriptor(self):
        """Return the face's (128,) descriptor, computed on the first call."""
        if self._descriptor is None:
            self._descriptor = engine.face_descriptor(self.rgb, self.box)
        return self._descriptor


@dataclass
class Burst:
    """The analysed frames of one attempt, in the order they were captured."""

    frames: list[FrameAnalysis]

    def faces(self):
        """Return the frames that show exactly one face, in capture order."""
        return [frame for frame in self.frames if frame.has_face]

    def good_frames(self):
        """Return the frames that passed every quality gate, best first.

        The best frame has the most frontal head, because pose changes the
        descriptor more than the small differences in light and sharpness
        that remain after the gates. Sharpness breaks ties.
        """
        good = [frame for frame in self.frames if frame.good]
        return sorted(
            good,
            key=lambda frame: (
                round(gates.pose_deviation(frame.quality)),
                -frame.quality.sharpness,
            ),
        )

    def rejection(self):
        """Return the error for the most common reason that frames failed.

        :return: a FaceError for the burst, with the code of the quality gate
            that most frames failed.
        """
        codes = [frame.rejection for frame in self.frames if frame.rejection]
        if not codes:
            return AttemptRejected(
                "no_frames", "No camera frames were received. Try again."
            )
        return gates.most_common_rejection(codes)

    def require_good_frames(self, count):
        """Return the good frames, best first, or raise when fewer than ``count``.

        :param count: minimum number of good frames, capped at the number of
            frames in the burst so that a one-frame burst needs one.
        :raises FaceError: the burst's most common rejection.
        """
        good = self.good_frames()
        if len(good) < min(count, len(self.frames)) or not good:
            raise self.rejection()
        return good


def describe(frames):
    """Compute the missing descriptors of ``frames`` in one call, and return all.

    The frames that have no descriptor yet go through the ResNet together
    (``engine.face_descriptors``), and each keeps its descriptor for later
    calls.

    :param frames: FrameAnalysis objects that show one face each.
    :return: list of (128,) descriptors, in the order of ``frames``.
    """
    missing = [frame for frame in frames if frame._descriptor is None]
    descriptors = engine.face_descriptors(
        [frame.rgb for frame in missing], [frame.box for frame in missing]
    )
    for frame, descriptor in zip(missing, descriptors, strict=True):
        frame._descriptor = descriptor
    return [frame.descriptor() for frame in frames]


def analyse_burst(frames):
    """Decode each frame, locate its face and measure its quality.

    A face is searched for near its box in the previous frame first, and on
    the whole frame when it is not there, so a burst costs about one
    full-frame detection.

    :param frames: list of encoded JPEG or PNG frames (bytes), in capture order.
    :return: a Burst.
    :raises AttemptRejected: with code ``no_frames`` for an empty list.
    :raises ImageRejected: a frame is not a valid image. The whole attempt is
        rejected, because a client that sends one bad frame is not trusted for
        the others.
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

    analysed = []
    previous_box = None
    for index, rgb in enumerate(images):
        frame = analyse_frame(index, rgb, previous_box)
        analysed.append(frame)
        if frame.has_face:
            previous_box = frame.box
        elif frame.rejection == "multiple_faces":
            previous_box = None

    return Burst(frames=analysed)


def analyse_frame(index, rgb, previous_box=None):
    """Locate the face of one decoded frame, find its landmarks and gate it.

    :param index: position of the frame in its burst.
    :param rgb: HxWx3 uint8 RGB array.
    :param previous_box: the face's box in the previous frame of the burst, or
        None. The face is searched for near it first.
    :return: a FrameAnalysis.
    """
    frame = FrameAnalysis(index=index, rgb=rgb)

    # NOTE: a frame whose face is found near the previous box is not scanned
    # elsewhere, so a second face that comes into view after the first frame
    # is not reported as multiple_faces.
    boxes = []
    if previous_box is not None:
        boxes = engine.face_locations_near(rgb, previous_box)
    if not boxes:
        boxes = engine.face_locations(rgb)

    if not boxes:
        frame.rejection = "no_face"
        return frame
    if len(boxes) > 1:
        frame.rejection = "multiple_faces"
        return frame

    frame.box = boxes[0]
    frame.landmarks = engine.face_landmarks(rgb, frame.box)
    frame.quality = gates.measure(rgb, frame.box, frame.landmarks)
    frame.rejection = gates.failed_gate(frame.quality)
    return frame
