"""Recovery codes in the hosted login: issued at enrollment, used in place of the face.

The face steps use the real dlib models on shared photos, with liveness off so
that one photo stands for a one-frame burst.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent, EventType
from authn import transaction as login
from mfa_face.models import FaceDevice
from mfa_recovery.models import RecoveryCode, RecoveryCodeDevice

from .conftest import create_app
from .faces import face_bytes
from .test_face_step import BIDEN, OBAMA, OBAMA_2, post_frames, set_liveness, sign_in

pytestmark = pytest.mark.django_db

CODE_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")


def recovery_url(app):
    return reverse("mfa_recovery:use", args=[app.client_id])


def use_code(client, app, code):
    return client.post(recovery_url(app), {"code": code})


def sign_out(client, app):
    client.post(reverse("authn:logout", args=[app.client_id]))


def events(event_type):
    return AuditEvent.objects.filter(event=event_type)


@pytest.fixture
def enrollment(client, face_app, end_user):
    """The JSON response of a first face enrollment."""
    set_liveness(face_app, "off")
    sign_in(client, face_app)
    response = post_frames(client, face_app, "enroll", face_bytes(OBAMA))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def codes(enrollment):
    return enrollment["recovery_codes"]


@pytest.fixture
def at_face_step(client, face_app, codes):
    """An enrolled user signed out and back at the face step, with their codes."""
    sign_out(client, face_app)
    sign_in(client, face_app)
    return face_app


# Issued at enrollment ---------------------------------------------------------


def test_enrollment_returns_ten_codes(codes):
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(CODE_FORMAT.match(code) for code in codes)


def test_enrollment_stores_only_hashes(codes, end_user):
    stored = list(RecoveryCode.objects.filter(device__user=end_user))
    assert len(stored) == 10
    plain = {code.replace("-", "") for code in codes}
    for row in stored:
        assert row.code_hash not in plain
        assert not any(code in row.code_hash for code in plain)


def test_enrollment_audits_issued_codes(codes):
    issued = events(EventType.RECOVERY_CODES_ISSUED).get()
    assert issued.details == {"count": 10}
    assert not any(code in str(issued.details) for code in codes)


def test_failed_enrollment_issues_no_codes(client, face_app, end_user):
    set_liveness(face_app, "off")
    sign_in(client, face_app)
    response = post_frames(
        client, face_app, "enroll", face_bytes("groups/two_people.jpg")
    )
    assert response.status_code == 422
    assert not RecoveryCodeDevice.objects.filter(user=end_user).exists()


def test_verification_issues_no_codes(client, at_face_step, codes):
    response = post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
    assert "recovery_codes" not in response.json()
    assert events(EventType.RECOVERY_CODES_ISSUED).count() == 1


# Used in place of the face step ------------------------------------------------


def test_face_page_links_to_recovery_code(client, at_face_step):
    response = client.get(reverse("mfa_face:step", args=[at_face_step.client_id]))
    assert recovery_url(at_face_step).encode() in response.content


def test_recovery_page_shows_form(client, at_face_step):
    response = client.get(recovery_url(at_face_step))
    assert response.status_code == 200
    assert b"Use a recovery code" in response.content
    assert response.context["has_codes"] is True


def test_recovery_page_needs_password_first(client, face_app, codes):
    sign_out(client, face_app)
    response = client.get(recovery_url(face_app))
    assert response.status_code == 302
    assert response["Location"] == reverse("authn:login", args=[face_app.client_id])


def test_code_completes_sign_in(client, at_face_step, codes):
    response = use_code(client, at_face_step, codes[0])
    assert response.status_code == 200
    assert b"You have 9 recovery codes left." in response.content

    done = client.get(reverse("authn:done", args=[at_face_step.client_id]))
    assert done.status_code == 200
    assert done.context["factors"] == ["Password", "Recovery code"]


def test_code_sign_in_reports_amr(client, at_face_step, codes):
    use_code(client, at_face_step, codes[0])
    me = client.get(reverse("authn:me", args=[at_face_step.client_id]))
    assert me.status_code == 200
    assert me.json()["amr"] == ["pwd", "otp", "mfa"]


def test_code_accepts_lower_case_without_dash(client, at_face_step, codes):
    response = use_code(client, at_face_step, codes[3].replace("-", " ").lower())
    assert response.status_code == 200


def test_code_use_is_audited_with_remaining(client, at_face_step, codes):
    use_code(client, at_face_step, codes[0])
    used = events(EventType.RECOVERY_CODE_USED).get()
    assert used.details == {"remaining": 9}
    assert used.end_user.username == "alice"
    assert used.application_id == at_face_step.pk
    signed_in = events(EventType.SIGN_IN_SUCCEEDED).latest("pk")
    assert signed_in.details == {"factors": ["pwd", "otp"]}


def test_code_works_once(client, at_face_step, codes):
    use_code(client, at_face_step, codes[0])
    sign_out(client, at_face_step)
    sign_in(client, at_face_step)

    response = use_code(client, at_face_step, codes[0])
    assert response.status_code == 400
    assert b"not valid or has already been used" in response.content
    assert login.signed_in_user(response.wsgi_request, at_face_step) is None


def test_wrong_code_is_rejected_and_audited(client, at_face_step):
    response = use_code(client, at_face_step, "AAAAA-AAAAA")
    assert response.status_code == 400
    assert login.signed_in_user(response.wsgi_request, at_face_step) is None
    rejected = events(EventType.RECOVERY_CODE_REJECTED).get()
    assert rejected.details == {"reason": "invalid_code"}


def test_empty_code_is_a_form_error(client, at_face_step):
    response = use_code(client, at_face_step, "")
    assert response.status_code == 400
    assert b"Enter one of your recovery codes." in response.content
    assert not events(EventType.RECOVERY_CODE_REJECTED).exists()


def test_overlong_code_is_a_form_error(client, at_face_step):
    response = use_code(client, at_face_step, "A" * 5000)
    assert response.status_code == 400
    assert b"A recovery code has 10 characters." in response.content


def test_wrong_codes_are_throttled(client, at_face_step, codes, settings):
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 600
    use_code(client, at_face_step, "AAAAA-AAAAA")

    response = use_code(client, at_face_step, codes[0])
    assert response.status_code == 429
    assert b"Too many wrong recovery codes" in response.content
    assert login.signed_in_user(response.wsgi_request, at_face_step) is None
    assert RecoveryCode.objects.count() == 10


def test_code_does_not_serve_another_app(client, at_face_step, codes, pool):
    other = create_app(pool, "App B", custom_security_rules=True, face_mfa_enabled=True)
    response = use_code(client, other, codes[0])
    assert response.status_code == 302
    assert RecoveryCode.objects.count() == 10


def test_code_post_without_csrf_token_is_403(at_face_step, codes):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, at_face_step)
    response = use_code(browser, at_face_step, codes[0])
    assert response.status_code == 403
    assert RecoveryCode.objects.count() == 10


# Lockout ----------------------------------------------------------------------


def test_locked_face_still_signs_in_with_code(
    client, at_face_step, codes, end_user, settings
):
    # Without django-otp's short delays between the first failures, five
    # attempts in a row reach the lockout.
    settings.MFA_FACE_THROTTLE_FACTOR = 0
    for _ in range(5):
        response = post_frames(client, at_face_step, "verify", face_bytes(BIDEN))
        assert response.status_code == 401

    locked = post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "face_locked"
    assert body["locked_until"]
    assert body["recovery_url"] == recovery_url(at_face_step)
    assert "recovery code" in body["message"]

    page = client.get(reverse("mfa_face:step", args=[at_face_step.client_id]))
    assert page.context["locked_until"] is not None
    assert b"Face Recognition is locked until" in page.content

    response = use_code(client, at_face_step, codes[0])
    assert response.status_code == 200
    assert login.signed_in_user(response.wsgi_request, at_face_step) == end_user
    assert events(EventType.FACE_LOCKED).count() == 1


# Changing the face factor needs the face ---------------------------------------


def test_code_sign_in_cannot_delete_face(client, at_face_step, codes, end_user):
    use_code(client, at_face_step, codes[0])
    done = client.get(reverse("authn:done", args=[at_face_step.client_id]))
    assert b"Delete my face data" not in done.content

    response = client.post(reverse("mfa_face:delete", args=[at_face_step.client_id]))
    assert response.status_code == 302
    assert FaceDevice.objects.filter(user=end_user).exists()


def test_code_sign_in_cannot_renew_codes(client, at_face_step, codes):
    use_code(client, at_face_step, codes[0])
    response = client.post(reverse("mfa_recovery:new", args=[at_face_step.client_id]))
    assert response.status_code == 302
    assert RecoveryCode.objects.count() == 9


def test_password_only_app_cannot_delete_face(client, face_app, codes, pool, end_user):
    """A pool app without face MFA signs in with the password alone, and that
    sign-in must not remove the face that another app of the pool requires."""
    plain = create_app(pool, "No MFA")
    sign_out(client, face_app)
    sign_in(client, plain)
    assert login.signed_in_user(client.get("/").wsgi_request, plain) == end_user

    response = client.post(reverse("mfa_face:delete", args=[plain.client_id]))
    assert response.status_code == 302
    assert FaceDevice.objects.filter(user=end_user).exists()

    response = client.post(reverse("mfa_recovery:new", args=[plain.client_id]))
    assert response.status_code == 302
    assert RecoveryCode.objects.count() == 10


def test_face_sign_in_renews_codes(client, at_face_step, codes, settings):
    # The old code below counts as a wrong code, without a delay after it.
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 0
    post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    done = client.get(reverse("authn:done", args=[at_face_step.client_id]))
    assert b"Get new recovery codes" in done.content

    response = client.post(reverse("mfa_recovery:new", args=[at_face_step.client_id]))
    assert response.status_code == 200
    new_codes = response.context["codes"]
    assert len(new_codes) == 10
    assert set(new_codes).isdisjoint(codes)
    assert events(EventType.RECOVERY_CODES_ISSUED).count() == 2

    sign_out(client, at_face_step)
    sign_in(client, at_face_step)
    assert use_code(client, at_face_step, codes[1]).status_code == 400
    assert use_code(client, at_face_step, new_codes[0]).status_code == 200


def test_face_data_deletion_revokes_codes(client, at_face_step, codes):
    post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    client.post(reverse("mfa_face:delete", args=[at_face_step.client_id]))
    assert not RecoveryCode.objects.exists()


# A recent face check ----------------------------------------------------------


def age_face_check(client, app, seconds):
    """Move the face check of the browser's sign-on ``seconds`` into the past."""
    session = client.session
    sign_ons = session[login.SIGN_ON_SESSION_KEY]
    sign_ons[str(app.pool_id)]["face_time"] -= seconds
    session[login.SIGN_ON_SESSION_KEY] = sign_ons
    session.save()


@pytest.fixture
def face_signed_in(client, at_face_step):
    response = post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    assert response.status_code == 200
    return at_face_step


def test_old_face_check_cannot_delete(client, face_signed_in, end_user, settings):
    age_face_check(client, face_signed_in, settings.AUTHN_FACE_RECHECK_TTL + 1)

    response = client.post(reverse("mfa_face:delete", args=[face_signed_in.client_id]))
    assert response.status_code == 302
    assert FaceDevice.objects.filter(user=end_user).exists()

    response = client.post(reverse("mfa_recovery:new", args=[face_signed_in.client_id]))
    assert response.status_code == 302
    assert RecoveryCode.objects.count() == 10


def test_old_face_check_offers_recheck(client, face_signed_in, settings):
    age_face_check(client, face_signed_in, settings.AUTHN_FACE_RECHECK_TTL + 1)

    done = client.get(reverse("authn:done", args=[face_signed_in.client_id]))
    assert done.context["face_checked"] is False
    assert b"Verify my face to manage face data" in done.content
    assert b"Delete my face data" not in done.content


def test_recheck_allows_deletion(client, face_signed_in, end_user, settings):
    age_face_check(client, face_signed_in, settings.AUTHN_FACE_RECHECK_TTL + 1)

    response = client.post(reverse("mfa_face:recheck", args=[face_signed_in.client_id]))
    assert response["Location"] == reverse(
        "mfa_face:step", args=[face_signed_in.client_id]
    )
    # The sign-in stays while the new face check is pending.
    me = client.get(reverse("authn:me", args=[face_signed_in.client_id]))
    assert me.status_code == 200

    verified = post_frames(client, face_signed_in, "verify", face_bytes(OBAMA_2))
    assert verified.status_code == 200
    response = client.post(reverse("mfa_face:delete", args=[face_signed_in.client_id]))
    assert response.status_code == 200
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_recheck_keeps_sign_on_session(client, face_signed_in):
    before = client.session[login.SIGN_ON_SESSION_KEY][str(face_signed_in.pool_id)]
    client.post(reverse("mfa_face:recheck", args=[face_signed_in.client_id]))
    post_frames(client, face_signed_in, "verify", face_bytes(OBAMA_2))

    after = client.session[login.SIGN_ON_SESSION_KEY][str(face_signed_in.pool_id)]
    assert after["session_id"] == before["session_id"]
    assert after["factors"] == ["pwd", "face"]
    assert after["face_time"] > before["face_time"]


def test_failed_recheck_keeps_old_check(client, face_signed_in, end_user, settings):
    age_face_check(client, face_signed_in, settings.AUTHN_FACE_RECHECK_TTL + 1)
    client.post(reverse("mfa_face:recheck", args=[face_signed_in.client_id]))

    rejected = post_frames(client, face_signed_in, "verify", face_bytes(BIDEN))
    assert rejected.status_code == 401
    response = client.post(reverse("mfa_face:delete", args=[face_signed_in.client_id]))
    assert response.status_code == 302
    assert FaceDevice.objects.filter(user=end_user).exists()


def test_code_sign_in_recheck_renews_codes(client, at_face_step, codes):
    use_code(client, at_face_step, codes[0])
    response = client.post(reverse("mfa_face:recheck", args=[at_face_step.client_id]))
    assert response.status_code == 302

    post_frames(client, at_face_step, "verify", face_bytes(OBAMA_2))
    renewed = client.post(reverse("mfa_recovery:new", args=[at_face_step.client_id]))
    assert renewed.status_code == 200
    assert len(renewed.context["codes"]) == 10


def test_recheck_needs_sign_in(client, face_app, codes):
    sign_out(client, face_app)
    response = client.post(reverse("mfa_face:recheck", args=[face_app.client_id]))
    assert response["Location"] == reverse("authn:login", args=[face_app.client_id])
    assert login.pending_face_step(response.wsgi_request, face_app) is None


def test_recheck_cannot_use_recovery_code(client, face_signed_in, codes):
    client.post(reverse("mfa_face:recheck", args=[face_signed_in.client_id]))

    page = client.get(reverse("mfa_face:step", args=[face_signed_in.client_id]))
    assert b"Use a recovery code" not in page.content
    response = use_code(client, face_signed_in, codes[0])
    assert response["Location"] == reverse(
        "mfa_face:step", args=[face_signed_in.client_id]
    )
    assert RecoveryCode.objects.count() == 10


def test_code_throttled_during_request_is_429(
    client, at_face_step, codes, settings, monkeypatch
):
    """A wrong code of a parallel request, counted after this request's first
    check, makes this one wait too. The page then reports the throttle instead
    of calling a right code wrong."""
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 600
    use_code(client, at_face_step, "AAAAA-AAAAA")
    monkeypatch.setattr("mfa_recovery.views.factor.locked_until", lambda user: None)

    response = use_code(client, at_face_step, codes[0])

    assert response.status_code == 429
    assert b"Too many wrong recovery codes" in response.content
    assert RecoveryCode.objects.count() == 10


def test_locked_recheck_offers_no_recovery_code(
    client, face_signed_in, end_user, settings
):
    client.post(reverse("mfa_face:recheck", args=[face_signed_in.client_id]))
    device = FaceDevice.objects.get(user=end_user)
    device.throttling_failure_count = 5
    device.throttling_failure_timestamp = timezone.now()
    device.save()

    response = post_frames(client, face_signed_in, "verify", face_bytes(OBAMA_2))

    assert response.status_code == 429
    assert "recovery_url" not in response.json()
    assert "recovery code" not in response.json()["message"]
