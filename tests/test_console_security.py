"""Security Settings: pool-wide Face Recognition, Policy Configuration, liveness.

A switch changed in the console applies to the very next sign-in through the
hosted login, which these tests check with a second browser session.
"""

import pytest
from django.test import Client
from django.urls import reverse

from authn.models import LivenessLevel

from .conftest import ADMIN_PASSWORD, END_USER_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


def next_step_after_password(app, end_user):
    """Sign in with the password in a fresh browser; return where it leads."""
    response = Client().post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": end_user.username, "password": END_USER_PASSWORD},
    )
    return response["Location"]


def face_step(app):
    return reverse("mfa_face:step", args=[app.client_id])


def done(app):
    return reverse("authn:done", args=[app.client_id])


def switch(console, name, target, enabled):
    args = (
        [target.pool_id, target.pk] if name.startswith("console:app_") else [target.pk]
    )
    response = console.post(reverse(name, args=args), {"enabled": enabled})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("console:pool_face_mfa", "face_mfa_enabled"),
        ("console:pool_mfa_password", "mfa_on_password"),
        ("console:pool_mfa_scan_code", "mfa_on_scan_code"),
    ],
)
def test_pool_mfa_switches(console, pool, name, field):
    initial = getattr(pool, field)
    switch(console, name, pool, "off" if initial else "on")
    pool.refresh_from_db()
    assert getattr(pool, field) is (not initial)


def test_pool_switch_shows_confirmation(console, pool):
    response = console.post(
        reverse("console:pool_face_mfa", args=[pool.pk]), {"enabled": "on"}, follow=True
    )
    assert b"Face Recognition for the user pool turned on." in response.content


def test_pool_mfa_page_lists_sources(console, pool):
    response = console.get(reverse("console:pool_mfa", args=[pool.pk]))
    html = response.content.decode()
    assert 'id="pool-face-mfa"' in html
    assert 'id="mfa-source-password"' in html
    assert 'id="mfa-source-scan-code"' in html


def test_pool_mfa_page_names_apps_with_own_rules(console, pool, face_app):
    response = console.get(reverse("console:pool_mfa", args=[pool.pk]))
    assert list(response.context["custom_apps"]) == [face_app]
    assert b"this switch does not apply to them" in response.content


def test_liveness_select_shows_current_level(console, pool):
    response = console.get(reverse("console:pool_mfa", args=[pool.pk]))
    assert b'<option value="passive" selected>' in response.content


@pytest.mark.parametrize("level", LivenessLevel.values)
def test_liveness_saves_level(console, pool, level):
    response = console.post(
        reverse("console:pool_liveness", args=[pool.pk]), {"liveness": level}
    )
    assert response["Location"] == reverse("console:pool_mfa", args=[pool.pk])

    pool.refresh_from_db()
    assert pool.liveness == level

    page = console.get(response["Location"])
    assert f"Liveness detection set to {pool.get_liveness_display()}.".encode() in (
        page.content
    )


def test_liveness_rejects_unknown_level(console, pool):
    response = console.post(
        reverse("console:pool_liveness", args=[pool.pk]), {"liveness": "strict"}
    )
    assert response.status_code == 400
    assert "liveness" in response.context["liveness_form"].errors

    pool.refresh_from_db()
    assert pool.liveness == LivenessLevel.PASSIVE


def test_pool_face_switch_applies_to_next_sign_in(console, pool, app, end_user):
    switch(console, "console:pool_face_mfa", pool, "on")
    assert next_step_after_password(app, end_user) == face_step(app)

    switch(console, "console:pool_face_mfa", pool, "off")
    assert next_step_after_password(app, end_user) == done(app)


def test_password_source_switch_applies_to_next_sign_in(console, pool, app, end_user):
    switch(console, "console:pool_face_mfa", pool, "on")

    switch(console, "console:pool_mfa_password", pool, "off")
    assert next_step_after_password(app, end_user) == done(app)

    switch(console, "console:pool_mfa_password", pool, "on")
    assert next_step_after_password(app, end_user) == face_step(app)


def test_scan_code_source_switch_leaves_password_sign_in(console, pool, app, end_user):
    switch(console, "console:pool_face_mfa", pool, "on")
    switch(console, "console:pool_mfa_scan_code", pool, "off")
    assert next_step_after_password(app, end_user) == face_step(app)


def test_app_face_switch_applies_to_next_sign_in(console, face_app, end_user):
    assert next_step_after_password(face_app, end_user) == face_step(face_app)

    switch(console, "console:app_face_mfa", face_app, "off")
    assert next_step_after_password(face_app, end_user) == done(face_app)


def test_app_rules_override_pool_switches(console, pool, face_app, end_user):
    switch(console, "console:pool_face_mfa", pool, "off")
    assert next_step_after_password(face_app, end_user) == face_step(face_app)

    switch(console, "console:app_face_mfa", face_app, "off")
    switch(console, "console:pool_face_mfa", pool, "on")
    assert next_step_after_password(face_app, end_user) == done(face_app)


def test_custom_rules_off_returns_app_to_pool_rules(console, pool, face_app, end_user):
    switch(console, "console:app_custom_rules", face_app, "off")
    assert next_step_after_password(face_app, end_user) == done(face_app)

    switch(console, "console:pool_face_mfa", pool, "on")
    assert next_step_after_password(face_app, end_user) == face_step(face_app)
