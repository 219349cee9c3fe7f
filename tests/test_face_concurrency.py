"""Concurrent face attempts of one account: failures count, one enrollment wins.

Each attempt comes from its own browser session and is sent from its own
thread at the same moment, against PostgreSQL's row locks. The in-memory
SQLite test database cannot run concurrent writers, so there the tests skip.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from authn.models import LivenessLevel
from mfa_face.models import FaceDevice

from .faces import face_bytes
from .test_face_step import BIDEN, OBAMA, new_nonce, post_frames, set_liveness, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 8


@pytest.fixture(autouse=True)
def needs_row_locks():
    if connection.vendor == "sqlite":
        pytest.skip("needs a database server with row locks, such as PostgreSQL")


def prepared_browsers(app, count):
    """Return ``count`` (client, nonce) pairs, each signed in with the password."""
    browsers = []
    for _ in range(count):
        client = Client()
        sign_in(client, app)
        browsers.append((client, new_nonce(client, app)))
    return browsers


def post_at_once(app, endpoint, browsers, frame):
    """Post ``frame`` from every browser at the same moment; return the responses."""
    barrier = threading.Barrier(len(browsers))
    responses = [None] * len(browsers)

    def attempt(index, client, nonce):
        try:
            barrier.wait()
            responses[index] = post_frames(client, app, endpoint, frame, nonce=nonce)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(index, client, nonce))
        for index, (client, nonce) in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_failures_are_all_counted(face_app, end_user, settings):
    settings.MFA_FACE_THROTTLE_FACTOR = 0
    set_liveness(face_app, LivenessLevel.OFF)
    enrolling = Client()
    sign_in(enrolling, face_app)
    assert (
        post_frames(enrolling, face_app, "enroll", face_bytes(OBAMA)).status_code == 200
    )

    browsers = prepared_browsers(face_app, ATTEMPTS)
    responses = post_at_once(face_app, "verify", browsers, face_bytes(BIDEN))

    # All eight are analysed at once; their outcomes are counted one by one,
    # and those counted after the fifth failure find the factor locked.
    statuses = [response.status_code for response in responses]
    assert sorted(statuses) == [401] * 5 + [429] * 3, statuses
    device = FaceDevice.objects.get(user=end_user)
    assert device.throttling_failure_count == 5


def test_concurrent_attempts_stop_at_lockout(face_app, end_user, settings):
    """Sent one after another, eight wrong faces lock the factor after five."""
    settings.MFA_FACE_THROTTLE_FACTOR = 0
    set_liveness(face_app, LivenessLevel.OFF)
    enrolling = Client()
    sign_in(enrolling, face_app)
    post_frames(enrolling, face_app, "enroll", face_bytes(OBAMA))

    statuses = []
    for client, nonce in prepared_browsers(face_app, ATTEMPTS):
        response = post_frames(
            client, face_app, "verify", face_bytes(BIDEN), nonce=nonce
        )
        statuses.append(response.status_code)

    assert statuses == [401] * 5 + [429] * 3
    device = FaceDevice.objects.get(user=end_user)
    assert device.throttling_failure_count == 5


def test_concurrent_enrollments_store_one_device(face_app, end_user):
    set_liveness(face_app, LivenessLevel.OFF)
    browsers = prepared_browsers(face_app, 4)
    responses = post_at_once(face_app, "enroll", browsers, face_bytes(OBAMA))

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409}, statuses
    codes = {
        response.json()["code"] for response in responses if response.status_code == 409
    }
    assert codes <= {"already_enrolled"}
    assert FaceDevice.objects.filter(user=end_user).count() == 1
