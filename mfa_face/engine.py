"""Face detection, landmarks and descriptors for the face factor, on dlib's models.

Images are HxWx3 uint8 RGB numpy arrays. Face boxes are
``(top, right, bottom, left)`` tuples in pixels of the image they were found in,
with bottom and right exclusive, so ``rgb[top:bottom, left:right]`` is the face.
Landmarks are the 68 points of the iBUG 300-W scheme as a (68, 2) float64 array
of (x, y) pixels. A descriptor is a (128,) float64 vector from dlib's ResNet
model, and two descriptors of one person are close in Euclidean distance.

dlib and its model files load on first use (or on ``load_models()``), not at
import, so a Django process can start without them.
"""

import importlib.util
import logging
import os
import threading

import cv2
import numpy as np
from PIL import Image

from mfa_face.conf import settings

from .errors import FaceError, ImageRejected, MultipleFaces, NoFace
from .images import decode_image

__all__ = [
    "FaceError",
    "ImageRejected",
    "ModelMissing",
    "MultipleFaces",
    "NoFace",
    "decode_image",
    "describe_single_face",
    "face_descriptor",
    "face_descriptors",
    "face_distance",
    "face_landmarks",
    "face_locations",
    "face_locations_near",
    "load_models",
    "with_max_pyramid_levels",
]

logger = logging.getLogger(__name__)

SHAPE_PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
LANDMARKS_PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MODELS_PACKAGE = "face_recognition_models"

DESCRIPTOR_SIZE = 128
LANDMARK_COUNT = 68

# A face searched for near its box in the previous frame is looked for in the
# box grown by NEAR_MARGIN times its side on every side, scaled so that the
# face is about NEAR_FACE_SIDE pixels wide. In the shared clip the face moved
# up to 0.9 of its width in 400 ms, hence a margin of one side. dlib's HOG
# window is 80x80 px, so 90 px leaves room for the face to shrink by a tenth.
# The search then covers about 270x270 px, which took 5.5 ms against 7.1 ms at
# 100 px and 17 ms for a full 640x480 frame (gray, dlib-bin 20.0.1, 2 cores).
# In the 66 clip bursts of bench.burst_eval the search missed 7 of 328 faces
# at 90 px and 6 at 100 px, and the full-frame search then ran instead.
NEAR_MARGIN = 1.0
NEAR_FACE_SIDE = 90
# The nearby search scans only the largest pyramid levels of its
# neighbourhood, each 5/6 the size of the one before. With the face scaled to
# NEAR_FACE_SIDE, level 0 finds a face about 0.8 times as wide as in the
# previous frame, level 1 one as wide, and each further level one 1.2 times
# wider still. In the 324 later frames of the 66 clip bursts of
# bench.burst_eval, four levels missed the same 8 faces as all levels, and
# three missed 12. Four took 2.3 ms against 3.1 ms for all of them (dlib-bin
# 20.0.1, 2 cores).
NEAR_PYRAMID_LEVELS = 4


class ModelMissing(RuntimeError):
    """Failure to find a dlib model file or the package that provides it."""


def face_locations(rgb):
    """Find the faces in an image with dlib's HOG detector.

    The image is downscaled so that its longer side is at most
    ``MFA_FACE_DETECT_MAX_SIDE`` pixels before detection, and the boxes are
    scaled back. When nothing is found, the detector runs once more on the
    image upsampled 2x, which finds faces down to about 40 px.

    :param rgb: HxWx3 uint8 RGB array.
    :return: list of ``(top, right, bottom, left)`` boxes in pixels of ``rgb``,
        bottom and right exclusive, clipped to the image; the best-scoring
        face first.
    """
    rgb = _check_rgb(rgb)
    height, width = rgb.shape[:2]
    detector = _get_models().detector

    # dlib's HOG features of a color image take the strongest gradient of the
    # three channels, and a gray image needs one channel's: 17 ms against 23
    # ms for a 640x480 frame (dlib-bin 20.0.1). On the shared photos and clip
    # frames it found the same faces or more, with boxes up to 15 px apart.
    small = _gray(_downscale(rgb, settings.MFA_FACE_DETECT_MAX_SIDE))
    scale_y = height / small.shape[0]
    scale_x = width / small.shape[1]

    # dlib's HOG detector finds faces of about 80x80 px and larger. One
    # upsampling step halves that, at 4x the cost, so it runs only when the
    # first pass finds nothing.
    with _dlib_lock:
        rects = detector(small, 0)
        if len(rects) == 0:
            rects = detector(small, 1)

    return [_rect_to_box(rect, scale_y, scale_x, height, width) for rect in rects]


def face_descriptor(rgb, location):
    """Compute the descriptor of one face.

    The 5-point shape predictor aligns the face, and dlib's ResNet model maps
    the aligned 150x150 crop to a descriptor.

    :param rgb: HxWx3 uint8 RGB array.
    :param location: ``(top, right, bottom, left)`` box from ``face_locations``.
    :return: (128,) float64 descriptor.
    """
    rgb = _check_rgb(rgb)
    models = _get_models()
    rect = _box_to_rect(location)

    with _dlib_lock:
        shape = models.shape_predictor(rgb, rect)
        descriptor = models.resnet.compute_face_descriptor(rgb, shape)

    return np.array(descriptor, dtype=np.float64)


def face_descriptors(images, locations):
    """Compute the descriptors of several faces in one pass of the ResNet.

    Each result equals what ``face_descriptor`` returns for that face, because
    the network's deploy form has affine layers in place of batch
    normalization. On the shared clip's frames the two were identical to the
    bit. With dlib 20.0.1 built against OpenBLAS, one pass over two faces took
    14 % less time than two calls, and over six faces 22 % less. The dlib-bin
    wheel, built without BLAS, took the same time either way.

    :param images: list of HxWx3 uint8 RGB arrays.
    :param locations: list of ``(top, right, bottom, left)`` boxes, one face
        per image, in the same order.
    :return: list of (128,) float64 descriptors, in the order of ``images``.
    """
    import dlib

    if len(images) != len(locations):
        raise ValueError(
            f"expected one face box per image, got {len(images)} images and "
            f"{len(locations)} boxes"
        )
    if not images:
        return []

    images = [_check_rgb(rgb) for rgb in images]
    models = _get_models()

    with _dlib_lock:
        shapes = [
            dlib.full_object_detections(
                [models.shape_predictor(rgb, _box_to_rect(location))]
            )
            for rgb, location in zip(images, locations, strict=True)
        ]
        batch = models.resnet.compute_face_descriptor(images, shapes)

    return [np.array(per_image[0], dtype=np.float64) for per_image in batch]


def face_locations_near(rgb, location):
    """Find the faces around the box where a face was in the previous frame.

    Within one burst the face moves little from frame to frame, so searching
    the neighbourhood of its last box replaces a full-frame scan that costs
    about three times more for a 90 px face in a 640x480 frame. A face that
    left the neighbourhood is not found here, and the caller then runs
    ``face_locations`` on the whole frame.

    :param rgb: HxWx3 uint8 RGB array.
    :param location: ``(top, right, bottom, left)`` box of the face in the
        previous frame, in pixels of ``rgb``.
    :return: list of boxes in pixels of ``rgb``, as ``face_locations`` returns;
        empty when no face is in the neighbourhood.
    """
    rgb = _check_rgb(rgb)
    height, width = rgb.shape[:2]
    top, right, bottom, left = location
    side = max(right - left, bottom - top, 1)
    margin = round(side * NEAR_MARGIN)

    crop_top = max(0, top - margin)
    crop_left = max(0, left - margin)
    crop_bottom = min(height, bottom + margin)
    crop_right = min(width, right + margin)
    if crop_bottom - crop_top < 2 or crop_right - crop_left < 2:
        return []

    scale = NEAR_FACE_SIDE / side
    crop = _gray(rgb[crop_top:crop_bottom, crop_left:crop_right])
    size = (
        max(1, round((crop_right - crop_left) * scale)),
        max(1, round((crop_bottom - crop_top) * scale)),
    )
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = np.ascontiguousarray(cv2.resize(crop, size, interpolation=interpolation))

    detector = _get_models().near_detector
    with _dlib_lock:
        rects = detector(scaled, 0)

    boxes = []
    for rect in rects:
        box_top, box_right, box_bottom, box_left = _rect_to_box(
            rect, 1 / scale, 1 / scale, crop_bottom - crop_top, crop_right - crop_left
        )
        boxes.append(
            (
                box_top + crop_top,
                box_right + crop_left,
                box_bottom + crop_top,
                box_left + crop_left,
            )
        )
    return boxes


def face_landmarks(rgb, location):
    """Locate the 68 facial landmarks of one face.

    :param rgb: HxWx3 uint8 RGB array.
    :param location: ``(top, right, bottom, left)`` box of the face.
    :return: (68, 2) float64 array of (x, y) pixels of ``rgb``, in the iBUG
        300-W order: 0-16 jaw, 17-26 eyebrows, 27-35 nose, 36-41 and 42-47
        the eyes on the image's left and right, 48-67 mouth.
    """
    rgb = _check_rgb(rgb)
    predictor = _get_models().landmarks_predictor
    rect = _box_to_rect(location)

    with _dlib_lock:
        shape = predictor(rgb, rect)

    return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float64)


def face_distance(template, descriptor):
    """Measure how far a descriptor is from a template.

    A template enrolled from several frames keeps one descriptor per frame.
    The distance is the minimum over them, because a genuine probe needs to
    resemble one enrolled view (the same pose or light), not their average.
    Each extra stored descriptor is one more chance for an impostor to come
    close, so the false match rate grows with k at a fixed threshold.

    :param template: (k, 128) or (128,) array of stored descriptors.
    :param descriptor: (128,) descriptor of the probe face.
    :return: Euclidean distance, 0.0 for identical vectors. Same-person pairs
        of dlib's model are usually below 0.6.
    """
    template = np.asarray(template, dtype=np.float64)
    descriptor = np.asarray(descriptor, dtype=np.float64)

    if template.ndim == 1:
        template = template[np.newaxis, :]
    if template.ndim != 2 or template.shape[0] == 0:
        raise ValueError(
            f"template must have shape (k, {DESCRIPTOR_SIZE}) with k >= 1, "
            f"got {template.shape}"
        )
    if template.shape[1] != DESCRIPTOR_SIZE or descriptor.shape != (DESCRIPTOR_SIZE,):
        raise ValueError(
            f"descriptors must have {DESCRIPTOR_SIZE} values, got template "
            f"{template.shape} and descriptor {descriptor.shape}"
        )

    distances = np.linalg.norm(template - descriptor, axis=1)
    return float(distances.min())


def describe_single_face(rgb):
    """Detect the one face in an image and compute its descriptor.

    :param rgb: HxWx3 uint8 RGB array.
    :return: (128,) float64 descriptor.
    :raises NoFace: when no face is found.
    :raises MultipleFaces: when more than one face is found.
    """
    locations = face_locations(rgb)

    if not locations:
        raise NoFace()
    if len(locations) > 1:
        raise MultipleFaces()

    return face_descriptor(rgb, locations[0])


def load_models():
    """Load dlib and its model files now instead of on first use.

    A server calls this at start-up, so the first sign-in does not wait about a
    second for the models and a missing file fails the start.

    :raises ModelMissing: when a model file or its package is not installed.
    """
    _get_models()


# Models and locks -----------------------------------------------------------


class _Models:
    def __init__(self, detector, shape_predictor, landmarks_predictor, resnet):
        self.detector = detector
        # The same HOG filters, scanning fewer pyramid levels.
        self.near_detector = (
            with_max_pyramid_levels(detector, NEAR_PYRAMID_LEVELS) or detector
        )
        # 5 points, for the alignment that the ResNet descriptor was trained on.
        self.shape_predictor = shape_predictor
        # 68 points, for head pose, eye aspect ratio and liveness.
        self.landmarks_predictor = landmarks_predictor
        self.resnet = resnet


_models = None
_models_lock = threading.Lock()

# dlib documents concurrent use of one HOG scanner object as unsafe, and the
# ResNet keeps each layer's output inside the network object between calls, so
# only one thread at a time may run a detector, predictor or network call.
# gunicorn's threaded workers run requests in parallel threads of one process.
# With dlib-bin 20.0.1 these calls hold the GIL, so two threads took as long as
# one even without the lock, and the lock costs no throughput. It keeps the
# calls safe on a dlib build that releases the GIL. More worker processes, not
# threads, give parallel face processing.
_dlib_lock = threading.Lock()


def _get_models():
    global _models

    models = _models
    if models is not None:
        return models

    with _models_lock:
        if _models is None:
            _models = _load()
        return _models


def _load():
    try:
        import dlib
    except ImportError as exc:
        raise ImportError(
            "dlib is not installed. Install the dlib-bin package."
        ) from exc

    models_dir = _models_dir()
    shape_predictor_path = _model_path(models_dir, SHAPE_PREDICTOR_FILE)
    landmarks_predictor_path = _model_path(models_dir, LANDMARKS_PREDICTOR_FILE)
    resnet_path = _model_path(models_dir, RESNET_FILE)

    models = _Models(
        detector=dlib.get_frontal_face_detector(),
        shape_predictor=dlib.shape_predictor(shape_predictor_path),
        landmarks_predictor=dlib.shape_predictor(landmarks_predictor_path),
        resnet=dlib.face_recognition_model_v1(resnet_path),
    )
    logger.info("Loaded face models from %s", models_dir)
    return models


def _models_dir():
    configured = settings.MFA_FACE_MODELS_DIR
    if configured:
        return os.fspath(configured)

    # find_spec locates the package without running its __init__, which
    # imports pkg_resources, and setuptools 81 and later no longer ship it.
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"The {MODELS_PACKAGE} package is not installed. Install it with "
            f"'pip install {MODELS_PACKAGE}', or set MFA_FACE_MODELS_DIR to a "
            f"folder that contains {SHAPE_PREDICTOR_FILE} and {RESNET_FILE}."
        )
    return os.path.join(spec.submodule_search_locations[0], "models")


def _model_path(models_dir, filename):
    path = os.path.join(models_dir, filename)
    if not os.path.isfile(path):
        raise ModelMissing(
            f"Face model file not found: {path}. Install the {MODELS_PACKAGE} "
            f"package ('pip install {MODELS_PACKAGE}'), or set MFA_FACE_MODELS_DIR "
            f"to a folder that contains {filename}."
        )
    return path


def _reset_models():
    """Drop the loaded models so the next call loads them again (for tests)."""
    global _models

    with _models_lock:
        _models = None


# Detection helpers ----------------------------------------------------------

# The serialized state of dlib's HOG detector opens with nine integers. They
# are the object detector's and the scanner's format versions, two zero
# counts of the scanner's empty feature pyramid, the HOG cell size, the
# padding, the detection window's width and height, and the maximum number
# of pyramid levels. The versions below are those of dlib 19 and 20.
_DETECTOR_FORMAT = 2
_SCANNER_FORMAT = 1
_MAX_LEVELS_FIELD = 8


def with_max_pyramid_levels(detector, levels):
    """Return a copy of a dlib HOG detector that scans at most ``levels`` pyramid levels.

    dlib's C++ scanner has ``set_max_pyramid_levels``, and its Python binding
    does not, so the copy is made from the detector's serialized state with
    that one field changed.

    :param detector: a ``dlib.fhog_object_detector``.
    :param levels: number of pyramid levels, 1 to 255; level 0 is the image
        itself and each further level is 5/6 the size of the one before.
    :return: the copy, or ``detector`` itself when it already scans no more
        than ``levels``. None when the state does not have the layout of dlib
        19 and 20, so that the caller keeps the full scan.
    """
    import dlib

    if not 1 <= levels <= 255:
        raise ValueError(f"levels must be 1 to 255, got {levels}")

    (state,) = detector.__getstate__()
    fields = []
    offset = 0
    try:
        for _ in range(_MAX_LEVELS_FIELD + 1):
            start = offset
            value, offset = _read_dlib_int(state, offset)
            fields.append((value, start, offset))
    except IndexError:
        return None

    values = [value for value, _, _ in fields]
    expected = [
        _DETECTOR_FORMAT,
        _SCANNER_FORMAT,
        0,
        0,
        values[4],
        values[5],
        detector.detection_window_width,
        detector.detection_window_height,
    ]
    if values[:_MAX_LEVELS_FIELD] != expected:
        logger.warning(
            "The face detector's serialized form is not the one of dlib 19 "
            "and 20, so nearby face searches scan every pyramid level."
        )
        return None
    if values[_MAX_LEVELS_FIELD] <= levels:
        return detector

    _, start, end = fields[_MAX_LEVELS_FIELD]
    patched = state[:start] + _dlib_int(levels) + state[end:]
    copy = dlib.fhog_object_detector.__new__(dlib.fhog_object_detector)
    copy.__setstate__((patched,))
    return copy


def _read_dlib_int(data, offset):
    """Read one integer of dlib's serialization: a length byte, then that many bytes.

    The length byte has bit 0x80 set for a negative value, and the bytes that
    follow are the magnitude, least significant first.
    """
    header = data[offset]
    length = header & 0x7F
    end = offset + 1 + length
    if length == 0 or end > len(data):
        raise IndexError("truncated integer")
    value = int.from_bytes(data[offset + 1 : end], "little")
    return (-value if header & 0x80 else value), end


def _dlib_int(value):
    magnitude = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "little")
    return bytes([len(magnitude)]) + magnitude


def _check_rgb(rgb):
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(
            f"expected an HxWx3 uint8 RGB array, got shape {rgb.shape} "
            f"and dtype {rgb.dtype}"
        )
    return np.ascontiguousarray(rgb)


def _gray(rgb):
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def _downscale(rgb, max_side):
    height, width = rgb.shape[:2]
    longer = max(height, width)
    if longer <= max_side:
        return rgb

    factor = max_side / longer
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized)


def _rect_to_box(rect, scale_y, scale_x, height, width):
    # dlib's right() and bottom() are inclusive, hence the + 1.
    top = max(0, round(rect.top() * scale_y))
    right = min(width, round((rect.right() + 1) * scale_x))
    bottom = min(height, round((rect.bottom() + 1) * scale_y))
    left = max(0, round(rect.left() * scale_x))
    return (top, right, bottom, left)


def _box_to_rect(location):
    import dlib

    top, right, bottom, left = (int(value) for value in location)
    return dlib.rectangle(left, top, right - 1, bottom - 1)
