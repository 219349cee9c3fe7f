"""Quality gates of single frames and bursts, on real photos and clip frames.

Altered copies of the shared photos (darkened, brightened, blurred, shrunk)
are made in memory; the shared files are only read.
"""

import io

import cv2
import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from bench import material
from mfa_face import burst, engine, factor, quality
from mfa_face.conf import settings
from tests.faces import face_bytes

OBAMA = "people/obama/obama.jpg"
# Turned about 32 degrees away from the camera.
TURNED_AWAY = "people/kit_harington/kit2.jpg"


def jpeg(rgb):
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def photo_rgb(relative, width=640):
    """Return a shared photo resized to ``width`` pixels, as a webcam frame would be."""
    image = Image.open(io.BytesIO(face_bytes(relative))).convert("RGB")
    height = round(image.height * width / image.width)
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS))


def scaled(rgb, gain):
    return np.clip(rgb.astype(np.float64) * gain, 0, 255).astype(np.uint8)


def only_frame(rgb):
    (frame,) = burst.analyse_burst([jpeg(rgb)]).frames
    return frame


@pytest.fixture(scope="module")
def obama():
    return photo_rgb(OBAMA)


def test_sharp_frontal_photo_passes_every_gate(obama):
    frame = only_frame(obama)

    assert frame.good
    assert frame.quality.eye_distance > settings.MFA_FACE_MIN_EYE_DISTANCE
    assert frame.quality.sharpness > settings.MFA_FACE_MIN_SHARPNESS


def test_clip_frames_pass_every_gate():
    clip = material.read_clip()
    frames = burst.analyse_burst(material.clip_burst(clip, 140, count=4)).frames

    assert [frame.rejection for frame in frames] == [None, None, None, None]


def test_small_face_is_too_small(obama):
    frame = only_frame(photo_rgb(OBAMA, width=200))

    assert frame.quality.eye_distance < settings.MFA_FACE_MIN_EYE_DISTANCE
    assert frame.rejection == "face_too_small"


def test_dark_frame_is_too_dark(obama):
    frame = only_frame(scaled(obama, 0.2))

    assert frame.rejection == "too_dark"


def test_overexposed_frame_is_too_bright(obama):
    bright = np.clip(obama.astype(np.float64) * 1.5 + 110, 0, 255).astype(np.uint8)

    frame = only_frame(bright)

    assert frame.quality.brightness > settings.MFA_FACE_MAX_BRIGHTNESS
    assert frame.rejection == "too_bright"


def test_blurred_frame_is_too_blurry(obama):
    frame = only_frame(cv2.GaussianBlur(obama, (0, 0), 4))

    assert frame.rejection == "too_blurry"


def test_blur_lowers_sharpness(obama):
    sharp = only_frame(obama).quality.sharpness
    blurred = only_frame(cv2.GaussianBlur(obama, (0, 0), 1.5)).quality.sharpness

    assert blurred < sharp / 2


def test_turned_head_is_bad_pose():
    frame = only_frame(photo_rgb(TURNED_AWAY))

    assert abs(frame.quality.yaw) > settings.MFA_FACE_MAX_YAW
    assert frame.rejection == "bad_pose"


def test_two_faces_are_multiple_faces():
    frame = only_frame(photo_rgb("groups/two_people.jpg", width=1126))

    assert frame.rejection == "multiple_faces"
    assert not frame.has_face


def test_size_gate_comes_before_light_gate(obama):
    frame = only_frame(scaled(photo_rgb(OBAMA, width=200), 0.2))

    assert frame.rejection == "face_too_small"


@pytest.mark.parametrize(
    ("code", "guidance"),
    [
        ("face_too_small", "Move closer"),
        ("too_dark", "More light"),
        ("bad_pose", "Look at the camera"),
        ("too_blurry", "Hold still"),
    ],
)
def test_rejection_message_says_what_to_change(code, guidance):
    error = quality.rejection(code)

    assert error.code == code
    assert guidance in error.message


def test_burst_reports_most_common_reason(obama):
    dark = jpeg(scaled(obama, 0.2))
    blurred = jpeg(cv2.GaussianBlur(obama, (0, 0), 4))
    analysed = burst.analyse_burst([dark, blurred, dark])

    error = analysed.rejection()

    assert error.code == "too_dark"


def test_tie_goes_to_earlier_gate():
    error = quality.most_common_rejection(["too_blurry", "too_dark"])

    assert error.code == "too_dark"


def test_good_frames_are_most_frontal_first():
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 100, count=6))

    deviations = [quality.pose_deviation(f.quality) for f in analysed.good_frames()]

    assert deviations == sorted(deviations, key=round)


def test_descriptor_is_computed_only_on_request(obama):
    frame = only_frame(obama)

    assert frame._descriptor is None
    assert frame.descriptor().shape == (128,)
    assert frame._descriptor is not None


def clip_template(clip):
    enrolled = burst.analyse_burst(material.clip_burst(clip, 125))
    template, _ = factor.enrollment_template(enrolled)
    return template


def clip_probe():
    """Return a clip burst, a template, and the distance of the burst's best frame.

    The best frame's descriptor is dropped again, so a test can see which
    frames a match describes.
    """
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 146, count=5))
    template = clip_template(clip)
    best = analysed.good_frames()[0]
    best_distance = engine.face_distance(template, best.descriptor())
    best._descriptor = None
    return analysed, template, best_distance


def test_clear_match_describes_only_the_best_frame():
    analysed, template, best_distance = clip_probe()

    result = factor.match_burst(
        template, analysed, clear_match_distance=best_distance + 0.01
    )

    assert result.matched
    assert result.distances == [best_distance]
    described = [frame for frame in analysed.frames if frame._descriptor is not None]
    assert described == analysed.good_frames()[:1]


def test_unclear_best_frame_needs_majority():
    analysed, template, best_distance = clip_probe()

    result = factor.match_burst(
        template, analysed, clear_match_distance=best_distance - 0.01
    )

    assert result.matched
    assert len(result.distances) == 2
    assert result.distances[0] == best_distance


def test_clear_match_distance_is_capped_at_the_threshold():
    analysed, template, best_distance = clip_probe()

    # A clear match distance above the threshold does not let the best frame
    # match beyond the threshold.
    result = factor.match_burst(
        template,
        analysed,
        threshold=best_distance - 0.01,
        clear_match_distance=best_distance + 0.5,
    )

    assert len(result.distances) > 1


def test_configured_clear_match_distance_applies():
    clip = material.read_clip()
    template = clip_template(clip)
    frames = material.clip_burst(clip, 146, count=5)

    with override_settings(MFA_FACE_CLEAR_MATCH_DISTANCE=None):
        majority = factor.match_burst(template, burst.analyse_burst(frames))
    with override_settings(MFA_FACE_CLEAR_MATCH_DISTANCE=majority.distances[0]):
        clear = factor.match_burst(template, burst.analyse_burst(frames))

    assert len(majority.distances) == 2
    assert clear.distances == majority.distances[:1]


def test_match_describes_two_frames_that_agree():
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 146, count=5))

    result = factor.match_burst(
        clip_template(clip), analysed, clear_match_distance=None
    )

    assert result.matched
    assert len(result.distances) == 2
    assert sum(frame._descriptor is not None for frame in analysed.frames) == 2


def test_match_describes_third_frame_when_two_disagree():
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 146, count=5))
    template = clip_template(clip)
    first, second = factor.match_burst(
        template, analysed, clear_match_distance=None
    ).distances
    # A threshold between the two distances puts one frame on each side.
    threshold = (first + second) / 2

    result = factor.match_burst(
        template, analysed, threshold=threshold, clear_match_distance=None
    )

    assert len(result.distances) == 3
    assert result.distances[:2] == [first, second]


def test_match_of_two_frames_stops_at_first_mismatch():
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 146, count=2))

    result = factor.match_burst(clip_template(clip), analysed, threshold=0.0)

    assert not result.matched
    assert len(result.distances) == 1


def test_describe_keeps_computed_descriptors():
    clip = material.read_clip()
    analysed = burst.analyse_burst(material.clip_burst(clip, 146, count=3))
    first = analysed.frames[0].descriptor()

    descriptors = burst.describe(analysed.frames)

    assert descriptors[0] is first
    assert all(frame._descriptor is not None for frame in analysed.frames)


def test_require_good_frames_raises_most_common_reason(obama):
    dark = jpeg(scaled(obama, 0.2))
    analysed = burst.analyse_burst([jpeg(obama), dark, dark])

    with pytest.raises(quality.QualityRejected) as caught:
        analysed.require_good_frames(2)

    assert caught.value.code == "too_dark"
