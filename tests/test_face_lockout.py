"""The face factor locks after five consecutive failures; audit records follow."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent, EventType
from mfa_face.models import FaceDevice

from .faces import face_bytes
from .test_face_step import (  # noqa: F401 (fixture)
    BIDEN,
    OBAMA_2,
    jpeg_without_face,
    post_frames,
    verifying,
)

pytestmark = pytest.mark.django_db


def fail_recently(device, failures, seconds_ago=1):
    device.throttling_failure_count = failures
    device.throttling_failure_timestamp = timezone.now() - timedelta(
        seconds=seconds_ago
    )
    device.save()


@pytest.fixture
def device(verifying, end_user):
    return FaceDevice.objects.get(user=end_user)


def test_four_failures_do_not_lock(device, settings):
    fail_recently(device, 4, seconds_ago=10)
    allowed, _ = device.verify_is_allowed()
    assert allowed is True


def test_fifth_failure_locks(device, settings):
    fail_recently(device, 5)
    allowed, details = device.verify_is_allowed()
    assert allowed is False
    assert details["failure_count"] == 5


def test_lock_lasts_lockout_seconds(device, settings):
    settings.MFA_FACE_LOCKOUT_SECONDS = 60
    fail_recently(device, 5)
    _, details = device.verify_is_allowed()
    expected = device.throttling_failure_timestamp + timedelta(seconds=60)
    assert details["locked_until"] == expected


def test_lock_doubles_with_each_further_failure(device, settings):
    settings.MFA_FACE_LOCKOUT_SECONDS = 60
    fail_recently(device, 7)
    _, details = device.verify_is_allowed()
    expected = device.throttling_failure_timestamp + timedelta(seconds=240)
    assert details["locked_until"] == expected


def test_lock_ends(device, settings):
    settings.MFA_FACE_LOCKOUT_SECONDS = 60
    fail_recently(device, 5, seconds_ago=61)
    allowed, _ = device.verify_is_allowed()
    assert allowed is True


def test_locked_verify_says_until_when(client, verifying, device):
    fail_recently(device, 5)
    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 429
    assert response.json()["code"] == "face_locked"
    assert "locked until" in response.json()["message"]
    assert response.json()["locked_until"]


def test_fifth_mismatch_records_lockout(client, verifying, device):
    fail_recently(device, 4, seconds_ago=30)
    post_frames(client, verifying, "verify", face_bytes(BIDEN))
    assert AuditEvent.objects.filter(event=EventType.FACE_LOCKED).count() == 1


def test_mismatch_records_distance(client, verifying, device):
    post_frames(client, verifying, "verify", face_bytes(BIDEN))
    event = AuditEvent.objects.get(event=EventType.FACE_REJECTED)
    assert event.details["reason"] == "face_mismatch"
    assert event.details["distance"] > 0.5


def test_match_records_verification(client, verifying, device):
    post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert AuditEvent.objects.filter(event=EventType.FACE_VERIFIED).count() == 1


def test_template_column_is_encrypted(device):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT template FROM mfa_face_facedevice WHERE id = %s", [device.pk]
        )
        stored = bytes(cursor.fetchone()[0])
    assert stored != device.descriptors.tobytes()
    assert stored.startswith(b"gAAAAA")


def test_attempts_over_limit_are_429(client, verifying, end_user, settings):  # noqa: F811
    # The fixture's enrollment was the first attempt.
    settings.MFA_FACE_MAX_ATTEMPTS = 3
    settings.MFA_FACE_THROTTLE_FACTOR = 0
    for _ in range(2):
        response = post_frames(client, verifying, "verify", jpeg_without_face())
        assert response.status_code == 422

    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "too_many_attempts"
    assert body["recovery_url"] == f"/login/{verifying.client_id}/recovery/"
    device = FaceDevice.objects.get(user=end_user)
    assert device.throttling_failure_count == 0


def test_short_delay_is_not_lockout(device, settings):
    settings.MFA_FACE_THROTTLE_FACTOR = 60
    fail_recently(device, 1)
    allowed, _ = device.verify_is_allowed()
    assert allowed is False
    locked, _ = device.lockout()
    assert locked is False


def test_lockout_after_limit(device):
    fail_recently(device, 5)
    locked, details = device.lockout()
    assert locked is True
    assert details["locked_until"] > timezone.now()


@pytest.mark.parametrize(
    "frame",
    [b"not an image", b"", b"\xff\xd8\xff" + b"\x00" * 40],
    ids=["text", "empty", "header"],
)
def test_unreadable_frames_use_no_attempts(
    client, verifying, end_user, settings, frame
):  # noqa: F811
    settings.MFA_FACE_MAX_ATTEMPTS = 2
    for _ in range(5):
        response = post_frames(client, verifying, "verify", frame)
        assert response.status_code in (400, 415)

    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200


def test_rejected_nonces_use_no_attempts(client, verifying, end_user, settings):  # noqa: F811
    settings.MFA_FACE_MAX_ATTEMPTS = 2
    for _ in range(5):
        response = post_frames(
            client, verifying, "verify", face_bytes(OBAMA_2), nonce="not-issued"
        )
        assert response.status_code == 400

    response = post_frames(client, verifying, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
