"""The face step endpoints with real photos and the real dlib models."""

import io
import os

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from authn import transaction as login
from mfa_face.models import FaceDevice

from .conftest import END_USER_PASSWORD
from .faces import face_bytes

pytestmark = pytest.mark.django_db

OBAMA = "people/obama/obama.jpg"
OBAMA_2 = "people/obama/obama2.jpg"
BIDEN = "people/biden/biden.jpg"
TWO_PEOPLE = "groups/two_people.jpg"
RGBA_PNG = "formats/rgba-32bit.png"


def sign_in(client, app):
    return client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )


def pending_transaction_id(client, app):
    return client.session[login.SESSION_KEY][app.client_id]["id"]


def post_frames(client, app, endpoint, *frames, transaction_id=None):
    if transaction_id is None:
        transaction_id = pending_transaction_id(client, app)
    uploads = [
        SimpleUploadedFile(f"frame-{index}.jpg", data, content_type="image/jpeg")
        for index, data in enumerate(frames)
    ]
    return client.post(
        reverse(f"mfa_face:{endpoint}", args=[app.client_id]),
        {"transaction": transaction_id, "frame": uploads},
    )


def jpeg_without_face():
    gradient = np.linspace(0, 255, 480 * 640 * 3, dtype=np.float64).reshape(480, 640, 3)
    buffer = io.BytesIO()
    Image.fromarray(gradient.astype(np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def rotated_with_exif(relative):
    """Return a JPEG whose pixels are turned 90° with an EXIF tag that undoes it."""
    image = Image.open(io.BytesIO(face_bytes(relative)))
    # Orientation 6 says "rotate 90° clockwise to display", so the stored
    # pixels are the upright picture turned 90° counter-clockwise.
    turned = image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    turned.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def enrolling(client, face_app, end_user):
    sign_in(client, face_app)
    return face_app


@pytest.fixture
def verifying(client, face_app, end_user):
    """A signed-out user with an enrolled face, back at the face step."""
    sign_in(client, face_app)
    response = post_frames(client, face_app, "enroll", face_bytes(OBAMA))
    assert response.status_code == 200
    client.post(reverse("authn:logout", args=[face_app.client_id]))
    sign_in(client, face_app)
    return face_app


def test_face_page_asks_to_enroll_first_time(client, enrolling):
    response = client.get(reverse("mfa_face:step", args=[enrolling.client_id]))
    assert response.status_code == 200
    assert response.context["mode"] == "enroll"


def test_enroll_stores_template_not_photo(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
    assert response.status_code == 200
    assert response.json()["status"] == "enrolled"
    device = FaceDevice.objects.get(user=end_user)
    assert device.descriptors.shape == (1, 128)


def test_enroll_signs_in_with_both_factors(client, enrolling):
    post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
    response = client.get(reverse("authn:me", args=[enrolling.client_id]))
    assert response.status_code == 200
    assert response.json()["amr"] == ["pwd", "face", "mfa"]


def test_face_page_asks_to_verify_after_enrollment(client, verifying):
    response = client.get(reverse("mfa_face:step", args=[verifying.client_id]))
    assert response.context["mode"] == "verify"


def test_verify_accepts_same_person(client, verifying):
    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
    assert response.json()["status"] == "verified"


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


def test_two_faces_are_rejected(client, enrolling, end_user):
    response = post_frames(client, enrolling, "enroll", face_bytes(TWO_PEOPLE))
    assert response.status_code == 422
    assert response.json()["code"] == "multiple_faces"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_image_without_face_is_rejected(client, enrolling):
    response = post_frames(client, enrolling, "enroll", jpeg_without_face())
    assert response.status_code == 422
    assert response.json()["code"] == "no_face"


def test_exif_rotated_photo_is_found(client, enrolling):
    response = post_frames(client, enrolling, "enroll", rotated_with_exif(OBAMA))
    assert response.status_code == 200


def test_rgba_png_enrolls(client, enrolling):
    response = post_frames(client, enrolling, "enroll", face_bytes(RGBA_PNG))
    assert response.status_code == 200


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


def test_frame_over_size_limit_is_413(client, enrolling, settings):
    settings.MFA_FACE_MAX_FRAME_BYTES = 1000
    response = post_frames(client, enrolling, "enroll", face_bytes(OBAMA))
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
        client, face_app, "enroll", face_bytes(OBAMA), transaction_id="x"
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
    post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    replay = post_frames(
        client, verifying, "verify", face_bytes(OBAMA_2), transaction_id=transaction_id
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
