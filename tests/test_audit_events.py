"""audit.events.record: the row, the log line, the IP and the secret guard."""

import json
import logging
from unittest import mock

import pytest
from django.db import OperationalError, transaction
from django.test import RequestFactory

from audit.events import EventType, ForbiddenDetail, client_ip, record
from audit.models import AuditEvent
from authn.models import UserPool

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_from():
    def build(remote_addr="203.0.113.7", forwarded=None):
        headers = {"REMOTE_ADDR": remote_addr}
        if forwarded is not None:
            headers["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().post("/login/x/", **headers)

    return build


@pytest.fixture
def other_pool(other_admin):
    return UserPool.objects.create(owner=other_admin, name="Pool B")


def audit_lines(caplog):
    return [
        json.loads(entry.getMessage())
        for entry in caplog.records
        if entry.name == "audit"
    ]


def test_record_stores_every_field(app, end_user, admin, request_from):
    row = record(
        EventType.FACE_REJECTED,
        request=request_from(),
        app=app,
        end_user=end_user,
        actor=admin,
        distance=0.61,
        reason="face_mismatch",
    )
    stored = AuditEvent.objects.get(pk=row.pk)
    assert stored.event == "face_rejected"
    assert stored.pool == app.pool
    assert stored.application == app
    assert stored.end_user == end_user
    assert stored.actor == admin
    assert stored.client_ip == "203.0.113.7"
    assert stored.details == {"distance": 0.61, "reason": "face_mismatch"}
    assert stored.created_at is not None


def test_record_accepts_event_value_string(pool):
    assert record("face_reset", pool=pool).event == EventType.FACE_RESET


def test_unknown_event_is_rejected(pool):
    with pytest.raises(ValueError, match="not_an_event"):
        record("not_an_event", pool=pool)


def test_pool_taken_from_app(app):
    assert record(EventType.SIGN_IN_FAILED, app=app).pool_id == app.pool_id


def test_pool_taken_from_end_user(end_user):
    assert (
        record(EventType.FACE_ENROLLED, end_user=end_user).pool_id == end_user.pool_id
    )


def test_objects_of_two_pools_are_rejected(app, other_pool):
    with pytest.raises(ValueError, match="different pools"):
        record(EventType.SIGN_IN_FAILED, pool=other_pool, app=app)


def test_identifier_defaults_to_display_name(end_user):
    assert record(EventType.FACE_VERIFIED, end_user=end_user).identifier == "alice"


def test_identifier_of_unknown_account_is_kept(app):
    row = record(EventType.SIGN_IN_FAILED, app=app, identifier="mallory@example.com")
    assert row.identifier == "mallory@example.com"


def test_long_identifier_is_cut_to_field_length(app):
    row = record(EventType.SIGN_IN_FAILED, app=app, identifier="x" * 400)
    assert len(AuditEvent.objects.get(pk=row.pk).identifier) == 254


def test_event_survives_user_deletion(end_user):
    row = record(EventType.FACE_VERIFIED, end_user=end_user)
    end_user.delete()
    row.refresh_from_db()
    assert row.end_user is None
    assert row.identifier == "alice"


def test_event_survives_app_deletion(app):
    row = record(EventType.SIGN_IN_SUCCEEDED, app=app)
    app.delete()
    row.refresh_from_db()
    assert row.application is None
    assert row.pool_id is not None


@pytest.mark.parametrize(
    "details",
    [
        {"password": "hunter2"},
        {"new_password": "hunter2"},
        {"clientSecret": "abc"},
        {"client_secret": "abc"},
        {"access_token": "abc"},
        {"id-token": "abc"},
        {"Token": "abc"},
        {"template": [0.1, 0.2]},
        {"descriptors": [[0.1]]},
        {"frames": 3},
        {"raw_frames": 3},
        {"face_template": "x"},
        {"photo": "face.jpg"},
        {"recovery_code": "ABCDE-FGHJK"},
        {"authorization_code": "abc"},
        {"sessionid": "abc"},
        {"form": {"password": "hunter2"}},
        {"attempts": [{"otp": "123456"}]},
    ],
    ids=lambda details: json.dumps(details),
)
def test_secret_detail_keys_are_rejected(pool, details):
    with pytest.raises(ForbiddenDetail):
        record(EventType.SIGN_IN_FAILED, pool=pool, **details)


def test_rejected_details_write_no_row(pool):
    with pytest.raises(ForbiddenDetail):
        record(EventType.SIGN_IN_FAILED, pool=pool, password="hunter2")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "value",
    [b"\x00\x01", bytearray(b"\x00"), memoryview(b"\x00"), [b"\x00"]],
    ids=["bytes", "bytearray", "memoryview", "list_of_bytes"],
)
def test_binary_detail_values_are_rejected(pool, value):
    with pytest.raises(ForbiddenDetail):
        record(EventType.FACE_REJECTED, pool=pool, extra=value)


def test_long_list_detail_is_rejected(pool):
    with pytest.raises(ForbiddenDetail, match="items"):
        record(EventType.FACE_ENROLLED, pool=pool, values=[0.1] * 128)


def test_long_text_detail_is_rejected(pool):
    with pytest.raises(ForbiddenDetail, match="characters"):
        record(EventType.FACE_ENROLLED, pool=pool, note="A" * 501)


def test_properties_of_frames_are_allowed(pool):
    row = record(EventType.FACE_ENROLLED, pool=pool, frame_count=6, frames_described=3)
    assert row.details == {"frame_count": 6, "frames_described": 3}


def test_reason_code_and_counts_are_allowed(pool):
    row = record(
        EventType.RECOVERY_CODE_USED, pool=pool, code="ok", remaining=9, failures=0
    )
    assert row.details == {"code": "ok", "remaining": 9, "failures": 0}


def test_switch_change_details_are_allowed(pool, admin):
    row = record(
        EventType.MFA_SWITCH_CHANGED,
        pool=pool,
        actor=admin,
        switch="face_mfa_enabled",
        enabled=True,
    )
    assert row.details == {"switch": "face_mfa_enabled", "enabled": True}


def test_unserializable_detail_is_type_error(pool):
    with pytest.raises(TypeError):
        record(EventType.FACE_REJECTED, pool=pool, reason=object())
    assert not AuditEvent.objects.exists()


def test_client_ip_from_remote_addr(request_from):
    assert client_ip(request_from("198.51.100.4")) == "198.51.100.4"


def test_client_ip_normalizes_ipv6(request_from):
    assert client_ip(request_from("2001:DB8:0:0::1")) == "2001:db8::1"


def test_client_ip_without_request_is_none():
    assert client_ip(None) is None


def test_client_ip_invalid_remote_addr_is_none(request_from):
    assert client_ip(request_from("not-an-ip")) is None


def test_forwarded_for_is_ignored_by_default(request_from):
    request = request_from("10.0.0.2", forwarded="198.51.100.4")
    assert client_ip(request) == "10.0.0.2"


def test_forwarded_for_last_entry_when_trusted(settings, request_from):
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    request = request_from("10.0.0.2", forwarded="192.0.2.66, 198.51.100.4")
    assert client_ip(request) == "198.51.100.4"


def test_invalid_forwarded_for_falls_back(settings, request_from):
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    request = request_from("10.0.0.2", forwarded="198.51.100.4, garbage")
    assert client_ip(request) == "10.0.0.2"


def test_record_writes_one_json_log_line(caplog, app, end_user, request_from):
    caplog.set_level(logging.INFO, logger="audit")
    row = record(
        EventType.FACE_VERIFIED,
        request=request_from(),
        app=app,
        end_user=end_user,
        distance=0.31,
    )
    lines = audit_lines(caplog)
    assert len(lines) == 1
    assert lines[0] == {
        "id": row.pk,
        "created_at": row.created_at.isoformat(),
        "event": "face_verified",
        "pool": app.pool_id,
        "application": app.pk,
        "end_user": end_user.pk,
        "identifier": "alice",
        "actor": None,
        "client_ip": "203.0.113.7",
        "details": {"distance": 0.31},
        "stored": True,
    }


def test_lockout_is_logged_as_warning(caplog, end_user):
    caplog.set_level(logging.INFO, logger="audit")
    record(EventType.FACE_LOCKED, end_user=end_user, failures=5)
    (entry,) = [entry for entry in caplog.records if entry.name == "audit"]
    assert entry.levelno == logging.WARNING


def test_success_is_logged_as_info(caplog, end_user):
    caplog.set_level(logging.INFO, logger="audit")
    record(EventType.SIGN_IN_SUCCEEDED, end_user=end_user)
    (entry,) = [entry for entry in caplog.records if entry.name == "audit"]
    assert entry.levelno == logging.INFO


def test_database_error_is_logged_and_raised(caplog, end_user):
    caplog.set_level(logging.INFO, logger="audit")
    failure = OperationalError("connection refused")
    with mock.patch.object(AuditEvent, "save", side_effect=failure):
        with pytest.raises(OperationalError):
            record(EventType.SIGN_IN_SUCCEEDED, end_user=end_user)
    (line,) = audit_lines(caplog)
    assert line["stored"] is False
    assert line["event"] == "sign_in_succeeded"


def test_row_rolls_back_with_callers_transaction(end_user):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record(EventType.SIGN_IN_SUCCEEDED, end_user=end_user)
            raise RuntimeError("the sign-in failed after the event")
    assert not AuditEvent.objects.exists()
