"""End users delete their own face data after a complete sign-in."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent, EventType
from mfa_face.models import FaceDevice

from .faces import face_bytes
from .test_face_step import post_frames, verifying  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

OBAMA_2 = "people/obama/obama2.jpg"


@pytest.fixture
def signed_in(client, verifying):  # noqa: F811
    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
    return verifying


def test_done_page_offers_deletion(client, signed_in):
    response = client.get(reverse("authn:done", args=[signed_in.client_id]))
    assert b"Delete my face data" in response.content


def test_signed_in_user_deletes_face_data(client, signed_in, end_user):
    response = client.post(reverse("mfa_face:delete", args=[signed_in.client_id]))
    assert response.status_code == 200
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_deletion_is_audited(client, signed_in, end_user):
    client.post(reverse("mfa_face:delete", args=[signed_in.client_id]))
    assert AuditEvent.objects.filter(event=EventType.FACE_DELETED).count() == 1


def test_password_only_session_cannot_delete(client, verifying, end_user):  # noqa: F811
    response = client.post(reverse("mfa_face:delete", args=[verifying.client_id]))
    assert response.status_code == 302
    assert FaceDevice.objects.filter(user=end_user).exists()


def test_deletion_needs_post(client, signed_in, end_user):
    response = client.get(reverse("mfa_face:delete", args=[signed_in.client_id]))
    assert response.status_code == 405
    assert FaceDevice.objects.filter(user=end_user).exists()
