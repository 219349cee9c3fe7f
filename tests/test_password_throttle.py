"""Failed password sign-ins are throttled per identifier and per client IP."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent, EventType

from .conftest import END_USER_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, app, identifier="alice", password=END_USER_PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": identifier, "password": password},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def limits(settings):
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT = 3
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_IP = 5
    return settings


def test_account_locks_after_limit(client, app, end_user, limits):
    for _ in range(3):
        sign_in(client, app, password="wrong")
    response = sign_in(client, app)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_unknown_account_locks_the_same_way(client, app, end_user, limits):
    for _ in range(3):
        sign_in(client, app, identifier="nobody", password="wrong")
    response = sign_in(client, app, identifier="nobody", password="wrong")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


@pytest.mark.parametrize(
    "spelling",
    ["+1 202 555 0100", "+1-202-555-0100", "001 202 555 0100", "+1.202.555.0100"],
)
def test_phone_spellings_share_one_count(client, app, end_user, limits, spelling):
    for _ in range(3):
        sign_in(client, app, identifier="+12025550100", password="wrong")
    response = sign_in(client, app, identifier=spelling)
    assert response.status_code == 429


def test_unknown_phone_spellings_share_one_count(client, app, end_user, limits):
    for _ in range(3):
        sign_in(client, app, identifier="+1 202 555 0199", password="wrong")
    response = sign_in(client, app, identifier="+12025550199", password="wrong")
    assert response.status_code == 429


def test_failures_below_limit_still_sign_in(client, app, end_user, limits):
    for _ in range(2):
        sign_in(client, app, password="wrong")
    response = sign_in(client, app)
    assert response.status_code == 302


def test_success_resets_account_count(client, app, end_user, limits):
    for _ in range(2):
        sign_in(client, app, password="wrong")
    sign_in(client, app)
    client.post(reverse("authn:logout", args=[app.client_id]))
    for _ in range(2):
        sign_in(client, app, password="wrong")
    response = sign_in(client, app)
    assert response.status_code == 302


def test_client_ip_locks_after_limit(client, app, end_user, limits):
    for index in range(5):
        sign_in(client, app, identifier=f"guess{index}", password="wrong")
    response = sign_in(client, app)
    assert response.status_code == 429


def test_other_ip_is_not_locked_by_ip_limit(client, app, end_user, limits):
    for index in range(5):
        sign_in(client, app, identifier=f"guess{index}", password="wrong")
    response = sign_in(client, app, ip="10.0.0.2")
    assert response.status_code == 302


def test_lock_is_audited(client, app, end_user, limits):
    for _ in range(3):
        sign_in(client, app, password="wrong")
    sign_in(client, app)
    assert AuditEvent.objects.filter(event=EventType.PASSWORD_LOCKED).count() == 1


def test_failures_are_audited(client, app, end_user, limits):
    sign_in(client, app, password="wrong")
    event = AuditEvent.objects.get(event=EventType.SIGN_IN_FAILED)
    assert event.identifier == "alice"
