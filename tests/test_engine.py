"""Tests of the face engine with dlib's real models on real photos.

These tests need no database. Crafted images are written to tmp_path, and the
shared photos are only read.
"""

import io
import json
import os
import subprocess
import sys
import threading
import zlib

import numpy as np
import pytest
from PIL import Image

from mfa_face import engine
from mfa_face.conf import settings
from tests.faces import REPO_DIR, face_bytes

MAX_BYTES = settings.MFA_FACE_MAX_FRAME_BYTES
MAX_PIXELS = settings.MFA_FACE_MAX_FRAME_PIXELS


def decode(data):
    return engine.decode_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)


def load_photo(relative):
    return decode(face_bytes(relative))


def encode(image, image_format, **params):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def png_with_declared_size(width, height):
    """Return a small PNG whose IHDR chunk claims width x height pixels."""
    data = bytearray(encode(Image.new("RGB", (8, 8), (90, 90, 90)), "PNG"))

    # After the 8-byte signature, IHDR is length (4), type (4), width (4),
    # height (4), 5 more bytes of header, then a CRC over type and data.
    data[16:20] = width.to_bytes(4, "big")
    data[20:24] = height.to_bytes(4, "big")
    crc = zlib.crc32(bytes(data[12:29]))
    data[29:33] = crc.to_bytes(4, "big")
    return bytes(data)


def gradient_without_face():
    """Return a 640x480 JPEG of a colour gradient with mild noise."""
    rows = np.linspace(40, 220, 480)[:, np.newaxis]
    columns = np.linspace(0, 60, 640)[np.newaxis, :]
    noise = np.random.default_rng(7).normal(0, 4, (480, 640))
    gray = np.clip(rows + columns + noise, 0, 255)
    rgb = np.stack([gray, gray * 0.9, gray * 0.8], axis=2).astype(np.uint8)
    return encode(Image.fromarray(rgb), "JPEG", quality=90)


@pytest.fixture(scope="module")
def obama():
    return load_photo("people/obama/obama.jpg")


@pytest.fixture(scope="module")
def obama_descriptor(obama):
    return engine.describe_single_face(obama)


# Verification distances -----------------------------------------------------


def test_verify_distance_accepts_same_person(obama_descriptor):
    other_photo = engine.describe_single_face(load_photo("people/obama/obama2.jpg"))

    distance = engine.face_distance(obama_descriptor, other_photo)

    assert distance < settings.MFA_FACE_MATCH_THRESHOLD


def test_verify_distance_rejects_other_person(obama_descriptor):
    biden = engine.describe_single_face(load_photo("people/biden/biden.jpg"))

    distance = engine.face_distance(obama_descriptor, biden)

    assert distance > settings.MFA_FACE_MATCH_THRESHOLD


def test_distance_to_template_is_nearest_descriptor():
    probe = np.zeros(128)
    far = np.full(128, 0.1)
    near = np.zeros(128)
    near[0] = 0.3

    distance = engine.face_distance(np.stack([far, near]), probe)

    assert distance == pytest.approx(0.3)


def test_distance_accepts_single_descriptor_template():
    template = np.zeros(128)
    probe = np.zeros(128)
    probe[:4] = 0.5

    assert engine.face_distance(template, probe) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("template_shape", "probe_shape"),
    [((2, 64), (64,)), ((0, 128), (128,)), ((128,), (2, 128)), ((2, 2, 128), (128,))],
)
def test_distance_rejects_wrong_shapes(template_shape, probe_shape):
    with pytest.raises(ValueError):
        engine.face_distance(np.zeros(template_shape), np.zeros(probe_shape))


# Face detection -------------------------------------------------------------


def test_describe_returns_128_float64(obama_descriptor):
    assert obama_descriptor.shape == (128,)
    assert obama_descriptor.dtype == np.float64


def test_describe_rejects_two_people():
    two_people = load_photo("groups/two_people.jpg")

    with pytest.raises(engine.MultipleFaces) as caught:
        engine.describe_single_face(two_people)

    assert caught.value.code == "multiple_faces"


def test_describe_rejects_image_without_face():
    rgb = decode(gradient_without_face())

    with pytest.raises(engine.NoFace) as caught:
        engine.describe_single_face(rgb)

    assert caught.value.code == "no_face"


def test_face_locations_are_in_input_coordinates(obama):
    height, width = obama.shape[:2]
    doubled = np.array(Image.fromarray(obama).resize((width * 2, height * 2)))

    (box,) = engine.face_locations(obama)
    (doubled_box,) = engine.face_locations(doubled)

    # Both images are detected at the same downscaled size, so the box on the
    # doubled image is the original box times two, within rounding.
    assert np.allclose(doubled_box, np.multiply(box, 2), atol=4)


def test_face_locations_box_lies_inside_image(obama):
    height, width = obama.shape[:2]

    ((top, right, bottom, left),) = engine.face_locations(obama)

    assert 0 <= top < bottom <= height
    assert 0 <= left < right <= width


def test_face_locations_finds_small_face(obama):
    # At 140 px wide the face is about 45 px, below the 80 px that the HOG
    # detector finds without upsampling.
    small = np.array(Image.fromarray(obama).resize((140, 175)))

    assert len(engine.face_locations(small)) == 1


def test_face_locations_rejects_non_rgb_array():
    with pytest.raises(ValueError):
        engine.face_locations(np.zeros((10, 10), dtype=np.uint8))


def test_batch_descriptors_equal_single_ones(obama):
    other = load_photo("people/obama/obama2.jpg")
    images = [obama, other]
    boxes = [engine.face_locations(rgb)[0] for rgb in images]

    batch = engine.face_descriptors(images, boxes)

    for rgb, box, descriptor in zip(images, boxes, batch, strict=True):
        assert np.array_equal(descriptor, engine.face_descriptor(rgb, box))


def test_batch_descriptors_of_nothing_is_empty():
    assert engine.face_descriptors([], []) == []


def test_batch_descriptors_need_one_box_per_image(obama):
    (box,) = engine.face_locations(obama)

    with pytest.raises(ValueError, match="one face box per image"):
        engine.face_descriptors([obama, obama], [box])


# Decoding: orientation and colour modes ---------------------------------------


def rotated_copy(upright):
    """Return the upright image stored rotated 90 degrees counter-clockwise."""
    return Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)


def test_decode_applies_exif_orientation(tmp_path, obama):
    exif = Image.Exif()
    # Orientation 6: a viewer rotates the stored pixels 90 degrees clockwise.
    exif[0x0112] = 6
    path = tmp_path / "rotated-tagged.jpg"
    rotated_copy(obama).save(path, "JPEG", quality=95, exif=exif)

    rgb = decode(path.read_bytes())

    assert rgb.shape == obama.shape
    assert len(engine.face_locations(rgb)) == 1


def test_rotated_pixels_without_tag_have_no_face(tmp_path, obama):
    path = tmp_path / "rotated-untagged.jpg"
    rotated_copy(obama).save(path, "JPEG", quality=95)

    rgb = decode(path.read_bytes())

    assert rgb.shape == (obama.shape[1], obama.shape[0], 3)
    assert engine.face_locations(rgb) == []


def test_decode_rgba_png_gives_one_face():
    rgb = load_photo("formats/rgba-32bit.png")

    assert rgb.shape[2] == 3
    assert rgb.dtype == np.uint8
    assert len(engine.face_locations(rgb)) == 1


def test_decode_scales_16_bit_grayscale(tmp_path):
    samples = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (16, 1))
    path = tmp_path / "gray16.png"
    Image.fromarray(samples).save(path, "PNG")

    rgb = decode(path.read_bytes())

    expected = np.round(samples / 257).astype(np.uint8)
    assert rgb.dtype == np.uint8
    assert rgb.shape == (16, 256, 3)
    assert np.array_equal(rgb[:, :, 0], expected)
    assert np.array_equal(rgb[:, :, 1], rgb[:, :, 2])
    assert rgb[0, 128, 0] == 128


@pytest.mark.parametrize(
    ("mode", "image_format"),
    [("L", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("1", "PNG"), ("CMYK", "JPEG")],
)
def test_decode_converts_mode_to_rgb(mode, image_format):
    image = Image.new("RGB", (64, 48), (200, 120, 40)).convert(mode)

    rgb = decode(encode(image, image_format))

    assert rgb.shape == (48, 64, 3)
    assert rgb.dtype == np.uint8


def test_decode_composites_transparency_on_white():
    image = Image.new("RGBA", (16, 16), (0, 0, 0, 0))

    rgb = decode(encode(image, "PNG"))

    assert np.all(rgb == 255)


# Decoding: rejected uploads ---------------------------------------------------


def test_decode_rejects_truncated_jpeg():
    data = face_bytes("people/obama/obama.jpg")

    with pytest.raises(engine.ImageRejected) as caught:
        decode(data[: len(data) // 2])

    assert caught.value.code == "invalid_image"


def test_decode_rejects_random_bytes():
    data = np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()

    with pytest.raises(engine.ImageRejected) as caught:
        decode(data)

    assert caught.value.code == "unsupported_image_type"


def test_decode_rejects_empty_bytes():
    with pytest.raises(engine.ImageRejected) as caught:
        decode(b"")

    assert caught.value.code == "empty_image"


def test_decode_rejects_gif():
    data = encode(Image.new("RGB", (32, 32), (10, 200, 10)), "GIF")

    with pytest.raises(engine.ImageRejected) as caught:
        decode(data)

    assert caught.value.code == "unsupported_image_type"


def test_decode_rejects_png_magic_with_garbage():
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    with pytest.raises(engine.ImageRejected) as caught:
        decode(data)

    assert caught.value.code == "invalid_image"


# 30000x30000 trips Pillow's own decompression-bomb check while the header is
# read. 4000x4000 passes Pillow's check but not MFA_FACE_MAX_FRAME_PIXELS, and
# its pixel data is missing, so decoding first would give invalid_image.
@pytest.mark.parametrize("side", [30_000, 4_000])
def test_decode_rejects_png_header_over_pixel_limit(side):
    data = png_with_declared_size(side, side)

    with pytest.raises(engine.ImageRejected) as caught:
        decode(data)

    assert caught.value.code == "image_too_large"


def test_decode_rejects_bytes_over_limit():
    data = face_bytes("people/obama/obama.jpg")

    with pytest.raises(engine.ImageRejected) as caught:
        engine.decode_image(data, max_bytes=len(data) - 1, max_pixels=MAX_PIXELS)

    assert caught.value.code == "image_too_large"


def test_rejection_message_is_user_sentence():
    with pytest.raises(engine.ImageRejected) as caught:
        decode(b"GIF89a")

    assert caught.value.message.endswith(".")
    assert str(caught.value) == caught.value.message


def test_face_error_takes_code_and_message():
    error = engine.FaceError("no_frames", "No camera frames were received.")

    assert error.code == "no_frames"
    assert error.message == "No camera frames were received."


def test_face_error_defaults_to_class_code():
    error = engine.NoFace()

    assert error.code == "no_face"
    assert error.message == str(error)


# Models -----------------------------------------------------------------------


@pytest.fixture
def reset_models():
    engine._reset_models()
    yield
    engine._reset_models()


def test_load_models_raises_model_missing(tmp_path, monkeypatch, reset_models):
    monkeypatch.setenv("MFA_FACE_MODELS_DIR", str(tmp_path))

    with pytest.raises(engine.ModelMissing) as caught:
        engine.load_models()

    assert engine.SHAPE_PREDICTOR_FILE in str(caught.value)
    assert "face_recognition_models" in str(caught.value)


IMPORT_PROBE = """
import json, sys
facts = {}
try:
    import pkg_resources
    facts["pkg_resources_importable"] = True
except ImportError:
    facts["pkg_resources_importable"] = False
import mfa_face.engine as engine
facts["dlib_loaded_at_import"] = "dlib" in sys.modules
engine.load_models()
facts["models_package_init_ran"] = "face_recognition_models" in sys.modules
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def import_probe():
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DJANGO_SETTINGS_MODULE", "MFA_FACE_MODELS_DIR")
    }
    return subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_engine_loads_without_pkg_resources(import_probe):
    assert import_probe.returncode == 0, import_probe.stderr

    facts = json.loads(import_probe.stdout)
    assert facts["pkg_resources_importable"] is False
    assert facts["models_package_init_ran"] is False


def test_engine_import_does_not_load_dlib(import_probe):
    assert import_probe.returncode == 0, import_probe.stderr

    facts = json.loads(import_probe.stdout)
    assert facts["dlib_loaded_at_import"] is False


def test_describe_is_thread_safe():
    photos = [
        load_photo("people/obama/obama.jpg"),
        load_photo("people/obama/obama2.jpg"),
        load_photo("people/biden/biden.jpg"),
    ]
    expected = [engine.describe_single_face(rgb) for rgb in photos]

    rounds = 2
    start = threading.Barrier(4)
    results = [[] for _ in range(4)]
    errors = []

    def work(index):
        start.wait()
        try:
            for _ in range(rounds):
                for rgb in photos:
                    results[index].append(engine.describe_single_face(rgb))
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for descriptors in results:
        assert len(descriptors) == rounds * len(photos)
        for position, descriptor in enumerate(descriptors):
            assert np.allclose(descriptor, expected[position % 3], atol=1e-6)


# Landmarks and search near a previous box -------------------------------------


def test_landmarks_are_68_points_inside_face(obama):
    (box,) = engine.face_locations(obama)
    top, right, bottom, left = box

    landmarks = engine.face_landmarks(obama, box)

    assert landmarks.shape == (68, 2)
    # The eyes (36-47) lie inside the face box.
    eyes = landmarks[36:48]
    assert np.all((eyes[:, 0] > left) & (eyes[:, 0] < right))
    assert np.all((eyes[:, 1] > top) & (eyes[:, 1] < bottom))


def test_image_left_eye_comes_first(obama):
    (box,) = engine.face_locations(obama)

    landmarks = engine.face_landmarks(obama, box)

    assert landmarks[36:42, 0].mean() < landmarks[42:48, 0].mean()


def test_search_near_box_finds_moved_face(obama):
    (box,) = engine.face_locations(obama)
    top, right, bottom, left = box
    shift = (right - left) // 5
    moved = np.zeros_like(obama)
    moved[:, shift:] = obama[:, :-shift]

    (found,) = engine.face_locations_near(moved, box)

    assert found[3] == pytest.approx(left + shift, abs=(right - left) * 0.15)
    assert found[0] == pytest.approx(top, abs=(bottom - top) * 0.15)


def test_search_near_box_misses_face_far_away(obama):
    height, width = obama.shape[:2]
    corner = (0, width // 8, height // 8, 0)

    assert engine.face_locations_near(obama, corner) == []


def test_search_near_box_outside_image_finds_nothing(obama):
    height, width = obama.shape[:2]

    assert (
        engine.face_locations_near(
            obama, (height + 5, width + 50, height + 50, width + 5)
        )
        == []
    )


def scaled_face(photo, face_width):
    """Return ``photo`` resized so that its one face box is ``face_width`` px wide."""
    (box,) = engine.face_locations(photo)
    factor = face_width / (box[1] - box[3])
    height, width = photo.shape[:2]
    size = (round(width * factor), round(height * factor))
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.LANCZOS))


def gray(rgb):
    return np.asarray(Image.fromarray(rgb).convert("L"))


def test_level_limited_detector_misses_only_larger_faces(obama):
    import dlib

    full = dlib.get_frontal_face_detector()
    one_level = engine.with_max_pyramid_levels(full, 1)
    small, large = gray(scaled_face(obama, 80)), gray(scaled_face(obama, 160))

    assert len(full(small, 0)) == 1
    assert list(one_level(small, 0)) == list(full(small, 0))
    # A 160 px face needs the levels of half size and below.
    assert len(full(large, 0)) == 1
    assert len(one_level(large, 0)) == 0
    assert len(engine.with_max_pyramid_levels(full, 5)(large, 0)) == 1


def test_near_search_uses_level_limited_detector():
    models = engine._get_models()

    assert models.near_detector is not models.detector
    assert models.near_detector.num_detectors == models.detector.num_detectors


def test_level_limit_above_current_returns_same_detector():
    import dlib

    three_levels = engine.with_max_pyramid_levels(dlib.get_frontal_face_detector(), 3)

    assert engine.with_max_pyramid_levels(three_levels, 5) is three_levels


@pytest.mark.parametrize("levels", [0, 256])
def test_level_limit_out_of_range_raises(levels):
    import dlib

    with pytest.raises(ValueError, match="1 to 255"):
        engine.with_max_pyramid_levels(dlib.get_frontal_face_detector(), levels)


class UnknownLayoutDetector:
    """A stand-in for a dlib detector with a given serialized state."""

    detection_window_width = 80
    detection_window_height = 80

    def __init__(self, state):
        self.state = state

    def __getstate__(self):
        return (self.state,)


@pytest.mark.parametrize(
    "state",
    [
        # Detector format 3 instead of 2, otherwise the layout of dlib 20.
        bytes.fromhex("0103 0101 0100 0100 0108 0100 0150 0150 02e803"),
        # A window of 64 px where the detector reports 80.
        bytes.fromhex("0102 0101 0100 0100 0108 0100 0140 0140 02e803"),
        # Cut off before the pyramid levels.
        bytes.fromhex("0102 0101 0100 0100 0108 0100 0150 0150"),
    ],
    ids=["format", "window", "truncated"],
)
def test_level_limit_of_unknown_layout_is_none(state):
    assert engine.with_max_pyramid_levels(UnknownLayoutDetector(state), 4) is None
