"""A browser without a camera finishes the face step with a recovery code."""

import numpy as np
import pytest
from playwright.sync_api import expect

from authn.models import EndUser, UserPool
from mfa_face.models import FaceDevice
from mfa_recovery.factor import issue_codes, remaining
from tests.conftest import END_USER_PASSWORD, create_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def enrolled(admin):
    """Return (app, codes) for a face app whose user alice has enrolled."""
    pool = UserPool.objects.create(owner=admin, name="Staff")
    app = create_app(
        pool, "Staff Portal", custom_security_rules=True, face_mfa_enabled=True
    )
    user = EndUser(pool=pool, username="alice")
    user.set_password(END_USER_PASSWORD)
    user.save()

    # The template is never compared here: the browser has no camera.
    device = FaceDevice(user=user, name="Face", confirmed=True)
    device.descriptors = np.zeros((1, 128))
    device.save()
    return app, issue_codes(user)


def test_no_camera_signs_in_with_code(live_server, browsers, snap, enrolled, settings):
    # No delay after the wrong code below; other tests cover the delay.
    settings.MFA_RECOVERY_THROTTLE_FACTOR = 0
    app, codes = enrolled
    login_url = f"{live_server.url}/login/{app.client_id}/"

    page = browsers.open(None).new_page()
    page.goto(login_url)
    page.get_by_label("Username, email or phone").fill("alice")
    page.get_by_label("Password").fill(END_USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Without a camera the page shows an error and makes the recovery code the main action.
    expect(page).to_have_url(f"{login_url}face/")
    expect(page.locator("#face-status")).to_contain_text("No camera was found")
    expect(page.get_by_role("button", name="Verify my face")).to_be_disabled()
    link = page.get_by_role("link", name="No camera? Use a recovery code")
    expect(link).to_have_class("button button-wide button-primary")
    snap(page, "no-camera")

    link.click()
    page.get_by_label("Recovery code").fill("AAAAA-AAAAA")
    page.get_by_role("button", name="Sign in with this code").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "not valid or has already been used"
    )
    snap(page, "wrong-code")

    page.get_by_label("Recovery code").fill(codes[0].lower())
    page.get_by_role("button", name="Sign in with this code").click()

    expect(page.get_by_test_id("recovery-codes-left")).to_have_text(
        "You have 9 recovery codes left."
    )
    snap(page, "code-used")
    page.get_by_role("link", name="Continue").click()

    expect(page).to_have_url(f"{login_url}done/")
    expect(page.get_by_test_id("factors")).to_have_text("Password, Recovery code")
    snap(page, "signed-in")

    browsers.stop()
    assert remaining(EndUser.objects.get(username="alice")) == 9
