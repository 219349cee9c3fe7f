"""The face sign-in story in a real Chromium, from the console to the hosted login.

The story test takes every step through the pages, as an administrator and an
end user would. The other tests start from database fixtures. Each browser's
camera is Chromium's fake capture device playing a Y4M file, so the server runs
its real face detection, liveness check and matching on the frames the page
captures. The genuine user's camera plays frames of the shared video clip, in
which one person (Lin-Manuel Miranda) moves and talks. The other cameras play
one still image.
"""

import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from authn.models import Application, EndUser, LivenessLevel
from mfa_face.models import FaceDevice
from mfa_recovery.factor import remaining
from tests.conftest import END_USER_PASSWORD
from tests.faces import face_path

from .camera import write_y4m, write_y4m_from_video
from .hosted import finish_enrollment

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "console password 42"
POOL_NAME = "Staff"
APP_NAME = "Staff Portal"
END_USER_NAME = "alice"

# From the password to the face result, the server log of a run on a 2-core
# machine shows about 4 s for a verification and 10 s for the first enrollment,
# which also loads the dlib models. The wait is longer so that a slow or busy CI
# machine passes too.
FACE_RESULT_TIMEOUT_MS = 60_000

CLIP = "video/short_hamilton_clip.mp4"
# Frames of the clip in which only the one person is in view and his face is
# found in every frame. Frames 116 to 119 show no face, and another person
# appears from about frame 212. At 30 frames a second the camera loops every
# 3 seconds, and a 2-second burst sees the head turn and move.
CLIP_FIRST_FRAME = 120
CLIP_LAST_FRAME = 210
# A still photo of the person in the clip.
CLIP_PERSON_PHOTO = "people/lin_manuel_miranda/lin-manuel-miranda.png"


def camera_from_photo(tmp_path, relative):
    """Return a Y4M fake camera that shows one photo from the shared face set."""
    name = relative.replace("/", "_").rsplit(".", 1)[0]
    return write_y4m(face_path(relative), tmp_path / f"{name}.y4m")


def camera_from_clip(tmp_path):
    """Return a Y4M fake camera that plays the clip's frames of the one moving person."""
    return write_y4m_from_video(
        face_path(CLIP), tmp_path / "clip.y4m", CLIP_FIRST_FRAME, CLIP_LAST_FRAME
    )


def camera_without_face(tmp_path):
    """Return a Y4M fake camera that shows a smooth color gradient and no face."""
    width, height = 640, 480
    ramp = np.linspace(0, 255, width, dtype=np.float64)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :, 0] = ramp.astype(np.uint8)
    image[:, :, 1] = ramp[::-1].astype(np.uint8)
    image[:, :, 2] = 128

    photo = tmp_path / "gradient.png"
    cv2.imwrite(str(photo), image)
    return write_y4m(photo, tmp_path / "gradient.y4m")


def sign_in_with_password(page, identifier, password):
    page.get_by_label("Username, email or phone").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def turn_on_switch(page, switch_id):
    """Click the styled slider of a console switch, because its checkbox is hidden."""
    page.locator("label.switch", has=page.locator(f"#{switch_id}")).click()


def test_face_login_story(live_server, browsers, snap, tmp_path):
    """Enroll and verify a live person, then reject someone else's face.

    The end user's camera is the clip, so the pool's default passive liveness
    accepts it. The impostor's camera can only be a still photo, which passive
    liveness rejects before any face is compared. The administrator therefore
    turns liveness off for the pool first, and the rejection then comes from
    the face comparison itself, with the right password typed.
    """
    base_url = live_server.url
    admin_context = browsers.open(camera_from_clip(tmp_path))
    console = admin_context.new_page()

    # An administrator registers and lands on the first-pool page.
    console.goto(f"{base_url}/console/register/")
    console.get_by_label("Email").fill(ADMIN_EMAIL)
    console.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    console.get_by_label("Confirm password").fill(ADMIN_PASSWORD)
    snap(console, "register")
    console.get_by_role("button", name="Register").click()

    expect(console).to_have_url(f"{base_url}/console/pools/new/")
    expect(
        console.get_by_role("heading", name="Create your first user pool")
    ).to_be_visible()
    snap(console, "first-pool")

    # The pool is created and its Self-built Apps page opens.
    console.get_by_label("User pool name").fill(POOL_NAME)
    console.get_by_role("button", name="Create user pool").click()

    expect(console).to_have_url(re.compile(r"/console/pools/\d+/apps/$"))
    expect(console.get_by_role("heading", name="Self-built Apps")).to_be_visible()
    snap(console, "self-built-apps")

    # A self-built app is created and its details page opens.
    console.get_by_role("link", name="Create self-built app").click()
    console.get_by_label("App name").fill(APP_NAME)
    console.get_by_role("button", name="Create", exact=True).click()

    expect(console).to_have_url(re.compile(r"/console/pools/\d+/apps/\d+/$"))
    expect(console.get_by_role("heading", name=APP_NAME)).to_be_visible()
    app_url = console.url
    client_id = console.get_by_test_id("client-id").inner_text().strip()
    # The client id becomes a URL path segment below.
    assert re.fullmatch(r"[\w-]+", client_id), client_id
    hosted_login_url = f"{base_url}/login/{client_id}/"
    face_step_url = f"{hosted_login_url}face/"
    done_url = f"{hosted_login_url}done/"
    snap(console, "app-created")

    # An end user with a username and a password is created in the pool.
    console.get_by_role("link", name="User List").click()
    console.get_by_role("link", name="Create User").click()
    console.get_by_label("Username").fill(END_USER_NAME)
    console.get_by_label("Password").fill(END_USER_PASSWORD)
    console.get_by_role("button", name="Create User").click()

    expect(console).to_have_url(re.compile(r"/console/pools/\d+/users/$"))
    user_row = console.get_by_role("row").filter(has_text=END_USER_NAME)
    expect(user_row).to_contain_text("Not enrolled")
    snap(console, "user-created")

    # A new pool checks liveness passively.
    console.get_by_role("link", name="Multi-factor Authentication").click()
    expect(console.get_by_label("Liveness detection")).to_have_value(
        LivenessLevel.PASSIVE
    )
    snap(console, "liveness-passive")

    # The app customizes its security rules, which reveals Security Management.
    console.get_by_role("link", name="Self-built Apps").click()
    console.get_by_role("link", name=APP_NAME).click()
    console.get_by_role("tab", name="Advanced Configuration").click()
    expect(console).to_have_url(f"{app_url}?tab=advanced")
    expect(console.get_by_role("tab", name="Security Management")).to_have_count(0)

    turn_on_switch(console, "custom-security-rules")

    expect(
        console.get_by_text("Customize security rules for this app turned on.")
    ).to_be_visible()
    expect(console.get_by_role("tab", name="Security Management")).to_be_visible()
    expect(console.locator("#custom-security-rules")).to_be_checked()
    snap(console, "custom-security-rules-on")

    # Face Recognition is turned on for the app, and the switch saves without a reload.
    console.get_by_role("tab", name="Security Management").click()
    expect(console).to_have_url(f"{app_url}?tab=security")
    expect(console.locator("#app-face-mfa")).not_to_be_checked()

    turn_on_switch(console, "app-face-mfa")

    expect(console.get_by_text("Face Recognition turned on.")).to_be_visible()
    expect(console.locator("#app-face-mfa")).to_be_checked()
    snap(console, "face-recognition-on")

    # Experience Login opens the hosted login in a new page of the same browser.
    with admin_context.expect_page() as new_page:
        console.locator("#experience-login").click()
    login = new_page.value
    login.wait_for_load_state()

    expect(login).to_have_url(re.compile(rf"^{re.escape(hosted_login_url)}(\?.*)?$"))
    snap(login, "hosted-login")

    # The password passes, and the first sign-in opens the enrollment camera page.
    sign_in_with_password(login, END_USER_NAME, END_USER_PASSWORD)

    expect(login).to_have_url(face_step_url)
    enroll_button = login.get_by_role("button", name="Enroll my face")
    expect(enroll_button).to_be_enabled()
    snap(login, "enroll-camera-ready")

    enroll_button.click()

    expect(login.locator("#face-status")).to_have_text(
        "Your face is enrolled and you are signed in.", timeout=FACE_RESULT_TIMEOUT_MS
    )
    # The recovery codes are shown once, and the page waits until the user
    # has saved them.
    expect(login.get_by_test_id("recovery-codes")).to_be_visible()
    snap(login, "recovery-codes")
    recovery_codes = finish_enrollment(login, FACE_RESULT_TIMEOUT_MS)
    # Experience Login runs the real authorization code flow, so it ends on
    # the console's result page with the ID token claims.
    expect(login).to_have_url(
        re.compile(rf"^{re.escape(base_url)}/console/experience/callback/\?"),
        timeout=FACE_RESULT_TIMEOUT_MS,
    )
    expect(login.locator('[data-claim="amr"] td')).to_have_text("pwd face mfa")
    snap(login, "experience-login-claims")

    login.goto(done_url)
    expect(login.get_by_test_id("signed-in-user")).to_have_text(END_USER_NAME)
    expect(login.get_by_test_id("factors")).to_have_text("Password, Face Recognition")
    snap(login, "enrolled-signed-in")

    # The end-user sign-in in the same browser leaves the administrator signed in.
    console.reload()

    expect(console).to_have_url(f"{app_url}?tab=security")
    expect(console.get_by_role("heading", name=APP_NAME)).to_be_visible()
    expect(console.get_by_text(ADMIN_EMAIL)).to_be_visible()

    console.get_by_role("link", name="User List").click()
    expect(user_row).to_contain_text("Enrolled")
    expect(user_row).not_to_contain_text("Not enrolled")
    snap(console, "admin-still-signed-in")

    # After signing out, the same face signs in again through verification.
    login.get_by_role("button", name="Sign out").click()

    expect(login).to_have_url(hosted_login_url)
    expect(login.get_by_role("button", name="Sign in")).to_be_visible()
    snap(login, "signed-out")

    sign_in_with_password(login, END_USER_NAME, END_USER_PASSWORD)

    expect(login).to_have_url(face_step_url)
    verify_button = login.get_by_role("button", name="Verify my face")
    expect(verify_button).to_be_enabled()
    snap(login, "verify-camera-ready")

    verify_button.click()

    expect(login).to_have_url(done_url, timeout=FACE_RESULT_TIMEOUT_MS)
    expect(login.get_by_test_id("factors")).to_have_text("Password, Face Recognition")
    snap(login, "verified-signed-in")

    # Without the camera, a recovery code replaces the face once.
    login.get_by_role("button", name="Sign out").click()
    sign_in_with_password(login, END_USER_NAME, END_USER_PASSWORD)

    expect(login).to_have_url(face_step_url)
    login.get_by_role("link", name="No camera? Use a recovery code").click()
    login.get_by_label("Recovery code").fill(recovery_codes[0])
    snap(login, "recovery-code-form")
    login.get_by_role("button", name="Sign in with this code").click()

    expect(login.get_by_test_id("recovery-codes-left")).to_have_text(
        "You have 9 recovery codes left."
    )
    snap(login, "recovery-code-used")
    login.get_by_role("link", name="Continue").click()

    expect(login).to_have_url(done_url)
    expect(login.get_by_test_id("factors")).to_have_text("Password, Recovery code")
    expect(login.get_by_test_id("recovery-codes-left")).to_have_text("9")
    expect(login.get_by_role("button", name="Delete my face data")).to_have_count(0)

    # Liveness detection is turned off for the pool, so the still photo of
    # someone else reaches the face comparison.
    console.get_by_role("link", name="Multi-factor Authentication").click()
    console.get_by_label("Liveness detection").select_option(LivenessLevel.OFF)
    console.get_by_role("button", name="Save").click()

    expect(console.get_by_text("Liveness detection set to Off.")).to_be_visible()
    expect(console.get_by_label("Liveness detection")).to_have_value(LivenessLevel.OFF)
    snap(console, "liveness-off")

    # Someone else in front of the camera, with the right password, is rejected.
    impostor = browsers.open(
        camera_from_photo(tmp_path, "people/obama/obama.jpg")
    ).new_page()
    impostor.goto(hosted_login_url)
    sign_in_with_password(impostor, END_USER_NAME, END_USER_PASSWORD)

    verify_button = impostor.get_by_role("button", name="Verify my face")
    expect(verify_button).to_be_enabled()
    snap(impostor, "impostor-camera-ready")

    verify_button.click()

    expect(impostor.locator("#face-step")).to_have_attribute(
        "data-last-error", "face_mismatch", timeout=FACE_RESULT_TIMEOUT_MS
    )
    status = impostor.locator("#face-status")
    expect(status).to_be_visible()
    expect(status).to_have_class(re.compile(r"\bstatus-error\b"))
    expect(status).to_contain_text("does not match")
    expect(impostor).to_have_url(face_step_url)
    snap(impostor, "impostor-rejected")

    # Django rejects ORM calls while Playwright's loop is running on this thread.
    browsers.stop()

    app = Application.objects.get(client_id=client_id)
    assert app.custom_security_rules
    assert app.face_mfa_enabled

    user = EndUser.objects.get(pool=app.pool, username=END_USER_NAME)
    devices = FaceDevice.objects.filter(user=user)
    assert devices.count() == 1
    assert devices.get().throttling_failure_count == 1
    assert remaining(user) == 9


def test_face_step_rejects_camera_without_face(
    live_server, browsers, snap, tmp_path, face_app, end_user
):
    # With passive liveness, a burst without a face fails the liveness check
    # first, so the face detection rejection is only reachable with it off.
    face_app.pool.liveness = LivenessLevel.OFF
    face_app.pool.save()

    hosted_login_url = f"{live_server.url}/login/{face_app.client_id}/"
    face_step_url = f"{hosted_login_url}face/"

    page = browsers.open(camera_without_face(tmp_path)).new_page()
    page.goto(hosted_login_url)
    sign_in_with_password(page, end_user.username, END_USER_PASSWORD)

    expect(page).to_have_url(face_step_url)
    enroll_button = page.get_by_role("button", name="Enroll my face")
    expect(enroll_button).to_be_enabled()
    snap(page, "camera-ready")

    enroll_button.click()

    expect(page.locator("#face-step")).to_have_attribute(
        "data-last-error", "no_face", timeout=FACE_RESULT_TIMEOUT_MS
    )
    status = page.locator("#face-status")
    expect(status).to_be_visible()
    expect(status).to_have_class(re.compile(r"\bstatus-error\b"))
    expect(status).to_contain_text("No face found")
    expect(page).to_have_url(face_step_url)
    expect(enroll_button).to_be_enabled()
    snap(page, "no-face-rejected")

    # Django rejects ORM calls while Playwright's loop is running on this thread.
    browsers.stop()

    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_still_photo_camera_is_rejected_when_passive(
    live_server, browsers, snap, tmp_path, face_app, end_user
):
    """A still photo of the person as the camera fails passive liveness.

    The pool keeps its default liveness level, passive. The camera loops one
    still photo of the clip's person, so every frame of the burst is the same
    picture and the server rejects it as a still image before any enrollment.
    """
    assert face_app.pool.liveness == LivenessLevel.PASSIVE
    hosted_login_url = f"{live_server.url}/login/{face_app.client_id}/"
    face_step_url = f"{hosted_login_url}face/"

    page = browsers.open(camera_from_photo(tmp_path, CLIP_PERSON_PHOTO)).new_page()
    page.goto(hosted_login_url)
    sign_in_with_password(page, end_user.username, END_USER_PASSWORD)

    expect(page).to_have_url(face_step_url)
    enroll_button = page.get_by_role("button", name="Enroll my face")
    expect(enroll_button).to_be_enabled()
    snap(page, "photo-camera-ready")

    enroll_button.click()

    expect(page.locator("#face-step")).to_have_attribute(
        "data-last-error", "still_image", timeout=FACE_RESULT_TIMEOUT_MS
    )
    status = page.locator("#face-status")
    expect(status).to_have_class(re.compile(r"\bstatus-error\b"))
    expect(status).to_contain_text("still picture")
    expect(page).to_have_url(face_step_url)
    expect(enroll_button).to_be_enabled()
    snap(page, "photo-rejected")

    # Django rejects ORM calls while Playwright's loop is running on this thread.
    browsers.stop()

    assert not FaceDevice.objects.filter(user=end_user).exists()
