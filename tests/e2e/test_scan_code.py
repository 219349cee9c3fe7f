"""Scan-code sign-in with two Chromium browsers: a desktop that shows the QR
code and a 375 px wide phone that scans it, both with the face step.

The test reads the QR code from a screenshot with OpenCV's QR decoder, as a
phone camera would, and opens the decoded URL in the phone browser. Each
browser's fake camera shows a photo of the same person.

The pool's liveness check is off because the fake cameras show still photos,
which passive liveness detection rightly rejects. This test is about the
scan-code protocol and the MFA rule, not about presentation attacks.
"""

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from authn.models import Application, EndUser, LivenessLevel, UserPool
from scan_code.models import ScanCode
from tests.conftest import END_USER_PASSWORD
from tests.faces import face_path
from tests.oidc_setup import CLIENT_SECRET
from tests.relying_party import RelyingPartyServer

from .camera import write_y4m
from .hosted import finish_enrollment

pytestmark = pytest.mark.e2e

FACE_RESULT_TIMEOUT_MS = 30_000
PHONE_VIEWPORT = {"width": 375, "height": 812}


@pytest.fixture
def relying_party():
    server = RelyingPartyServer("Staff Portal")
    yield server
    server.stop()


def phone_context(browsers, camera):
    """Return a 375 px wide touch context of a new browser whose camera is ``camera``."""
    browser = browsers.open(camera).browser
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    return context


def decode_qr_code(page):
    """Return the text of the QR code image on ``page``, read from a screenshot."""
    png = page.locator("#scan-code-image").screenshot()
    gray = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    # The browser scales the SVG to 240 px, so module edges come out gray, and
    # the image's own margin is 2 modules wide. OpenCV's detector missed such
    # a code in a CI run. Thresholded to black and white, with the white of
    # the card around it added as a margin, the detector read 300 of 300 codes
    # of sign-in URLs scaled to 240 px by OpenCV.
    _, black_and_white = cv2.threshold(
        gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU
    )
    margin = gray.shape[0] // 10
    framed = cv2.copyMakeBorder(
        black_and_white, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255
    )
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(framed)
    assert text, "OpenCV found no QR code in the screenshot"
    return text


def test_scan_code_sign_in_with_face_steps(
    live_server, browsers, snap, tmp_path, admin, relying_party
):
    # Pool-wide Face Recognition for both identity sources.
    pool = UserPool.objects.create(
        owner=admin,
        name="Staff",
        face_mfa_enabled=True,
        mfa_on_password=True,
        mfa_on_scan_code=True,
        liveness=LivenessLevel.OFF,
    )
    app = Application(
        pool=pool,
        user=admin,
        name=relying_party.name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=relying_party.redirect_uri,
        client_secret=CLIENT_SECRET,
    )
    app.save()
    alice = EndUser(pool=pool, username="alice")
    alice.set_password(END_USER_PASSWORD)
    alice.save()
    relying_party.start(
        f"{live_server.url}/oidc/{pool.pk}", app.client_id, CLIENT_SECRET
    )

    desktop_camera = write_y4m(face_path("people/obama/obama2.jpg"), tmp_path / "d.y4m")
    phone_camera = write_y4m(face_path("people/obama/obama.jpg"), tmp_path / "p.y4m")
    desktop = browsers.open(desktop_camera).new_page()
    phone = phone_context(browsers, phone_camera).new_page()

    # The desktop starts the app's sign-in and chooses the QR code.
    desktop.goto(relying_party.base_url + "/")
    desktop.get_by_role("link", name="Sign in by scanning").click()

    expect(desktop.get_by_role("heading", name="Sign in by scanning")).to_be_visible()
    expect(desktop.locator("#scan-status")).to_have_text(
        "Scan the code with your phone's camera."
    )
    expect(desktop.get_by_role("link", name="Get a new code")).to_be_hidden()
    snap(desktop, "desktop-qr-code")
    phone_url = decode_qr_code(desktop)
    assert phone_url.startswith(f"{live_server.url}/login/{app.client_id}/scan/c/")

    # The phone opens the code, shows which browser requests it, and signs in.
    phone.goto(phone_url)

    expect(phone.get_by_test_id("requester-browser")).to_have_text("Chrome on Linux")
    expect(desktop.locator("#scan-status")).to_have_text(
        "Code scanned. Confirm the sign-in on your phone."
    )
    snap(phone, "phone-scanned")
    phone.get_by_role("link", name="Sign in to confirm").click()
    phone.get_by_label("Username, email or phone").fill("alice")
    phone.get_by_label("Password").fill(END_USER_PASSWORD)
    snap(phone, "phone-password")
    phone.get_by_role("button", name="Sign in").click()

    # Password sign-in on the phone needs the face step: the first one enrolls.
    enroll = phone.get_by_role("button", name="Enroll my face")
    expect(enroll).to_be_enabled()
    snap(phone, "phone-face-step")
    enroll.click()
    finish_enrollment(phone, FACE_RESULT_TIMEOUT_MS)

    confirm = phone.get_by_role("button", name="Confirm sign-in")
    expect(confirm).to_be_visible(timeout=FACE_RESULT_TIMEOUT_MS)
    expect(phone.get_by_test_id("phone-user")).to_have_text("alice")
    snap(phone, "phone-confirm")
    confirm.click()

    expect(phone.get_by_test_id("phone-result")).to_contain_text("You confirmed")
    snap(phone, "phone-confirmed")

    # The desktop's scan-code sign-in needs the face step too, by the pool's
    # scan-code policy; the enrolled face verifies.
    verify = desktop.get_by_role("button", name="Verify my face")
    expect(verify).to_be_enabled(timeout=FACE_RESULT_TIMEOUT_MS)
    snap(desktop, "desktop-face-step")
    verify.click()

    expect(
        desktop.get_by_role("heading", name="Signed in to Staff Portal")
    ).to_be_visible(timeout=FACE_RESULT_TIMEOUT_MS)
    expect(desktop.get_by_test_id("amr")).to_have_text("mca face mfa")
    expect(desktop.get_by_test_id("sub")).to_have_text(str(alice.sub))
    snap(desktop, "desktop-signed-in")

    browsers.stop()
    assert ScanCode.objects.get().status == ScanCode.Status.USED


def test_declined_scan_code_offers_new_code(
    live_server, browsers, snap, tmp_path, admin
):
    pool = UserPool.objects.create(owner=admin, name="Staff")
    app = Application.objects.create(pool=pool, user=admin, name="Staff Portal")
    alice = EndUser(pool=pool, username="alice")
    alice.set_password(END_USER_PASSWORD)
    alice.save()
    camera = write_y4m(face_path("people/obama/obama.jpg"), tmp_path / "c.y4m")
    desktop = browsers.open(camera).new_page()
    phone = phone_context(browsers, camera).new_page()

    desktop.goto(f"{live_server.url}/login/{app.client_id}/scan/")
    phone.goto(decode_qr_code(desktop))
    phone.get_by_role("link", name="Sign in to confirm").click()
    phone.get_by_label("Username, email or phone").fill("alice")
    phone.get_by_label("Password").fill(END_USER_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.get_by_role("button", name="Decline").click()

    expect(phone.get_by_role("heading", name="Sign-in declined")).to_be_visible()
    expect(desktop.locator("#scan-status")).to_contain_text("declined")
    new_code = desktop.get_by_role("link", name="Get a new code")
    expect(new_code).to_be_visible()
    snap(desktop, "desktop-declined")
    new_code.click()

    expect(desktop.locator("#scan-status")).to_have_text(
        "Scan the code with your phone's camera."
    )

    browsers.stop()
    assert ScanCode.objects.filter(status=ScanCode.Status.DECLINED).count() == 1
    assert ScanCode.objects.filter(status=ScanCode.Status.PENDING).count() == 1
