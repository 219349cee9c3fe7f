"""Request body and pixel limits: rejected before the body is parsed or decoded."""

import io

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from mfa_face.models import FaceDevice

from .test_face_step import enrolling, post_frames  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

BOUNDARY = "limit-test-boundary"


def multipart_body(size):
    """Return a multipart body with one ``frame`` file of ``size`` bytes."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="frame"; filename="frame.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head + b"\xff" * size + tail


def post_multipart(client, path, size):
    return client.generic(
        "POST",
        path,
        multipart_body(size),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def png_frame(width, height):
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def small_frame_limits(settings):
    settings.MFA_FACE_MAX_FRAMES = 2
    settings.MFA_FACE_MAX_FRAME_BYTES = 10_000
    settings.MFA_FACE_BURST_FRAMES = 2
    settings.MFA_FACE_ACTIVE_FRAMES_PER_ACTION = 0
    # 2 frames of 10 kB and the multipart overhead.
    return 2 * 10_000 + 64 * 1024


def test_large_frame_upload_is_413(face_app, small_frame_limits):
    client = Client(enforce_csrf_checks=True)
    path = reverse("mfa_face:verify", args=[face_app.client_id])

    response = post_multipart(client, path, small_frame_limits + 1)

    # 413, not the CSRF check's 403: the body was never parsed.
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert str(small_frame_limits) in response.json()["message"]


def test_frame_upload_under_limit_reaches_view(face_app, small_frame_limits):
    path = reverse("mfa_face:verify", args=[face_app.client_id])

    response = post_multipart(Client(), path, 1_000)

    assert response.status_code == 403
    assert response.json()["code"] == "no_pending_sign_in"


def test_large_form_post_is_413(app, settings):
    settings.IDP_MAX_REQUEST_BYTES = 50_000
    client = Client(enforce_csrf_checks=True)

    response = post_multipart(
        client, reverse("authn:login", args=[app.client_id]), 60_000
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert b"more than the maximum of 50000 bytes" in response.content
    assert "Content-Security-Policy" in response.headers


def test_default_limit_admits_login_form(client, app, end_user):
    response = client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": "x" * 4096},
    )
    assert response.status_code == 400


def test_burst_over_pixel_limit_is_413(client, enrolling, end_user, settings):  # noqa: F811
    settings.MFA_FACE_MAX_BURST_PIXELS = 2 * 640 * 480 - 1
    frames = [png_frame(640, 480), png_frame(640, 480)]

    response = post_frames(client, enrolling, "enroll", *frames)

    assert response.status_code == 413
    assert response.json()["code"] == "burst_too_large"
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_burst_at_pixel_limit_is_decoded(client, enrolling, settings):  # noqa: F811
    settings.MFA_FACE_MAX_BURST_PIXELS = 2 * 640 * 480
    frames = [png_frame(640, 480), png_frame(640, 480)]

    response = post_frames(client, enrolling, "enroll", *frames)

    # Decoded and analysed: a gray frame has no face.
    assert response.status_code == 422
    assert response.json()["code"] == "no_face"
