"""The face step endpoints with real photos, real clip frames and real dlib models.

Most tests send photos, so their pool has liveness off and a photo stands for
a one-frame burst. The liveness tests send frames of the shared video clip,
or a still photo repeated as a replayed still image would be.
"""

import io
import os
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from authn import transaction as login
from authn.models import LivenessLevel
from bench import material
from mfa_face import challenge as challenges
from mfa_face.checks import check_frame_limits
from mfa_face.models import FaceDevice, UsedChallenge

from .conftest import END_USER_PASSWORD
from .faces import face_bytes

pytestmark = pytest.mark.django_db

OBAMA = "people/obama/obama.jpg"
OBAMA_2 = "people/obama/obama2.jpg"
BIDEN = "people/biden/biden.jpg"
TWO_PEOPLE = "groups/two_people.jpg"
RGBA_PNG = "formats/rgba-32bit.png"
# Turned about 32 degrees away from the camera.
TURNED_AWAY = "people/kit_harington/kit2.jpg"
# The clip's moving person, and two bursts of him 400 ms per frame apart.
CLIP_ENROLL_START = 125
CLIP_VERIFY_START = 146


def sign_in(client, app):
    return client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )


def pending_transaction_id(client, app):
    return client.session[login.SESSION_KEY][app.client_id]["id"]


def request_challenge(client, app, transaction_id=None):
    if transaction_id is None:
        transaction_id = pending_transaction_id(client, app)
    return client.post(
        reverse("mfa_face:challenge", args=[app.client_id]),
        {"transaction": transaction_id},
    )


def new_nonce(client, app):
    response = request_challenge(client, app)
    assert response.status_code == 200, response.content
    return response.json()["nonce"]


def post_frames(client, app, endpoint, *frames, transaction_id=None, nonce=None):
    if transaction_id is None:
        transaction_id = pending_transaction_id(client, app)
    if nonce is None:
        nonce = new_nonce(client, app)
    uploads = [
        SimpleUploadedFile(f"frame-{index}.jpg", data, content_type="image/jpeg")
        for index, data in enumerate(frames)
    ]
    return client.post(
        reverse(f"mfa_face:{endpoint}", args=[app.client_id]),
        {"transaction": transaction_id, "challenge": nonce, "frame": uploads},
    )


def jpeg_without_face():
    gradient = np.linspace(0, 255, 480 * 640 * 3, dtype=np.float64).reshape(480, 640, 3)
    buffer = io.BytesIO()
    Image.fromarray(gradient.astype(np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def darkened(relative, gain):
    """Return a photo as a JPEG with every pixel value multiplied by ``gain``."""
    rgb = np.asarray(Image.open(io.BytesIO(face_bytes(relative))).convert("RGB"))
    dark = np.clip(rgb.astype(np.float64) * gain, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(dark).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def shrunk(relative, width):
    image = Image.open(io.BytesIO(face_bytes(relative))).convert("RGB")
    height = round(image.height * width / image.width)
    buffer = io.BytesIO()
    image.resize((width, height)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def rotated_with_exif(relative):
    """Return a JPEG whose pixels are turned 90° with an EXIF tag that undoes it."""
    image = Image.open(io.BytesIO(face_bytes(relative)))
    # Orientation 6 means "rotate 90° clockwise to display", so the stored
    # pixels are the upright picture turned 90° counter-clockwise.
    turned = image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    turned.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clip():
    return material.read_clip()


def set_liveness(app, level):
    app.pool.liveness = level
    app.pool.save()


@pytest.fixture
def enrolling(client, face_app, end_user):
    set_liveness(face_app, LivenessLevel.OFF)
    sign_in(client, face_app)
    return face_app


@pytest.fixture
def verifying(client, face_app, end_user):
    """A signed-out user with an enrolled face, back at the face step."""
    set_liveness(face_app, LivenessLevel.OFF)
    sign_in(client, face_app)
    response = post_frames(client, face_app, "enroll", face_bytes(OBAMA))
    assert response.status_code == 200
    client.post(reverse("authn:logout", args=[face_app.client_id]))
    sign_in(client, face_app)
    return face_app


@pytest.fixture
def passive(client, face_app, end_user):
    """A user at the enrollment step of a pool with passive liveness."""
    set_liveness(face_app, LivenessLevel.PASSIVE)
    sign_in(client, face_app)
    return face_app


# Page ------------------------------------------------------------------------


def test_face_page_asks_to_enroll_first_time(client, enrolling):
    response = client.get(reverse("mfa_face:step", args=[enrolling.client_id]))
    assert response.status_code == 200
    assert response.context["mode"] == "enroll"


def test_face_page_without_app_request_has_no_cancel(client, enrolling):
    # Signed in on the hosted login directly: no relying party waits.
    response = client.get(reverse("mfa_face:step", args=[enrolling.client_id]))
    assert response.status_code == 200
    assert b'id="face-cancel"' not in response.content


def test_face_page_states_burst_size(client, enrolling, settings):
    settings.MFA_FACE_BURST_FRAMES = 7
    response = client.get(reverse("mfa_face:step", args=[enrolling.client_id]))
    assert b'data-burst-frames="7"' in response.content
    assert b"data-challenge-url=" in response.content


def test_face_page_asks_to_verify_after_enrollment(client, verifying):
    response = client.get(reverse("mfa_face:step", args=[verifying.client_id]))
    assert response.context["mode"] == "verify"


# Enrollment and verification --------------------------------------------------


def test_enroll_stores_template_not_photo(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
    assert response.status_code == 200
    assert response.json()["status"] == "enrolled"
    device = FaceDevice.objects.get(user=end_user)
    assert device.descriptors.shape == (1, 128)


def test_enroll_stores_quality_figures(client, enrolling, end_user):
    post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
    device = FaceDevice.objects.get(user=end_user)
    assert len(device.quality) == 1
    assert set(device.quality[0]) == {
        "eye_distance",
        "sharpness",
        "brightness",
        "yaw",
        "pitch",
    }
    assert device.quality[0]["eye_distance"] > 30


def test_enroll_signs_in_with_both_factors(client, enrolling):
    post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
    response = client.get(reverse("authn:me", args=[enrolling.client_id]))
    assert response.status_code == 200
    assert response.json()["amr"] == ["pwd", "face", "mfa"]


def test_verify_accepts_same_person(client, verifying):
    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert response.json()["redirect"] == reverse(
        "authn:done", args=[verifying.client_id]
    )


def test_verify_then_done_page_shows_factors(client, verifying):
    post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    response = client.get(reverse("authn:done", args=[verifying.client_id]))
    assert response.status_code == 200
    assert response.context["factors"] == ["Password", "Face Recognition"]


def test_verify_rejects_other_person(client, verifying):
    response = post_frames(client, verifying, "verify", face_bytes(BIDEN))
    assert response.status_code == 401
    assert response.json()["code"] == "face_mismatch"


def test_rejected_face_leaves_session_unsigned(client, verifying):
    post_frames(client, verifying, "verify", face_bytes(BIDEN))
    response = client.get(reverse("authn:me", args=[verifying.client_id]))
    assert response.status_code == 401


def test_rejected_face_counts_a_failure(client, verifying, end_user):
    post_frames(client, verifying, "verify", face_bytes(BIDEN))
    device = FaceDevice.objects.get(user=end_user)
    assert device.throttling_failure_count == 1


def test_verify_while_throttled_is_429(client, verifying, end_user):
    post_frames(client, verifying, "verify", face_bytes(BIDEN))
    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 429
    assert response.json()["code"] == "face_locked"


# Quality gates ------------------------------------------------------------------


def test_two_faces_are_rejected(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", face_bytes(TWO_PEOPLE))
    assert response.status_code == 422
    assert response.json()["code"] == "multiple_faces"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_image_without_face_is_rejected(client, enrolling):
    response = post_frames(client, enrolling, "enroll", jpeg_without_face())
    assert response.status_code == 422
    assert response.json()["code"] == "no_face"


def test_dark_frame_asks_for_more_light(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", darkened(OBAMA, 0.2))
    assert response.status_code == 422
    assert response.json()["code"] == "too_dark"
    assert "More light" in response.json()["message"]
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_small_face_asks_to_move_closer(client, enrolling):
    response = post_frames(client, enrolling, "enroll", shrunk(OBAMA, 200))
    assert response.status_code == 422
    assert response.json()["code"] == "face_too_small"
    assert "Move closer" in response.json()["message"]


def test_turned_head_asks_to_look_at_camera(client, enrolling):
    response = post_frames(client, enrolling, "enroll", face_bytes(TURNED_AWAY))
    assert response.status_code == 422
    assert response.json()["code"] == "bad_pose"
    assert "Look at the camera" in response.json()["message"]


def test_burst_reports_most_common_rejection(client, enrolling):
    dark = darkened(OBAMA, 0.2)
    response = post_frames(client, enrolling, "enroll", dark, jpeg_without_face(), dark)
    assert response.status_code == 422
    assert response.json()["code"] == "too_dark"


def test_enroll_needs_two_good_frames(client, enrolling, end_user):
    response = post_frames(
        client, enrolling, "enroll", face_bytes(OBAMA), jpeg_without_face()
    )
    assert response.status_code == 422
    assert response.json()["code"] == "no_face"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_enroll_rejects_frames_of_two_people(client, enrolling, end_user):
    response = post_frames(
        client, enrolling, "enroll", face_bytes(OBAMA), face_bytes(BIDEN)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "inconsistent_frames"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_exif_rotated_photo_is_found(client, enrolling):
    response = post_frames(client, enrolling, "enroll", rotated_with_exif(OBAMA))
    assert response.status_code == 200


def test_rgba_png_enrolls(client, enrolling):
    response = post_frames(client, enrolling, "enroll", face_bytes(RGBA_PNG))
    assert response.status_code == 200


# Upload checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (face_bytes(OBAMA)[: len(face_bytes(OBAMA)) // 2], "invalid_image"),
        (os.urandom(4096), "unsupported_image_type"),
        (b"", "empty_image"),
        (b"GIF89a" + b"\x00" * 64, "unsupported_image_type"),
    ],
    ids=["truncated_jpeg", "random_bytes", "empty", "gif"],
)
def test_bad_upload_is_4xx_and_writes_nothing(
    client, enrolling, end_user, payload, code
):
    response = post_frames(client, enrolling, "enroll", payload)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not FaceDevice.objects.filter(user=end_user).exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b'{"frame": []}', "application/json"), (b"\xff\xd8\xff", "image/jpeg")],
    ids=["json", "raw_jpeg"],
)
def test_non_multipart_upload_is_415(client, enrolling, end_user, body, content_type):
    response = client.post(
        reverse("mfa_face:enroll", args=[enrolling.client_id]),
        body,
        content_type=content_type,
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not FaceDevice.objects.filter(user=end_user).exists()


@pytest.mark.parametrize("name", ["challenge", "enroll", "verify"])
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_json_endpoint_other_method_is_json_405(client, enrolling, name, method):
    url = reverse(f"mfa_face:{name}", args=[enrolling.client_id])
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("name", ["challenge", "enroll", "verify"])
def test_json_endpoint_of_unknown_client_is_json_404(client, db, name):
    response = client.post(reverse(f"mfa_face:{name}", args=["no-such-client"]))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unknown_application"


def test_unroutable_json_endpoint_is_json_404(client, db):
    response = client.post("/login/a%2Fb/face/verify/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_face_page_of_unknown_client_is_404(client, db):
    response = client.get(reverse("mfa_face:step", args=["no-such-client"]))

    assert response.status_code == 404


def test_frame_over_size_limit_is_413(client, enrolling, settings):
    # One byte too many for the frame, while the whole request stays under
    # the request body limit, which admits MFA_FACE_MAX_FRAMES such frames.
    photo = face_bytes(OBAMA)
    settings.MFA_FACE_MAX_FRAME_BYTES = len(photo) - 1
    response = post_frames(client, enrolling, "enroll", photo)
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"


def test_too_many_frames_is_400(client, enrolling, settings):
    settings.MFA_FACE_MAX_FRAMES = 2
    frame = face_bytes(OBAMA)
    response = post_frames(client, enrolling, "enroll", frame, frame, frame)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_frames"


def test_no_frames_is_400(client, enrolling):
    response = post_frames(client, enrolling, "enroll")
    assert response.status_code == 400
    assert response.json()["code"] == "no_frames"


def test_frames_without_password_step_are_403(client, face_app, end_user):
    response = post_frames(
        client, face_app, "enroll", face_bytes(OBAMA), transaction_id="x", nonce="x"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "no_pending_sign_in"


def test_frames_for_other_transaction_are_403(client, enrolling, end_user):
    response = post_frames(
        client,
        enrolling,
        "enroll",
        face_bytes(OBAMA),
        transaction_id="another-transaction",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "transaction_mismatch"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_replayed_face_post_is_rejected(client, verifying):
    transaction_id = pending_transaction_id(client, verifying)
    nonce = new_nonce(client, verifying)
    post_frames(client, verifying, "verify", face_bytes(OBAMA_2), nonce=nonce)
    replay = post_frames(
        client,
        verifying,
        "verify",
        face_bytes(OBAMA_2),
        transaction_id=transaction_id,
        nonce=nonce,
    )
    assert replay.status_code == 403


def test_enroll_again_is_409(client, verifying):
    response = post_frames(client, verifying, "enroll", face_bytes(OBAMA))
    assert response.status_code == 409
    assert response.json()["code"] == "already_enrolled"


def test_verify_before_enrollment_is_409(client, enrolling):
    response = post_frames(client, enrolling, "verify", face_bytes(OBAMA))
    assert response.status_code == 409
    assert response.json()["code"] == "not_enrolled"


def test_face_step_of_other_app_is_refused(client, enrolling, end_user):
    other_app = enrolling.pool.applications.create(
        name="App B", custom_security_rules=True, face_mfa_enabled=True
    )
    response = post_frames(
        client,
        other_app,
        "enroll",
        face_bytes(OBAMA),
        transaction_id=pending_transaction_id(client, enrolling),
        nonce="x",
    )
    assert response.status_code == 403


def test_frame_upload_without_csrf_token_is_403(face_app, end_user):
    strict = Client(enforce_csrf_checks=True)
    login_url = reverse("authn:login", args=[face_app.client_id])
    strict.get(login_url)
    token = strict.cookies["csrftoken"].value
    signed_in = strict.post(
        login_url,
        {
            "identifier": "alice",
            "password": END_USER_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    assert signed_in.status_code == 302

    response = strict.post(
        reverse("mfa_face:enroll", args=[face_app.client_id]),
        {
            "transaction": pending_transaction_id(strict, face_app),
            "frame": SimpleUploadedFile(
                "f.jpg", face_bytes(OBAMA), content_type="image/jpeg"
            ),
        },
    )
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert not FaceDevice.objects.filter(user=end_user).exists()


# Challenges -----------------------------------------------------------------------


def test_challenge_returns_nonce_and_burst(client, enrolling, settings):
    settings.MFA_FACE_BURST_FRAMES = 5
    body = request_challenge(client, enrolling).json()
    assert len(body["nonce"]) >= 32
    assert body["liveness"] == "off"
    assert body["frames"] == 5
    assert body["actions"] == []
    assert body["expires_in"] > 0


def test_challenge_expires_with_its_sign_in(client, enrolling, settings):
    settings.MFA_FACE_CHALLENGE_TTL = 120
    session = client.session
    stored = session[login.SESSION_KEY]
    stored[enrolling.client_id]["started_at"] = (
        time.time() - settings.AUTHN_FIRST_FACTOR_TTL + 30
    )
    session[login.SESSION_KEY] = stored
    session.save()

    body = request_challenge(client, enrolling).json()

    assert 0 < body["expires_in"] <= 30


def test_challenge_stored_beside_login_transaction(client, enrolling):
    nonce = new_nonce(client, enrolling)
    stored = client.session[challenges.SESSION_KEY][enrolling.client_id]
    assert stored["nonce"] == nonce
    assert "challenge" not in client.session[login.SESSION_KEY][enrolling.client_id]


def test_challenge_without_password_step_is_403(client, face_app, end_user):
    response = request_challenge(client, face_app, transaction_id="x")
    assert response.status_code == 403
    assert response.json()["code"] == "no_pending_sign_in"


def test_challenge_for_other_transaction_is_403(client, enrolling):
    response = request_challenge(client, enrolling, transaction_id="other")
    assert response.status_code == 403
    assert response.json()["code"] == "transaction_mismatch"


def test_frames_without_nonce_are_rejected(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA), nonce="")
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_unknown"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_frames_with_unknown_nonce_are_rejected(client, enrolling):
    new_nonce(client, enrolling)
    response = post_frames(
        client, enrolling, "enroll", face_bytes(OBAMA), nonce="made-up-nonce"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_unknown"


def test_replaced_nonce_is_unknown(client, enrolling):
    first = new_nonce(client, enrolling)
    new_nonce(client, enrolling)
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA), nonce=first)
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_unknown"


def test_used_nonce_is_rejected(client, enrolling, end_user):
    nonce = new_nonce(client, enrolling)
    first = post_frames(client, enrolling, "enroll", jpeg_without_face(), nonce=nonce)
    assert first.json()["code"] == "no_face"

    again = post_frames(client, enrolling, "enroll", face_bytes(OBAMA), nonce=nonce)
    assert again.status_code == 409
    assert again.json()["code"] == "challenge_used"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_nonce_used_by_concurrent_request(client, enrolling, end_user):
    """A second upload that read the session before the first saved it is rejected.

    The session is rewound to its state before the first upload, which is the
    state the second of two simultaneous requests reads. Only the database
    records that the nonce was used.
    """
    nonce = new_nonce(client, enrolling)
    before = client.session[challenges.SESSION_KEY]
    first = post_frames(client, enrolling, "enroll", jpeg_without_face(), nonce=nonce)
    assert first.json()["code"] == "no_face"

    session = client.session
    session[challenges.SESSION_KEY] = before
    session.save()
    assert session[challenges.SESSION_KEY][enrolling.client_id]["used"] is False

    again = post_frames(client, enrolling, "enroll", face_bytes(OBAMA), nonce=nonce)
    assert again.status_code == 409
    assert again.json()["code"] == "challenge_used"
    assert not FaceDevice.objects.filter(user=end_user).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_nonce_pass_once():
    if connection.vendor == "sqlite":
        # The in-memory SQLite test database rejects concurrent writers with
        # "database table is locked" instead of making them wait.
        pytest.skip("needs a database server with row locks, such as PostgreSQL")
    challenge = challenges.Challenge(
        nonce="n" * 32, transaction_id="t", liveness="off", expires_at=time.time() + 60
    )
    results = []

    def claim():
        try:
            results.append(challenges._claim(challenge))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert UsedChallenge.objects.count() == 1


def test_expired_used_nonces_are_deleted(client, enrolling):
    UsedChallenge.objects.create(
        nonce_hash="0" * 64, expires_at=timezone.now() - timedelta(seconds=1)
    )
    nonce = new_nonce(client, enrolling)
    post_frames(client, enrolling, "enroll", jpeg_without_face(), nonce=nonce)
    assert not UsedChallenge.objects.filter(nonce_hash="0" * 64).exists()
    assert UsedChallenge.objects.count() == 1


def test_expired_nonce_is_rejected(client, enrolling, end_user, monkeypatch):
    nonce = new_nonce(client, enrolling)
    issued = time.time()
    monkeypatch.setattr(
        challenges.time,
        "time",
        lambda: issued + challenges.face_settings.MFA_FACE_CHALLENGE_TTL + 1,
    )
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA), nonce=nonce)
    assert response.status_code == 410
    assert response.json()["code"] == "challenge_expired"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_active_challenge_has_two_distinct_actions(client, face_app, end_user):
    set_liveness(face_app, LivenessLevel.ACTIVE)
    sign_in(client, face_app)
    body = request_challenge(client, face_app).json()
    actions = [step["action"] for step in body["actions"]]
    assert body["liveness"] == "active"
    assert len(set(actions)) == 2
    assert set(actions) <= {"turn_left", "turn_right", "blink"}
    assert all(step["prompt"] for step in body["actions"])


def test_active_deadline_passes_expires_frames(client, face_app, end_user, monkeypatch):
    set_liveness(face_app, LivenessLevel.ACTIVE)
    sign_in(client, face_app)
    nonce = new_nonce(client, face_app)
    issued = time.time()
    deadline = challenges.face_settings.MFA_FACE_ACTIVE_DEADLINE
    monkeypatch.setattr(challenges.time, "time", lambda: issued + deadline + 1)
    response = post_frames(client, face_app, "enroll", face_bytes(OBAMA), nonce=nonce)
    assert response.status_code == 410
    assert response.json()["code"] == "challenge_expired"


def test_pool_turned_active_rejects_passive_challenge(client, passive, end_user):
    nonce = new_nonce(client, passive)
    set_liveness(passive, LivenessLevel.ACTIVE)
    response = post_frames(client, passive, "enroll", face_bytes(OBAMA), nonce=nonce)
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_unknown"
    assert not FaceDevice.objects.filter(user=end_user).exists()


# Passive liveness -----------------------------------------------------------------


def test_passive_enrolls_from_moving_person(client, passive, end_user, clip):
    frames = material.clip_burst(clip, CLIP_ENROLL_START)
    response = post_frames(client, passive, "enroll", *frames)
    assert response.status_code == 200, response.json()
    device = FaceDevice.objects.get(user=end_user)
    assert device.descriptors.shape == (3, 128)


def test_passive_rejects_repeated_still_photo(client, passive, end_user):
    still = face_bytes(material.CLIP_PERSON_PHOTO)
    response = post_frames(client, passive, "enroll", *[still] * 6)
    assert response.status_code == 401
    assert response.json()["code"] == "still_image"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_passive_rejects_single_photo(client, passive):
    response = post_frames(client, passive, "enroll", face_bytes(OBAMA))
    assert response.status_code == 422
    assert response.json()["code"] == "liveness_too_few_frames"


def photo_series(person="obama"):
    photos = [material.read_photo(path) for path in material.SERIES_PHOTOS[person]]
    return material.photo_series_burst(photos, np.random.default_rng(0))


def repeated_still():
    return [face_bytes(material.CLIP_PERSON_PHOTO)] * 6


def test_passive_rejects_photo_series_enrollment(client, passive, end_user):
    response = post_frames(client, passive, "enroll", *photo_series())
    assert response.status_code == 401
    assert response.json()["code"] == "scene_changed"
    assert not FaceDevice.objects.filter(user=end_user).exists()


@pytest.mark.parametrize(
    ("attack", "code"),
    [(repeated_still, "still_image"), (photo_series, "scene_changed")],
)
def test_passive_verify_counts_attack_as_failure(
    client, passive, end_user, clip, attack, code
):
    enrolled = post_frames(
        client, passive, "enroll", *material.clip_burst(clip, CLIP_ENROLL_START)
    )
    assert enrolled.status_code == 200
    client.post(reverse("authn:logout", args=[passive.client_id]))
    sign_in(client, passive)

    response = post_frames(client, passive, "verify", *attack())
    assert response.status_code == 401
    assert response.json()["code"] == code
    device = FaceDevice.objects.get(user=end_user)
    assert device.throttling_failure_count == 1


def test_passive_verifies_moving_person(client, passive, clip):
    enrolled = post_frames(
        client, passive, "enroll", *material.clip_burst(clip, CLIP_ENROLL_START)
    )
    assert enrolled.status_code == 200
    client.post(reverse("authn:logout", args=[passive.client_id]))
    sign_in(client, passive)

    response = post_frames(
        client, passive, "verify", *material.clip_burst(clip, CLIP_VERIFY_START)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "verified"


# Active liveness --------------------------------------------------------------------

# Clip frames that show a head turn to the person's right, then to his left.
TURN_RIGHT_THEN_LEFT = [100, 110, 120, 128, 132, 134, 144, 150, 156, 160, 162]


@pytest.fixture
def active(client, face_app, end_user):
    set_liveness(face_app, LivenessLevel.ACTIVE)
    sign_in(client, face_app)
    return face_app


def fixed_actions(monkeypatch, actions):
    monkeypatch.setattr(
        challenges._random, "sample", lambda population, count: list(actions)
    )


def turning_frames(clip):
    return [
        material.encode_jpeg(material.pad_to_frame(clip[index]))
        for index in TURN_RIGHT_THEN_LEFT
    ]


def test_active_enrolls_when_actions_follow_prompts(
    client, active, end_user, clip, monkeypatch
):
    fixed_actions(monkeypatch, ["turn_right", "turn_left"])
    response = post_frames(client, active, "enroll", *turning_frames(clip))
    assert response.status_code == 200, response.json()
    assert FaceDevice.objects.filter(user=end_user).exists()


def test_active_rejects_actions_in_wrong_order(
    client, active, end_user, clip, monkeypatch
):
    fixed_actions(monkeypatch, ["turn_left", "turn_right"])
    response = post_frames(client, active, "enroll", *turning_frames(clip))
    assert response.status_code == 401
    assert response.json()["code"] == "actions_not_seen"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def draw_in_turn(monkeypatch, *sequences):
    draws = iter(sequences)
    monkeypatch.setattr(
        challenges._random, "sample", lambda population, count: list(next(draws))
    )


def actions_of(client, app):
    body = request_challenge(client, app).json()
    return [step["action"] for step in body["actions"]]


def test_active_challenge_again_keeps_actions(client, active, monkeypatch):
    draw_in_turn(monkeypatch, ["turn_right", "turn_left"], ["blink", "turn_left"])

    first = actions_of(client, active)
    second = actions_of(client, active)

    assert first == ["turn_right", "turn_left"]
    assert second == first


def test_active_actions_drawn_again_after_attack(
    client, active, end_user, clip, monkeypatch
):
    draw_in_turn(monkeypatch, ["turn_left", "turn_right"], ["blink", "turn_left"])
    rejected = post_frames(client, active, "enroll", *turning_frames(clip))
    assert rejected.json()["code"] == "actions_not_seen"

    assert actions_of(client, active) == ["blink", "turn_left"]


def test_active_actions_drawn_again_after_success(
    client, active, end_user, clip, monkeypatch
):
    draw_in_turn(monkeypatch, ["turn_right", "turn_left"], ["blink", "turn_left"])
    enrolled = post_frames(client, active, "enroll", *turning_frames(clip))
    assert enrolled.status_code == 200, enrolled.json()
    client.post(reverse("authn:logout", args=[active.client_id]))
    sign_in(client, active)

    assert actions_of(client, active) == ["blink", "turn_left"]


def test_active_challenge_frame_count_fits_limit(client, active):
    body = request_challenge(client, active).json()
    frames = 1 + sum(step["frames"] for step in body["actions"])
    assert frames <= challenges.face_settings.MFA_FACE_MAX_FRAMES


# Settings check ---------------------------------------------------------------------


def test_frame_limit_below_burst_fails_system_check(settings):
    # The default burst has 6 frames and an active attempt 11.
    settings.MFA_FACE_MAX_FRAMES = 5
    errors = check_frame_limits()
    assert [error.id for error in errors] == ["mfa_face.E001", "mfa_face.E001"]


def test_default_frame_limits_pass_system_check():
    assert check_frame_limits() == []
