"""The console's MFA switches in a real Chromium, and their effect on the hosted login.

An administrator changes a switch in the console, then an end user signs in
with the password in a fresh browser context. The hosted login then either
opens the face step (``/login/<client_id>/face/``) or signs in at once
(``/login/<client_id>/done/``). No camera frame is sent, so every browser
uses a plain gray fake camera.
"""

import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_PASSWORD, END_USER_PASSWORD

from .camera import write_y4m
from .conftest import DEFAULT_TIMEOUT_MS

pytestmark = pytest.mark.e2e


@pytest.fixture
def console_page(live_server, browsers, tmp_path, admin, pool, app, end_user):
    """Return a console page signed in as ``admin``; the fixtures' rows exist first."""
    photo = tmp_path / "gray.png"
    cv2.imwrite(str(photo), np.full((480, 640, 3), 128, dtype=np.uint8))
    context = browsers.open(write_y4m(photo, tmp_path / "gray.y4m"))

    page = context.new_page()
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Self-built Apps")).to_be_visible()
    return page


def hosted_sign_in(console_page, base_url, client_id, username):
    """Sign in with the password in a new browser context; return the URL reached."""
    context = console_page.context.browser.new_context()
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base_url}/login/{client_id}/")
    page.get_by_label("Username, email or phone").fill(username)
    page.get_by_label("Password").fill(END_USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/login/{re.escape(client_id)}/(face|done)/$"))
    url = page.url
    context.close()
    return url


def click_switch(page, switch_id):
    page.locator("label.switch", has=page.locator(f"#{switch_id}")).click()


def set_switch(page, switch_id, label, enabled):
    """Click a switch that saves without a reload and wait for its confirmation."""
    switch = page.locator(f"#{switch_id}")
    if switch.is_checked() == enabled:
        return
    click_switch(page, switch_id)
    state = "on" if enabled else "off"
    expect(page.get_by_role("status")).to_have_text(f"{label} turned {state}.")
    if enabled:
        expect(switch).to_be_checked()
    else:
        expect(switch).not_to_be_checked()


def open_app(page, base_url, pool, app, tab):
    page.goto(f"{base_url}/console/pools/{pool.pk}/apps/{app.pk}/?tab={tab}")


def test_security_management_tab_follows_custom_rules(
    live_server, console_page, snap, pool, app
):
    page = console_page
    open_app(page, live_server.url, pool, app, "advanced")
    security_tab = page.get_by_role("tab", name="Security Management")
    expect(security_tab).to_have_count(0)
    snap(page, "custom-rules-off")

    click_switch(page, "custom-security-rules")

    expect(page.get_by_role("status")).to_have_text(
        "Customize security rules for this app turned on."
    )
    expect(security_tab).to_be_visible()
    snap(page, "custom-rules-on")

    security_tab.click()
    expect(page).to_have_url(re.compile(r"\?tab=security$"))
    # The Multi-factor Authentication module is the last one on the page.
    last_module = page.locator("[role=tabpanel] > .panel").last
    expect(last_module).to_have_id("app-mfa")
    expect(last_module.get_by_role("heading")).to_have_text(
        "Multi-factor Authentication"
    )
    expect(last_module.get_by_role("switch", name="Face Recognition")).to_be_visible()
    snap(page, "security-management")

    page.get_by_role("tab", name="Advanced Configuration").click()
    click_switch(page, "custom-security-rules")

    expect(page.get_by_role("status")).to_have_text(
        "Customize security rules for this app turned off."
    )
    expect(security_tab).to_have_count(0)


def test_app_face_switch_changes_hosted_login(
    live_server, console_page, snap, pool, app, end_user
):
    base_url = live_server.url
    face_url = f"{base_url}/login/{app.client_id}/face/"
    done_url = f"{base_url}/login/{app.client_id}/done/"
    page = console_page

    open_app(page, base_url, pool, app, "advanced")
    click_switch(page, "custom-security-rules")
    page.get_by_role("tab", name="Security Management").click()

    set_switch(page, "app-face-mfa", "Face Recognition", True)
    snap(page, "app-face-on")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == face_url

    set_switch(page, "app-face-mfa", "Face Recognition", False)
    snap(page, "app-face-off")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == done_url

    # The switch state survives a reload: it was saved, not only drawn.
    page.reload()
    expect(page.locator("#app-face-mfa")).not_to_be_checked()


def test_pool_face_switch_changes_hosted_login(
    live_server, console_page, snap, pool, app, end_user
):
    base_url = live_server.url
    face_url = f"{base_url}/login/{app.client_id}/face/"
    done_url = f"{base_url}/login/{app.client_id}/done/"
    page = console_page

    page.get_by_role("link", name="Multi-factor Authentication").click()
    expect(
        page.get_by_role("heading", name="Multi-factor Authentication", exact=True)
    ).to_be_visible()

    set_switch(page, "pool-face-mfa", "Face Recognition for the user pool", True)
    snap(page, "pool-face-on")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == face_url

    set_switch(page, "pool-face-mfa", "Face Recognition for the user pool", False)
    snap(page, "pool-face-off")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == done_url


def test_password_source_switch_changes_hosted_login(
    live_server, console_page, snap, pool, app, end_user
):
    base_url = live_server.url
    face_url = f"{base_url}/login/{app.client_id}/face/"
    done_url = f"{base_url}/login/{app.client_id}/done/"
    page = console_page

    page.get_by_role("link", name="Multi-factor Authentication").click()
    set_switch(page, "pool-face-mfa", "Face Recognition for the user pool", True)
    expect(page.locator("#mfa-source-password")).to_be_checked()
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == face_url

    set_switch(page, "mfa-source-password", "MFA for password sign-in", False)
    snap(page, "password-source-off")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == done_url

    # Turning MFA off for scan-code sign-in leaves password sign-in alone.
    set_switch(page, "mfa-source-password", "MFA for password sign-in", True)
    set_switch(page, "mfa-source-scan-code", "MFA for scan-code sign-in", False)
    snap(page, "scan-code-source-off")
    assert hosted_sign_in(page, base_url, app.client_id, "alice") == face_url
