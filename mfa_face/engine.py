"""Face detection and face descriptors for the face factor, on dlib's models.

Images are HxWx3 uint8 RGB numpy arrays. Face boxes are
``(top, right, bottom, left)`` tuples in pixels of the image they were found in,
with bottom and right exclusive, so ``rgb[top:bottom, left:right]`` is the face.
A descriptor is a (128,) float64 vector from dlib's ResNet model, and two
descriptors of one person are close in Euclidean distance.

dlib and its model files load on first use (or on ``load_models()``), not at
import, so a Django process can start without them.
"""

import importlib.util
import io
import logging
import os
import struct
import threading
import zlib

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mfa_face.conf import settings

logger = logging.getLogger(__name__)

SHAPE_PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MODELS_PACKAGE = "face_recognition_models"

DESCRIPTOR_SIZE = 128

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Errors that Pillow raises for damaged or truncated JPEG and PNG data.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
)


class FaceError(Exception):
    """Base class of the errors a user can fix by taking another photo.

    ``code`` is a stable snake_case identifier for clients, and ``message`` is a
    sentence for the user that states what to do. Both default to the class
    attributes, so ``NoFace()`` needs no arguments.
    """

    code = "face_error"
    message = "The photo could not be processed. Take the photo again."

    def __init__(self, code=None, message=None):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        super().__init__(self.message)


class ImageRejected(FaceError):
    """Rejection of an upload that is not an acceptable JPEG or PNG image."""

    code = "invalid_image"
    message = "The photo could not be read. Take the photo again."


class NoFace(FaceError):
    """Absence of any face that the detector can find in the image."""

    code = "no_face"
    message = "No face found. Face the camera in good light and try again."


class MultipleFaces(FaceError):
    """Presence of more than one face in the image."""

    code = "multiple_faces"
    message = (
        "More than one face in view. Make sure only you are in front of the camera."
    )


class ModelMissing(RuntimeError):
    """Failure to find a dlib model file or the package that provides it."""


def decode_image(data, *, max_bytes, max_pixels):
    """Decode a JPEG or PNG upload into an RGB array, upright.

    :param data: the uploaded file, as bytes. The type is read from its magic
        bytes, never from a file name or Content-Type header.
    :param max_bytes: maximum length of ``data``, in bytes.
    :param max_pixels: maximum width x height, in pixels. It is checked from
        the image header before any pixel is decoded.
    :return: HxWx3 uint8 RGB array, rotated as its EXIF Orientation tag specifies.
        Transparent pixels are composited onto white, and 16-bit samples are
        scaled to 8 bits.
    :raises ImageRejected: with code ``empty_image``, ``unsupported_image_type``,
        ``image_too_large`` or ``invalid_image``.
    """
    if not data:
        raise ImageRejected(
            "empty_image",
            "The photo is empty. Take the photo again.",
        )

    if len(data) > max_bytes:
        raise ImageRejected(
            "image_too_large",
            f"The photo is {len(data)} bytes, more than the maximum of "
            f"{max_bytes} bytes. Send a smaller photo.",
        )

    image_format = _sniff_format(data)
    if image_format is None:
        raise ImageRejected(
            "unsupported_image_type",
            "The photo must be a JPEG or PNG image.",
        )

    image = _open_checked(data, image_format, max_pixels)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        return _to_rgb_array(image)
    except Image.DecompressionBombError as exc:
        raise _too_large_error(image.size, max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(
            "invalid_image",
            "The photo is damaged or incomplete. Take the photo again.",
        ) from exc


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

    small = _downscale(rgb, settings.MFA_FACE_DETECT_MAX_SIDE)
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
    def __init__(self, detector, shape_predictor, resnet):
        self.detector = detector
        self.shape_predictor = shape_predictor
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
    resnet_path = _model_path(models_dir, RESNET_FILE)

    models = _Models(
        detector=dlib.get_frontal_face_detector(),
        shape_predictor=dlib.shape_predictor(shape_predictor_path),
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


# Image decoding helpers -----------------------------------------------------


def _sniff_format(data):
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    return None


def _open_checked(data, image_format, max_pixels):
    """Open the image header only, and reject it when it declares too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
    except Image.DecompressionBombError as exc:
        # Pillow's own limit (Image.MAX_IMAGE_PIXELS) fired while reading the
        # header, so the declared size is all that is known.
        raise ImageRejected(
            "image_too_large",
            "The photo has too many pixels. Send a smaller photo.",
        ) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise ImageRejected(
            "invalid_image",
            "The photo is damaged or incomplete. Take the photo again.",
        ) from exc

    width, height = image.size
    if width * height > max_pixels:
        raise _too_large_error(image.size, max_pixels)
    return image


def _too_large_error(size, max_pixels):
    width, height = size
    return ImageRejected(
        "image_too_large",
        f"The photo is {width}x{height} pixels, more than the maximum of "
        f"{max_pixels} pixels. Send a smaller photo.",
    )


def _to_rgb_array(image):
    mode = image.mode

    if mode.startswith("I;16") or mode == "I":
        return _sixteen_bit_gray_to_rgb(image)
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    ):
        return _composite_on_white(image)
    if mode != "RGB":
        image = image.convert("RGB")
    return np.array(image, dtype=np.uint8)


def _sixteen_bit_gray_to_rgb(image):
    # Pillow's convert() from 16-bit modes clips values above 255 instead of
    # scaling them, which turns most of a 16-bit photo white. 65535 / 257 is
    # 255, so dividing by 257 maps the full 16-bit range onto 8 bits.
    samples = np.array(image, dtype=np.int64)
    samples = np.clip(samples, 0, 65535)
    gray = ((samples + 128) // 257).astype(np.uint8)
    return np.repeat(gray[:, :, np.newaxis], 3, axis=2)


def _composite_on_white(image):
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flattened = Image.alpha_composite(background, rgba).convert("RGB")
    return np.array(flattened, dtype=np.uint8)


# Detection helpers ----------------------------------------------------------


def _check_rgb(rgb):
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(
            f"expected an HxWx3 uint8 RGB array, got shape {rgb.shape} "
            f"and dtype {rgb.dtype}"
        )
    return np.ascontiguousarray(rgb)


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
