"""Scan-code sign-in with two Django test clients: the desktop browser that
shows the QR code and the phone that confirms it."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authn import transaction as login
from authn.models import IdentitySource
from oidc.models import Grant
from scan_code.models import ScanCode

from .conftest import END_USER_PASSWORD, create_app
from .oidc_setup import (
    authorization_path,
    follow_to_code,
    is_code_redirect,
    pass_face_step,
    password_sign_in,
    register_client,
    turn_liveness_off,
)

pytestmark = pytest.mark.django_db

DESKTOP_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


@pytest.fixture
def desktop():
    return Client(HTTP_USER_AGENT=DESKTOP_AGENT)


@pytest.fixture
def phone():
    return Client()


def show_code(desktop, app):
    """Open the scan-code page on the desktop; return (page, phone path)."""
    page = desktop.get(reverse("scan_code:start", args=[app.client_id]))
    assert page.status_code == 200
    return page, urlsplit(page.context["phone_url"]).path


def status(desktop, app, page):
    return desktop.get(page.context["status_url"])


def complete(desktop, page):
    return desktop.post(page.context["complete_url"])


def confirm_on_phone(phone, app, phone_path, decision="confirm"):
    """Sign the phone in with a password and send ``decision``."""
    phone.get(phone_path)
    follow_to_code(phone, password_sign_in(phone, app))
    return phone.post(phone_path, {"decision": decision})


def test_login_page_links_to_scan_code(client, app):
    page = client.get(reverse("authn:login", args=[app.client_id]))

    assert reverse("scan_code:start", args=[app.client_id]).encode() in page.content


def test_code_page_shows_qr_code_image(desktop, app):
    page, _ = show_code(desktop, app)

    assert page.context["qr_code"].startswith("data:image/svg+xml")
    assert b'id="scan-code-image"' in page.content


def test_code_expires_after_configured_time(desktop, app, settings):
    page, _ = show_code(desktop, app)
    code = page.context["code"]

    assert (code.expires_at - code.created_at) == timedelta(
        seconds=settings.SCAN_CODE_TTL
    )
    assert settings.SCAN_CODE_TTL == 120


def test_new_code_is_pending(desktop, app):
    page, _ = show_code(desktop, app)

    assert status(desktop, app, page).json()["status"] == "pending"


def test_phone_opening_code_marks_it_scanned(desktop, phone, app):
    page, phone_path = show_code(desktop, app)

    response = phone.get(phone_path)

    assert response.status_code == 200
    assert status(desktop, app, page).json()["status"] == "scanned"


def test_phone_page_names_app_and_browser(desktop, phone, app):
    _, phone_path = show_code(desktop, app)

    response = phone.get(phone_path)

    assert response.context["requester"] == "Chrome on Linux"
    assert app.name.encode() in response.content


def test_signed_out_phone_is_asked_to_sign_in(desktop, phone, app, end_user):
    _, phone_path = show_code(desktop, app)

    response = phone.get(phone_path)

    assert response.context["end_user"] is None
    assert b'id="phone-sign-in"' in response.content


def test_phone_sign_in_returns_to_confirmation(desktop, phone, app, end_user):
    _, phone_path = show_code(desktop, app)
    phone.get(phone_path)

    response = follow_to_code(phone, password_sign_in(phone, app))

    assert response.status_code == 200
    assert response.wsgi_request.path == phone_path
    assert response.context["end_user"] == end_user


def test_confirmed_code_signs_desktop_in(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)

    assert status(desktop, app, page).json()["status"] == "confirmed"
    response = complete(desktop, page)

    assert response.status_code == 200
    assert response.json()["redirect"] == reverse("authn:done", args=[app.client_id])
    sign_in = desktop.get(reverse("authn:me", args=[app.client_id])).json()
    assert sign_in["sub"] == str(end_user.sub)
    assert sign_in["amr"] == ["mca"]


def test_desktop_sign_in_has_scan_code_source(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    complete(desktop, page)

    sign_on = desktop.session[login.SIGN_ON_SESSION_KEY][str(app.pool_id)]
    assert sign_on["identity_source"] == IdentitySource.SCAN_CODE


def test_code_cannot_sign_in_twice(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    complete(desktop, page)

    again = complete(desktop, page)

    assert again.status_code == 409
    assert again.json()["code"] == "used"


def test_unconfirmed_code_cannot_complete(desktop, phone, app):
    page, phone_path = show_code(desktop, app)
    phone.get(phone_path)

    response = complete(desktop, page)

    assert response.status_code == 409
    assert response.json()["code"] == "not_confirmed"


def test_declined_code_cannot_sign_in(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)

    result = confirm_on_phone(phone, app, phone_path, decision="decline")

    assert b"Sign-in declined" in result.content
    assert status(desktop, app, page).json()["status"] == "declined"
    response = complete(desktop, page)
    assert response.status_code == 409
    assert response.json()["code"] == "declined"
    assert desktop.get(reverse("authn:me", args=[app.client_id])).status_code == 401


def test_expired_code_is_rejected_everywhere(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    ScanCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    on_phone = phone.get(phone_path)

    assert on_phone.status_code == 410
    assert b"has expired" in on_phone.content
    assert status(desktop, app, page).json()["status"] == "expired"
    assert complete(desktop, page).json()["code"] == "expired"


def test_code_confirmed_then_expired_cannot_sign_in(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    ScanCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = complete(desktop, page)

    assert response.status_code == 410
    assert response.json()["code"] == "expired"


def test_second_phone_cannot_use_scanned_code(desktop, phone, app):
    _, phone_path = show_code(desktop, app)
    phone.get(phone_path)

    response = Client().get(phone_path)

    assert response.status_code == 409
    assert b"already used" in response.content


def test_used_code_url_shows_used_message(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    complete(desktop, page)

    response = phone.get(phone_path)

    assert response.status_code == 409
    assert response.context["error"].code == "used"


def test_other_browser_cannot_poll_or_complete(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    stranger = Client()

    polled = stranger.get(page.context["status_url"])
    completed = stranger.post(page.context["complete_url"])

    assert polled.status_code == 403
    assert completed.status_code == 403
    assert completed.json()["code"] == "other_browser"
    assert ScanCode.objects.get().status == ScanCode.Status.CONFIRMED


def test_unknown_token_is_not_found(phone, app):
    response = phone.get(reverse("scan_code:phone", args=[app.client_id, "nope"]))

    assert response.status_code == 404


def test_scan_code_policy_asks_desktop_for_face_step(desktop, phone, app, end_user):
    app.pool.face_mfa_enabled = True
    app.pool.mfa_on_password = False
    app.pool.mfa_on_scan_code = True
    app.pool.save()
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)

    response = complete(desktop, page)

    assert response.json()["redirect"] == reverse("mfa_face:step", args=[app.client_id])
    assert desktop.get(reverse("authn:me", args=[app.client_id])).status_code == 401


def test_scan_code_without_policy_skips_face_step(desktop, phone, app, end_user):
    app.pool.face_mfa_enabled = True
    app.pool.mfa_on_password = False
    app.pool.mfa_on_scan_code = False
    app.pool.save()
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)

    response = complete(desktop, page)

    assert response.json()["redirect"] == reverse("authn:done", args=[app.client_id])


def test_phone_sign_in_needs_face_when_rule_applies(desktop, phone, app, end_user):
    app.pool.face_mfa_enabled = True
    app.pool.mfa_on_password = True
    app.pool.save()
    turn_liveness_off(app.pool)
    _, phone_path = show_code(desktop, app)
    phone.get(phone_path)

    after_password = password_sign_in(phone, app)

    assert after_password["Location"] == reverse("mfa_face:step", args=[app.client_id])
    assert phone.post(phone_path, {"decision": "confirm"}).status_code == 302
    result = pass_face_step(phone, app)
    back = follow_to_code(phone, phone.get(result.json()["redirect"]))
    assert back.wsgi_request.path == phone_path
    assert phone.post(phone_path, {"decision": "confirm"}).status_code == 200


def test_scan_code_sign_in_completes_authorization(desktop, phone, app, end_user):
    register_client(app)
    authorize = desktop.get(authorization_path(app))
    assert authorize["Location"] == reverse("authn:login", args=[app.client_id])
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)

    done = complete(desktop, page).json()["redirect"]
    response = follow_to_code(desktop, desktop.get(done))

    assert is_code_redirect(response)
    assert Grant.objects.get().amr == ["mca"]


@pytest.fixture
def password_rule_app(app):
    """A second app of the pool that follows the pool's rule: face for passwords only."""
    pool = app.pool
    pool.face_mfa_enabled = True
    pool.mfa_on_password = True
    pool.mfa_on_scan_code = False
    pool.save()
    return create_app(pool, "Pool rule")


@pytest.fixture
def no_face_app(app):
    """The fixture app, with its own rules turning Face Recognition off."""
    app.custom_security_rules = True
    app.face_mfa_enabled = False
    app.save()
    return app


def test_password_only_phone_does_not_skip_face(
    desktop, phone, no_face_app, password_rule_app, end_user
):
    """A phone signed in with the password alone, to an app without face MFA,
    cannot give the desktop a scan-code sign-in that skips the face step which
    a password sign-in to another app of the pool needs."""
    page, phone_path = show_code(desktop, no_face_app)
    confirm_on_phone(phone, no_face_app, phone_path)
    assert complete(desktop, page).json()["status"] == "signed_in"

    code = ScanCode.objects.get()
    assert code.phone_sources == [IdentitySource.PASSWORD]
    assert (
        desktop.get(reverse("authn:me", args=[no_face_app.client_id])).status_code
        == 200
    )
    me = desktop.get(reverse("authn:me", args=[password_rule_app.client_id]))
    assert me.status_code == 401
    login_page = desktop.get(reverse("authn:login", args=[password_rule_app.client_id]))
    assert login_page["Location"] == reverse(
        "mfa_face:step", args=[password_rule_app.client_id]
    )


def test_face_checked_phone_passes_scan_exemption(
    desktop, phone, no_face_app, password_rule_app, end_user
):
    """A phone whose sign-in included the face keeps the pool's scan-code
    exemption for the desktop."""
    turn_liveness_off(password_rule_app.pool)
    phone.post(
        reverse("authn:login", args=[password_rule_app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    assert pass_face_step(phone, password_rule_app).status_code == 200

    page, phone_path = show_code(desktop, no_face_app)
    phone.get(phone_path)
    assert phone.post(phone_path, {"decision": "confirm"}).status_code == 200
    assert complete(desktop, page).json()["status"] == "signed_in"

    assert ScanCode.objects.get().phone_sources == []
    me = desktop.get(reverse("authn:me", args=[password_rule_app.client_id]))
    assert me.status_code == 200
    assert me.json()["amr"] == ["mca"]


@pytest.fixture
def registered_app(app):
    return register_client(app)


def test_old_phone_sign_in_cannot_answer_prompt_login(
    desktop, phone, registered_app, end_user
):
    """A scan code shown for prompt=login needs a new password on the phone;
    the phone's earlier sign-in, or the desktop confirming its own code, is not
    enough."""
    app = registered_app
    follow_to_code(phone, password_sign_in(phone, app))
    follow_to_code(desktop, password_sign_in(desktop, app))
    desktop.get(authorization_path(app, prompt="login"))

    page, phone_path = show_code(desktop, app)
    assert ScanCode.objects.get().fresh_after is not None
    phone_page = phone.get(phone_path)
    assert phone_page.context["end_user"] is None
    confirmation = phone.post(phone_path, {"decision": "confirm"})
    assert confirmation.status_code == 403
    assert confirmation.context["error"].code == "sign_in_again"

    own = desktop.get(phone_path)
    assert own.status_code in (403, 409)
    assert complete(desktop, page).json()["code"] == "not_confirmed"


def test_fresh_phone_sign_in_answers_prompt_login(
    desktop, phone, registered_app, end_user
):
    app = registered_app
    follow_to_code(desktop, password_sign_in(desktop, app))
    desktop.get(authorization_path(app, prompt="login"))
    page, phone_path = show_code(desktop, app)

    phone.get(phone_path)
    follow_to_code(phone, password_sign_in(phone, app))
    assert phone.post(phone_path, {"decision": "confirm"}).status_code == 200
    assert complete(desktop, page).json()["status"] == "signed_in"

    response = follow_to_code(
        desktop, desktop.get(reverse("authn:done", args=[app.client_id]))
    )
    assert is_code_redirect(response)


def test_scan_sign_in_keeps_phone_first_factor_time(desktop, phone, app, end_user):
    page, phone_path = show_code(desktop, app)
    confirm_on_phone(phone, app, phone_path)
    phone_time = ScanCode.objects.get().phone_signed_in_at
    complete(desktop, page)

    sign_ons = desktop.session[login.SIGN_ON_SESSION_KEY]
    assert sign_ons[str(app.pool_id)]["first_factor_time"] == phone_time
