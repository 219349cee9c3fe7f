"""The hosted login on a 375 px wide phone screen, with screenshots.

Screenshots of every step go to test-artifacts/e2e/<test name>/. The pool's
liveness check is off because the fake camera shows a still photo, which
passive liveness detection rightly rejects. This test is about the layout.
"""

import pytest
from playwright.sync_api import expect

from authn.models import Application, EndUser, LivenessLevel, UserPool
from tests.conftest import END_USER_PASSWORD
from tests.faces import face_path

from .camera import write_y4m
from .hosted import finish_enrollment

pytestmark = pytest.mark.e2e

FACE_RESULT_TIMEOUT_MS = 30_000
PHONE_WIDTH = 375


def phone_page(browsers, camera):
    """Return a page of a 375 px wide touch context of a new browser."""
    browser = browsers.open(camera).browser
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def horizontal_overflow(page):
    """Return how many CSS pixels the page is wider than the screen."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_hosted_login_fits_phone_screen(live_server, browsers, snap, tmp_path, admin):
    pool = UserPool.objects.create(
        owner=admin, name="Staff", liveness=LivenessLevel.OFF
    )
    app = Application.objects.create(
        pool=pool,
        user=admin,
        name="Staff Portal",
        custom_security_rules=True,
        face_mfa_enabled=True,
    )
    user = EndUser(pool=pool, username="alice", email="alice@example.com")
    user.set_password(END_USER_PASSWORD)
    user.save()
    camera = write_y4m(face_path("people/obama/obama.jpg"), tmp_path / "camera.y4m")
    login_url = f"{live_server.url}/login/{app.client_id}/"

    page = phone_page(browsers, camera)
    page.goto(login_url)

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in by scanning")).to_be_visible()
    assert horizontal_overflow(page) == 0
    snap(page, "login-form")

    # A wrong password shows the inline error without breaking the layout.
    page.get_by_label("Username, email or phone").fill("alice@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "The account or password is incorrect"
    )
    assert horizontal_overflow(page) == 0
    snap(page, "wrong-password")

    page.get_by_label("Password").fill(END_USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    enroll = page.get_by_role("button", name="Enroll my face")
    expect(enroll).to_be_enabled()
    camera_box = page.locator("#face-step").bounding_box()
    assert camera_box["x"] >= 0
    assert camera_box["x"] + camera_box["width"] <= PHONE_WIDTH
    assert horizontal_overflow(page) == 0
    snap(page, "face-step")

    enroll.click()

    # The recovery codes fit the phone screen too.
    expect(page.get_by_test_id("recovery-codes")).to_be_visible(
        timeout=FACE_RESULT_TIMEOUT_MS
    )
    assert horizontal_overflow(page) == 0
    snap(page, "recovery-codes")
    finish_enrollment(page, FACE_RESULT_TIMEOUT_MS)

    expect(page.get_by_test_id("signed-in-user")).to_have_text(
        "alice", timeout=FACE_RESULT_TIMEOUT_MS
    )
    expect(page.get_by_test_id("factors")).to_have_text("Password, Face Recognition")
    assert horizontal_overflow(page) == 0
    snap(page, "signed-in")

    # The scan-code page fits the phone too.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in by scanning").click()

    image = page.locator("#scan-code-image")
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert box["x"] + box["width"] <= PHONE_WIDTH
    assert horizontal_overflow(page) == 0
    snap(page, "scan-code")
