"""A screenshot of every console page at 1280 px and at 375 px width.

The files go to ``test-artifacts/console/NN-<page>-<width>.png``. At each
width the test also checks that the page does not scroll sideways, because
a page wider than the screen hides its right edge on a phone.
"""

import shutil
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from authn.models import Application, EndUser, UserPool
from mfa_face.models import FaceDevice
from tests.conftest import ADMIN_PASSWORD
from tests.faces import REPO_DIR

from .camera import write_y4m

pytestmark = pytest.mark.e2e

ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "console"
WIDTHS = [1280, 375]
HEIGHT = 900
ADMIN_EMAIL = "owner@example.com"


def seed():
    """Create a pool with apps and a page and a half of users; return the rows."""
    admin = get_user_model().objects.create_user(
        username=ADMIN_EMAIL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD
    )
    pool = UserPool.objects.create(owner=admin, name="Staff", face_mfa_enabled=True)
    UserPool.objects.create(owner=admin, name="Contractors")

    portal = Application.objects.create(
        pool=pool,
        user=admin,
        name="Staff Portal",
        redirect_uris="https://portal.example.com/callback http://localhost:3000/cb",
        post_logout_redirect_uris="https://portal.example.com/",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        custom_security_rules=True,
        face_mfa_enabled=True,
    )
    Application.objects.create(
        pool=pool,
        user=admin,
        name="Wiki",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
    )

    alice = EndUser(
        pool=pool, username="alice", email="alice@example.com", phone="+12025550100"
    )
    alice.set_password("correct horse battery staple")
    alice.last_login = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
    alice.save()
    device = FaceDevice(
        user=alice,
        name="Face",
        confirmed=True,
        enrolled_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC),
        last_verified_at=datetime(2026, 11, 30, 8, 5, tzinfo=UTC),
    )
    device.descriptors = np.zeros((1, 128))
    device.save()

    users = [
        EndUser(
            pool=pool,
            username=f"employee{number:02d}",
            email=f"employee{number:02d}@example.com",
            phone=f"+1202555{number:04d}",
            password="!",
            is_active=number % 7 != 3,
            last_login=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=number),
        )
        for number in range(1, 31)
    ]
    EndUser.objects.bulk_create(users)
    disabled = EndUser.objects.get(pool=pool, username="employee03")
    return {"pool": pool, "portal": portal, "alice": alice, "disabled": disabled}


@pytest.fixture
def shots():
    """Return ``shoot(page, name)``, which saves the page at every width.

    It returns the widths at which the page scrolled sideways.
    """
    shutil.rmtree(ARTIFACTS_DIR, ignore_errors=True)
    ARTIFACTS_DIR.mkdir(parents=True)
    count = 0

    def shoot(page, name):
        nonlocal count
        count += 1
        overflowing = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            path = ARTIFACTS_DIR / f"{count:02d}-{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                overflowing.append(f"{name} at {width} px is {scroll_width} px wide")
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        return overflowing

    return shoot


def gray_camera(tmp_path):
    photo = tmp_path / "gray.png"
    cv2.imwrite(str(photo), np.full((480, 640, 3), 128, dtype=np.uint8))
    return write_y4m(photo, tmp_path / "gray.y4m")


def test_screenshot_every_console_page(live_server, browsers, shots, tmp_path):
    rows = seed()
    pool, portal, alice = rows["pool"], rows["portal"], rows["alice"]
    base = f"{live_server.url}/console"
    pool_url = f"{base}/pools/{pool.pk}"
    portal_url = f"{pool_url}/apps/{portal.pk}/"
    alice_url = f"{pool_url}/users/{alice.pk}/"
    disabled_url = f"{pool_url}/users/{rows['disabled'].pk}/"

    context = browsers.open(gray_camera(tmp_path))
    page = context.new_page()
    too_wide = []
    # Script errors, including scripts or styles the Content-Security-Policy blocks.
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            script_errors.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )

    # Account pages, as a new administrator.
    page.goto(f"{base}/register/")
    too_wide += shots(page, "register")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Register").click()
    too_wide += shots(page, "register-errors")

    page.get_by_label("Email").fill("new@example.com")
    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Confirm password").fill("a long passphrase")
    page.get_by_role("button", name="Register").click()
    expect(
        page.get_by_role("heading", name="Create your first user pool")
    ).to_be_visible()
    too_wide += shots(page, "first-pool")

    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the console")).to_be_visible()
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    too_wide += shots(page, "sign-in-error")

    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Self-built Apps")).to_be_visible()

    # Self-built Apps of the pool with the seeded rows.
    page.get_by_label("User pool").select_option(label="Staff")
    expect(page).to_have_url(f"{pool_url}/apps/")
    too_wide += shots(page, "self-built-apps")

    page.get_by_role("link", name="Create self-built app").click()
    page.get_by_label("App name").fill("Handbook")
    page.get_by_label("Redirect URIs").fill("http://handbook.example.com/cb\n/relative")
    page.get_by_role("button", name="Create", exact=True).click()
    too_wide += shots(page, "app-create-errors")

    page.get_by_label("Redirect URIs").fill("https://handbook.example.com/cb")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#new-client-secret")).to_be_visible()
    too_wide += shots(page, "app-created-secret-once")

    page.goto(portal_url)
    too_wide += shots(page, "app-basic-information")
    page.get_by_label("Sign-out redirect URIs").fill("ftp://portal.example.com/")
    page.get_by_role("button", name="Save").click()
    too_wide += shots(page, "app-basic-information-errors")

    page.goto(f"{portal_url}?tab=advanced")
    too_wide += shots(page, "app-advanced-configuration")
    page.goto(f"{portal_url}?tab=security")
    too_wide += shots(page, "app-security-management")
    page.goto(f"{portal_url}secret/rotate/")
    too_wide += shots(page, "app-rotate-secret")
    page.goto(f"{portal_url}delete/")
    too_wide += shots(page, "app-delete")

    # Security Settings.
    page.goto(f"{pool_url}/security/mfa/")
    too_wide += shots(page, "multi-factor-authentication")
    page.get_by_label("Liveness detection").select_option("active")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Liveness detection set to Active.")
    too_wide += shots(page, "liveness-saved")

    # User Management.
    page.goto(f"{pool_url}/users/")
    too_wide += shots(page, "user-list")
    page.get_by_role("link", name="Next").click()
    too_wide += shots(page, "user-list-page-2")
    page.get_by_label("Search users by username, email or phone").fill("555-0100")
    page.get_by_role("button", name="Search").click()
    too_wide += shots(page, "user-list-search")

    page.goto(f"{pool_url}/users/new/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Phone").fill("12345")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Create User").click()
    too_wide += shots(page, "user-create-errors")

    page.goto(alice_url)
    too_wide += shots(page, "user-details-enrolled")
    page.goto(disabled_url)
    too_wide += shots(page, "user-details-disabled")
    page.goto(f"{alice_url}face/reset/")
    too_wide += shots(page, "user-reset-face")
    page.goto(f"{alice_url}delete/")
    too_wide += shots(page, "user-delete")

    # User pools and the account.
    page.goto(f"{base}/pools/")
    too_wide += shots(page, "user-pools")
    page.goto(f"{base}/pools/new/")
    too_wide += shots(page, "pool-create")
    page.goto(f"{pool_url}/rename/")
    too_wide += shots(page, "pool-rename")
    page.goto(f"{pool_url}/delete/")
    page.get_by_label("Type the user pool name to confirm").fill("Staf")
    page.get_by_role("button", name="Delete user pool").click()
    too_wide += shots(page, "pool-delete-confirmation")

    page.goto(f"{base}/account/password/")
    too_wide += shots(page, "change-password")

    assert too_wide == []
    assert script_errors == []
