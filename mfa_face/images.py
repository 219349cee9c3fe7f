"""Decoding of uploaded camera frames into RGB arrays.

Only JPEG and PNG are accepted. The type comes from the magic bytes, and the
pixel count is checked from the header before any pixel is decoded.
"""

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageRejected

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
    image = _open_checked(data, max_bytes, max_pixels)
    try:
        image.load()
        # In place, because copying each upright 640x480 frame took about
        # 0.8 ms (Pillow 13, 2 cores).
        ImageOps.exif_transpose(image, in_place=True)
        return _to_rgb_array(image)
    except Image.DecompressionBombError as exc:
        raise _too_large_error(image.size, max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(
            "invalid_image",
            "The photo is damaged or incomplete. Take the photo again.",
        ) from exc


def check_header(data, *, max_bytes, max_pixels):
    """Check what :func:`decode_image` can check without decoding any pixel.

    A frame that passes can still fail to decode, when its data ends early
    or is damaged after the header.

    :return: width x height as the header declares it.
    :raises ImageRejected: with code ``empty_image``, ``unsupported_image_type``,
        ``image_too_large`` or ``invalid_image``.
    """
    with _open_checked(data, max_bytes, max_pixels) as image:
        width, height = image.size
    return width * height


# Image decoding helpers -----------------------------------------------------


def _sniff_format(data):
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    return None


def _open_checked(data, max_bytes, max_pixels):
    """Open the image header only, and reject an empty, oversized or unknown image."""
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
