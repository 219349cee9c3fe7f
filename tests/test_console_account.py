"""Administrator accounts: register, sign in, sign out, change password."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


def register(client, email, password1, password2=None):
    return client.post(
        reverse("console:register"),
        {"email": email, "password1": password1, "password2": password2 or password1},
    )


def test_register_signs_in_and_asks_for_first_pool(client):
    response = register(client, "New@Example.com", "a long passphrase")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:pool_create")
    assert get_user_model().objects.filter(username="new@example.com").exists()

    page = client.get(response["Location"])
    assert page.context["user"].username == "new@example.com"
    assert b"Create your first user pool" in page.content


def test_register_rejects_mismatched_passwords(client):
    response = register(client, "a@example.com", "a long passphrase", "another one")
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors


def test_register_rejects_duplicate_email(client, admin):
    response = register(client, admin.email.upper(), "a long passphrase")
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_register_rejects_weak_password(client):
    response = register(client, "a@example.com", "12345678")
    assert response.status_code == 400
    assert "password1" in response.context["form"].errors
    assert not get_user_model().objects.filter(username="a@example.com").exists()


def test_register_page_of_signed_in_administrator_goes_home(console):
    response = console.get(reverse("console:register"))
    assert response["Location"] == reverse("console:home")


def test_sign_in_with_email(client, admin):
    response = client.post(
        reverse("console:login"),
        {"username": admin.email.upper(), "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")


def test_sign_in_wrong_password(client, admin):
    response = client.post(
        reverse("console:login"), {"username": admin.email, "password": "wrong"}
    )
    assert response.status_code == 400
    assert b"The email or password is incorrect" in response.content
    assert "_auth_user_id" not in client.session


@pytest.fixture
def limits(settings):
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT = 3
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_IP = 5
    return settings


def console_sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(
        reverse("console:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def test_sign_in_locks_after_limit(client, admin, limits):
    for _ in range(3):
        console_sign_in(client, admin.email, "wrong")

    response = console_sign_in(client, admin.email, ADMIN_PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_lock_ignores_email_case(client, admin, limits):
    for _ in range(3):
        console_sign_in(client, admin.email.upper(), "wrong")

    response = console_sign_in(client, admin.email, ADMIN_PASSWORD)

    assert response.status_code == 429


def test_sign_in_unknown_email_locks_the_same_way(client, admin, limits):
    for _ in range(3):
        console_sign_in(client, "nobody@example.com", "wrong")

    response = console_sign_in(client, "nobody@example.com", "wrong")

    assert response.status_code == 429


def test_sign_in_ip_locks_after_limit(client, admin, limits):
    for number in range(5):
        console_sign_in(client, f"guess{number}@example.com", "wrong")

    response = console_sign_in(client, admin.email, ADMIN_PASSWORD)

    assert response.status_code == 429


def test_sign_in_success_resets_count(client, admin, limits):
    for _ in range(2):
        console_sign_in(client, admin.email, "wrong")
    console_sign_in(client, admin.email, ADMIN_PASSWORD)
    client.logout()
    for _ in range(2):
        console_sign_in(client, admin.email, "wrong")

    response = console_sign_in(client, admin.email, ADMIN_PASSWORD)

    assert response.status_code == 302


def test_sign_in_returns_to_requested_page(client, admin, pool):
    target = reverse("console:user_list", args=[pool.pk])
    response = client.post(
        reverse("console:login") + f"?next={target}",
        {"username": admin.email, "password": ADMIN_PASSWORD},
    )
    assert response["Location"] == target


def test_sign_out_needs_post(console):
    response = console.get(reverse("console:logout"))
    assert response.status_code == 405
    assert "_auth_user_id" in console.session


def test_sign_out(console):
    response = console.post(reverse("console:logout"))
    assert response["Location"] == reverse("console:login")
    assert "_auth_user_id" not in console.session


def change_password(client, old, new1, new2=None):
    return client.post(
        reverse("console:password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_change_password(console, admin):
    response = change_password(console, ADMIN_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302

    admin.refresh_from_db()
    assert admin.check_password(NEW_PASSWORD)

    page = console.get(response["Location"], follow=True)
    assert page.context["user"] == admin
    assert b"Your password has been changed." in page.content


def test_change_password_signs_out_other_sessions(console, admin):
    other_browser = Client()
    other_browser.login(username=admin.username, password=ADMIN_PASSWORD)

    change_password(console, ADMIN_PASSWORD, NEW_PASSWORD)

    response = other_browser.get(reverse("console:pool_list"))
    assert response["Location"].startswith(reverse("console:login"))


def test_change_password_rejects_wrong_old_password(console, admin):
    response = change_password(console, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert "old_password" in response.context["form"].errors

    admin.refresh_from_db()
    assert admin.check_password(ADMIN_PASSWORD)


def test_change_password_rejects_mismatch(console):
    response = change_password(console, ADMIN_PASSWORD, NEW_PASSWORD, "something else")
    assert response.status_code == 400
    assert "new_password2" in response.context["form"].errors
