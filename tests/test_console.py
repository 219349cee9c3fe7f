"""Console pages: account, pools, self-built apps, MFA switches, users, tenancy."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from authn.models import EndUser, UserPool

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


def test_register_signs_in_and_asks_for_first_pool(client):
    response = client.post(
        reverse("console:register"),
        {
            "email": "New@Example.com",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:pool_create")
    assert get_user_model().objects.filter(username="new@example.com").exists()
    page = client.get(response["Location"])
    assert b"Create your first user pool" in page.content


def test_register_rejects_mismatched_passwords(client):
    response = client.post(
        reverse("console:register"),
        {
            "email": "a@example.com",
            "password1": "a long passphrase",
            "password2": "another one",
        },
    )
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors


def test_register_rejects_duplicate_email(client, admin):
    response = client.post(
        reverse("console:register"),
        {
            "email": admin.email.upper(),
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_console_sign_in_with_email(client, admin):
    response = client.post(
        reverse("console:login"), {"username": admin.email, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 302


def test_console_sign_in_wrong_password(client, admin):
    response = client.post(
        reverse("console:login"), {"username": admin.email, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"The email or password is incorrect" in response.content


def test_console_requires_sign_in(client, pool):
    response = client.get(reverse("console:app_list", args=[pool.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_home_without_pools_goes_to_pool_create(console):
    response = console.get(reverse("console:home"))
    assert response["Location"] == reverse("console:pool_create")


def test_create_pool(console, admin):
    response = console.post(reverse("console:pool_create"), {"name": "Staff"})
    pool = UserPool.objects.get(owner=admin, name="Staff")
    assert response["Location"] == reverse("console:app_list", args=[pool.pk])


def test_create_app_and_open_details(console, pool):
    response = console.post(
        reverse("console:app_create", args=[pool.pk]),
        {"name": "Portal", "redirect_uris": ""},
    )
    app = pool.applications.get(name="Portal")
    assert response["Location"] == reverse("console:app_detail", args=[pool.pk, app.pk])
    page = console.get(response["Location"])
    assert b'id="experience-login"' in page.content
    assert reverse("authn:login", args=[app.client_id]).encode() in page.content


def test_security_tab_hidden_until_custom_rules_on(console, pool, app):
    url = reverse("console:app_detail", args=[pool.pk, app.pk])
    assert b"Security Management" not in console.get(url).content

    console.post(
        reverse("console:app_custom_rules", args=[pool.pk, app.pk]), {"enabled": "on"}
    )
    assert b"Security Management" in console.get(url).content


def test_security_tab_request_without_custom_rules_shows_basic(console, pool, app):
    response = console.get(
        reverse("console:app_detail", args=[pool.pk, app.pk]) + "?tab=security"
    )
    assert response.context["tab"] == "basic"


def test_app_face_switch_on_and_off(console, pool, app):
    console.post(
        reverse("console:app_custom_rules", args=[pool.pk, app.pk]), {"enabled": "on"}
    )
    url = reverse("console:app_face_mfa", args=[pool.pk, app.pk])

    console.post(url, {"enabled": "on"})
    app.refresh_from_db()
    assert app.face_mfa_enabled is True

    console.post(url, {"enabled": "off"})
    app.refresh_from_db()
    assert app.face_mfa_enabled is False


def test_app_face_switch_needs_custom_rules(console, pool, app):
    console.post(
        reverse("console:app_face_mfa", args=[pool.pk, app.pk]), {"enabled": "on"}
    )
    app.refresh_from_db()
    assert app.face_mfa_enabled is False


def test_switch_answers_json_to_fetch(console, pool):
    response = console.post(
        reverse("console:pool_face_mfa", args=[pool.pk]),
        {"enabled": "on"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["enabled"] is True


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
    console.post(reverse(name, args=[pool.pk]), {"enabled": "off" if initial else "on"})
    pool.refresh_from_db()
    assert getattr(pool, field) is (not initial)


def test_pool_mfa_page_lists_sources(console, pool):
    response = console.get(reverse("console:pool_mfa", args=[pool.pk]))
    assert b"Password sign-in" in response.content
    assert b"Scan-code sign-in" in response.content


def test_create_user(console, pool):
    response = console.post(
        reverse("console:user_create", args=[pool.pk]),
        {
            "username": "bob",
            "email": "",
            "phone": "+44 20 7946 0958",
            "password": "a long passphrase",
        },
    )
    assert response.status_code == 302
    user = EndUser.objects.get(pool=pool, username="bob")
    assert user.phone == "+442079460958"
    assert user.check_password("a long passphrase")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "alice"}, "username"),
        ({"email": "ALICE@example.com"}, "email"),
        ({"phone": "+1 202 555 0100"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({}, "__all__"),
    ],
    ids=[
        "duplicate_username",
        "duplicate_email",
        "duplicate_phone",
        "bad_email",
        "bad_phone",
        "none",
    ],
)
def test_create_user_rejects(console, pool, end_user, data, field):
    response = console.post(
        reverse("console:user_create", args=[pool.pk]),
        {
            "username": "",
            "email": "",
            "phone": "",
            "password": "a long passphrase",
            **data,
        },
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert EndUser.objects.filter(pool=pool).count() == 1


def test_user_list_shows_users(console, pool, end_user):
    response = console.get(reverse("console:user_list", args=[pool.pk]))
    assert b"alice" in response.content


def tenant_urls(pool, app):
    return [
        ("get", reverse("console:app_list", args=[pool.pk])),
        ("get", reverse("console:app_create", args=[pool.pk])),
        ("post", reverse("console:app_create", args=[pool.pk])),
        ("get", reverse("console:app_detail", args=[pool.pk, app.pk])),
        ("post", reverse("console:app_custom_rules", args=[pool.pk, app.pk])),
        ("post", reverse("console:app_face_mfa", args=[pool.pk, app.pk])),
        ("get", reverse("console:pool_mfa", args=[pool.pk])),
        ("post", reverse("console:pool_face_mfa", args=[pool.pk])),
        ("post", reverse("console:pool_mfa_password", args=[pool.pk])),
        ("post", reverse("console:pool_mfa_scan_code", args=[pool.pk])),
        ("get", reverse("console:user_list", args=[pool.pk])),
        ("get", reverse("console:user_create", args=[pool.pk])),
        ("post", reverse("console:user_create", args=[pool.pk])),
    ]


def test_other_administrator_gets_404_everywhere(client, other_admin, pool, app):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    for method, url in tenant_urls(pool, app):
        response = getattr(client, method)(url, {"enabled": "on", "name": "x"})
        assert response.status_code == 404, f"{method.upper()} {url}"

    pool.refresh_from_db()
    app.refresh_from_db()
    assert pool.face_mfa_enabled is False
    assert app.custom_security_rules is False


def test_app_of_own_pool_under_other_pool_is_404(console, admin, pool, app):
    second_pool = UserPool.objects.create(owner=admin, name="Second")
    response = console.get(reverse("console:app_detail", args=[second_pool.pk, app.pk]))
    assert response.status_code == 404


def test_pool_switcher_rejects_other_administrators_pool(client, other_admin, pool):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.post(reverse("console:pool_switch"), {"pool": pool.pk})
    assert response.status_code == 404


def test_pool_list_shows_only_own_pools(client, other_admin, pool):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.get(reverse("console:pool_list"))
    assert pool.name.encode() not in response.content


def test_seed_demo_prints_json(db, capsys):
    call_command("seed_demo")
    result = json.loads(capsys.readouterr().out)
    expected = {
        "console_url",
        "admin_email",
        "admin_password",
        "pool",
        "app",
        "hosted_login_url",
        "user_username",
        "user_password",
    }
    assert expected <= set(result)


def test_seed_demo_refuses_production(db, settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
