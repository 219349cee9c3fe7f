"""Passive and active liveness on real material.

Genuine bursts are frames of the shared video clip, in which one person moves
and talks. Attacks are that person's still photo, projected per frame as a
hand-held print (random perspective, roll, shift and distance), one frame
repeated, or different shared photos of one person shown one after another.
No database is needed.
"""

import time

import numpy as np
import pytest

from bench import material
from mfa_face import burst, challenge, liveness, pose, scene
from mfa_face.errors import FaceError
from tests.faces import face_bytes

# Clip frames that show one head turn to the person's right (frames 100 to
# 134, yaw from about -7 to -26 degrees) and then one to his left (144 to
# 162, up to about +16 degrees).
TURN_RIGHT_THEN_LEFT = [100, 110, 120, 128, 132, 134, 144, 150, 156, 160, 162]
GENUINE_STARTS = [85, 101, 117, 133, 150]


@pytest.fixture(scope="module")
def clip():
    return material.read_clip()


@pytest.fixture(scope="module")
def photo():
    return material.read_photo()


@pytest.fixture(scope="module")
def turning_burst(clip):
    frames = [
        material.encode_jpeg(material.pad_to_frame(clip[index]))
        for index in TURN_RIGHT_THEN_LEFT
    ]
    return burst.analyse_burst(frames)


def print_burst(photo, seed, max_tilt, face_width=150):
    rng = np.random.default_rng(seed)
    frames = material.print_attack_burst(
        photo, rng, face_width=face_width, max_tilt=max_tilt
    )
    return burst.analyse_burst(frames)


# Passive ------------------------------------------------------------------------


@pytest.mark.parametrize("start", GENUINE_STARTS)
def test_passive_accepts_moving_person(clip, start):
    analysed = burst.analyse_burst(material.clip_burst(clip, start))

    figures = liveness.check(analysed, liveness.PASSIVE)

    assert figures.frames >= 4
    assert figures.planar_error > liveness.face_settings.MFA_FACE_PLANAR_MAX_ERROR


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_tilt", [10.0, 30.0])
def test_passive_rejects_handheld_print(photo, seed, max_tilt):
    analysed = print_burst(photo, seed, max_tilt)

    with pytest.raises((liveness.PresentationAttack, liveness.LivenessRetry)):
        liveness.check(analysed, liveness.PASSIVE)


def test_print_fits_one_plane(photo):
    faces = print_burst(photo, seed=3, max_tilt=20.0).faces()

    limit = liveness.face_settings.MFA_FACE_PLANAR_MAX_ERROR
    assert liveness.planar_error(faces) < limit


def test_turned_print_is_presentation_attack(photo):
    # Tilted up to 40 degrees, the print's landmarks change as a turning head's
    # would, so the flat fit identifies it as an attack, not a still user.
    analysed = print_burst(photo, seed=11, max_tilt=40.0, face_width=230)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "flat_face"


def test_print_held_still_asks_to_turn_head(photo):
    analysed = print_burst(photo, seed=5, max_tilt=2.0)

    with pytest.raises(liveness.LivenessRetry) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "liveness_needs_motion"
    assert "Turn your head" in caught.value.message


def test_repeated_frame_is_still_image(clip):
    frame = material.encode_jpeg(material.pad_to_frame(clip[140]))
    analysed = burst.analyse_burst([frame] * 6)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "still_image"


def test_repeated_photo_is_still_image():
    still = face_bytes(material.CLIP_PERSON_PHOTO)
    analysed = burst.analyse_burst([still] * 5)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "still_image"


@pytest.mark.parametrize("person", sorted(material.SERIES_PHOTOS))
@pytest.mark.parametrize("mirror", [False, True])
def test_passive_rejects_photo_series(person, mirror):
    photos = [material.read_photo(path) for path in material.SERIES_PHOTOS[person]]
    rng = np.random.default_rng(0)
    frames = material.photo_series_burst(photos, rng, mirror_every_other=mirror)
    analysed = burst.analyse_burst(frames)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "scene_changed"


def test_photo_series_with_noisy_borders_is_rejected():
    # Camera noise makes the black borders around the photos textured, so
    # they count as background that looks alike in every frame.
    photos = [material.read_photo(path) for path in material.SERIES_PHOTOS["obama"]]
    rng = np.random.default_rng(1)
    frames = material.photo_series_burst(photos, rng, noise=3.0)
    analysed = burst.analyse_burst(frames)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "scene_changed"


def test_exposure_change_is_not_scene_change(clip):
    # A camera's automatic exposure brightens or darkens whole frames.
    frames = []
    for position, index in enumerate(range(117, 117 + 6 * 12, 12)):
        shift = 30 if position % 2 else -20
        frame = np.clip(material.pad_to_frame(clip[index]).astype(int) + shift, 0, 255)
        frames.append(material.encode_jpeg(frame.astype(np.uint8)))
    analysed = burst.analyse_burst(frames)

    figures = liveness.check(analysed, liveness.PASSIVE)

    assert figures.scene_change < liveness.face_settings.MFA_FACE_SCENE_MAX_CHANGE


def test_genuine_burst_scene_change_is_small(clip):
    faces = burst.analyse_burst(material.clip_burst(clip, 133)).faces()

    change, background = scene.scene_change(faces)

    assert change < liveness.face_settings.MFA_FACE_SCENE_MAX_CHANGE
    assert background > liveness.face_settings.MFA_FACE_SCENE_MIN_BACKGROUND


def test_frames_of_different_sizes_ask_to_retry(clip):
    frames = material.clip_burst(clip, 117)
    frames[3] = material.encode_jpeg(
        material.pad_to_frame(clip[117 + 3 * 12], size=(640, 400))
    )
    analysed = burst.analyse_burst(frames)

    with pytest.raises(liveness.LivenessRetry) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "frame_size_changed"


def test_face_filling_frame_asks_for_background(clip):
    # One fixed crop around the face of the first frame, 0.4 of the face's
    # side larger on every side, enlarged to 640x480, so that the head and
    # body cover nearly the whole frame.
    first = burst.analyse_burst(material.clip_burst(clip, 117, count=1)).frames[0]
    top, right, bottom, left = first.box
    margin = int(0.4 * (right - left))
    crop = (
        slice(max(0, top - margin), bottom + margin),
        slice(max(0, left - margin), right + margin),
    )
    frames = []
    for index in range(117, 117 + 6 * 12, 12):
        padded = material.pad_to_frame(clip[index])
        frames.append(material.encode_jpeg(material.fit_to_frame(padded[crop])))
    analysed = burst.analyse_burst(frames)

    with pytest.raises(liveness.LivenessRetry) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "liveness_needs_background"


def test_passive_needs_enough_face_frames(clip):
    analysed = burst.analyse_burst(material.clip_burst(clip, 120, count=3))

    with pytest.raises(liveness.LivenessRetry) as caught:
        liveness.check(analysed, liveness.PASSIVE)

    assert caught.value.code == "liveness_too_few_frames"


def test_off_level_checks_nothing():
    still = face_bytes(material.CLIP_PERSON_PHOTO)
    analysed = burst.analyse_burst([still])

    assert liveness.check(analysed, liveness.OFF) is None


def test_unknown_level_is_value_error():
    analysed = burst.analyse_burst([face_bytes(material.CLIP_PERSON_PHOTO)])

    with pytest.raises(ValueError):
        liveness.check(analysed, "strict")


# Head pose --------------------------------------------------------------------------


def test_yaw_of_mirror_image_has_opposite_sign():
    # obama4.jpg shows a head turned about 17 degrees.
    data = face_bytes("people/obama/obama4.jpg")
    rgb = burst.engine.decode_image(data, max_bytes=10**7, max_pixels=10**8)
    mirrored = np.ascontiguousarray(rgb[:, ::-1])

    yaws = []
    for image in (rgb, mirrored):
        (box,) = burst.engine.face_locations(image)
        landmarks = burst.engine.face_landmarks(image, box)
        yaws.append(pose.head_pose(landmarks, image.shape).yaw)

    assert abs(yaws[0]) > 10
    assert abs(yaws[1]) > 10
    assert np.sign(yaws[0]) == -np.sign(yaws[1])


def test_yaw_sign_follows_nose(turning_burst):
    # Frame 132 turns to the image's left and frame 160 to its right.
    faces = {TURN_RIGHT_THEN_LEFT[f.index]: f for f in turning_burst.faces()}

    assert faces[132].quality.yaw < -15
    assert faces[160].quality.yaw > 10


# Active -------------------------------------------------------------------------------


def test_active_accepts_actions_in_order(turning_burst):
    figures = liveness.check(
        turning_burst, liveness.ACTIVE, [liveness.TURN_RIGHT, liveness.TURN_LEFT]
    )

    assert figures.pose_change > 15


def test_active_rejects_actions_in_wrong_order(turning_burst):
    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(
            turning_burst, liveness.ACTIVE, [liveness.TURN_LEFT, liveness.TURN_RIGHT]
        )

    assert caught.value.code == "actions_not_seen"


def test_active_rejects_missing_blink(turning_burst):
    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(
            turning_burst, liveness.ACTIVE, [liveness.TURN_RIGHT, liveness.BLINK]
        )

    assert caught.value.code == "actions_not_seen"


def test_active_sees_blink_in_closed_eye_landmarks(turning_burst):
    faces = turning_burst.faces()
    # The upper lid points (37, 38, 43, 44) of one real frame are moved onto
    # the lower lid points (41, 40, 47, 46), as the landmarks of a closed eye.
    closed = faces[7]
    landmarks = closed.landmarks.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        landmarks[upper] = landmarks[lower]
    blinking = [
        *faces[:7],
        burst.FrameAnalysis(**{**vars(closed), "landmarks": landmarks}),
    ]

    observed = liveness.observed_actions(blinking)

    assert liveness.BLINK in observed[-1]
    assert all(liveness.BLINK not in actions for actions in observed[:-1])


def test_active_includes_passive_check(clip):
    frame = material.encode_jpeg(material.pad_to_frame(clip[140]))
    analysed = burst.analyse_burst([frame] * 11)

    with pytest.raises(liveness.PresentationAttack) as caught:
        liveness.check(analysed, liveness.ACTIVE, [liveness.BLINK, liveness.TURN_LEFT])

    assert caught.value.code == "still_image"


def test_active_rejects_burst_shorter_than_challenge(turning_burst):
    # Six chosen frames instead of the eleven that two actions need.
    short = burst.Burst(frames=turning_burst.frames[:6])

    with pytest.raises(liveness.LivenessRetry) as caught:
        liveness.check(
            short, liveness.ACTIVE, [liveness.TURN_RIGHT, liveness.TURN_LEFT]
        )

    assert caught.value.code == "liveness_frame_count"


def test_active_without_actions_is_value_error(turning_burst):
    with pytest.raises(ValueError):
        liveness.check(turning_burst, liveness.ACTIVE, [])


# Challenges ---------------------------------------------------------------------------


class FakeSession(dict):
    modified = False


class FakeRequest:
    def __init__(self):
        self.session = FakeSession()


class FakePool:
    def __init__(self, level):
        self.liveness = level


class FakeApp:
    client_id = "client-1"

    def __init__(self, level):
        self.pool = FakePool(level)


class FakeTransaction:
    id = "transaction-1"
    user_id = 7

    def __init__(self):
        self.started_at = time.time()


# Consuming a nonce records it in the database.
@pytest.mark.django_db
def test_active_challenge_rejects_frames_after_deadline(monkeypatch):
    request = FakeRequest()
    app = FakeApp(liveness.ACTIVE)
    issued = challenge.issue(request, app, FakeTransaction())
    deadline = issued.expires_at
    monkeypatch.setattr(challenge.time, "time", lambda: deadline + 0.5)

    with pytest.raises(challenge.ChallengeRejected) as caught:
        challenge.consume(request, app, FakeTransaction(), issued.nonce)

    assert caught.value.code == "challenge_expired"


@pytest.mark.django_db
def test_active_challenge_accepted_before_deadline():
    request = FakeRequest()
    app = FakeApp(liveness.ACTIVE)
    issued = challenge.issue(request, app, FakeTransaction())

    consumed = challenge.consume(request, app, FakeTransaction(), issued.nonce)

    assert consumed.actions == issued.actions
    assert consumed.expires_at - time.time() <= (
        challenge.face_settings.MFA_FACE_ACTIVE_DEADLINE
    )


def test_challenge_actions_vary_between_attempts():
    request = FakeRequest()
    app = FakeApp(liveness.ACTIVE)

    sequences = set()
    for _ in range(120):
        sequences.add(tuple(challenge.issue(request, app, FakeTransaction()).actions))
        challenge.forget_actions(FakeTransaction.user_id)

    # 6 ordered pairs of distinct actions exist; 120 draws miss one with a
    # probability below 6 * (5/6)**120, about 2e-9.
    assert len(sequences) == 6


def draw_in_turn(monkeypatch, *sequences):
    """Make the action draws return ``sequences`` one after another."""
    draws = iter(sequences)
    monkeypatch.setattr(
        challenge._random, "sample", lambda population, count: list(next(draws))
    )


def test_new_challenge_keeps_account_actions(monkeypatch):
    draw_in_turn(monkeypatch, ["turn_left", "blink"], ["turn_right", "turn_left"])
    request = FakeRequest()
    app = FakeApp(liveness.ACTIVE)

    first = challenge.issue(request, app, FakeTransaction())
    second = challenge.issue(request, app, FakeTransaction())

    assert second.actions == first.actions
    assert second.nonce != first.nonce


def test_forgotten_actions_are_drawn_again(monkeypatch):
    draw_in_turn(monkeypatch, ["turn_left", "blink"], ["turn_right", "turn_left"])
    request = FakeRequest()
    app = FakeApp(liveness.ACTIVE)

    challenge.issue(request, app, FakeTransaction())
    challenge.forget_actions(FakeTransaction.user_id)
    second = challenge.issue(request, app, FakeTransaction())

    assert second.actions == ["turn_right", "turn_left"]


def test_liveness_errors_are_face_errors():
    assert issubclass(liveness.PresentationAttack, FaceError)
    assert issubclass(liveness.LivenessRetry, FaceError)
