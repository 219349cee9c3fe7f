"""Self-built apps: create, details tabs, Basic information, secret, switches."""

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from authn.models import Application

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


def detail_url(app, tab=None):
    url = reverse("console:app_detail", args=[app.pool_id, app.pk])
    return f"{url}?tab={tab}" if tab else url


def create_app(console, pool, name="Portal", redirect_uris=""):
    return console.post(
        reverse("console:app_create", args=[pool.pk]),
        {"name": name, "redirect_uris": redirect_uris},
    )


def test_create_app_opens_details(console, pool):
    response = create_app(console, pool)
    app = pool.applications.get(name="Portal")
    assert response["Location"] == detail_url(app)

    page = console.get(response["Location"])
    assert b'id="experience-login"' in page.content
    assert reverse("authn:login", args=[app.client_id]).encode() in page.content
    assert b"Self-built app Portal created." in page.content


def test_create_app_sets_oidc_client_values(console, admin, pool):
    create_app(console, pool)
    app = pool.applications.get(name="Portal")
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.algorithm == Application.RS256_ALGORITHM
    assert app.user == admin


def test_client_secret_shown_once_and_stored_hashed(console, pool):
    response = create_app(console, pool)
    app = pool.applications.get(name="Portal")

    first = console.get(response["Location"])
    secret = first.context["new_secret"]
    assert secret
    assert secret.encode() in first.content
    assert app.client_secret != secret
    assert check_password(secret, app.client_secret)

    second = console.get(response["Location"])
    assert second.context["new_secret"] is None
    assert secret.encode() not in second.content


def test_secret_waiting_for_other_app_is_not_shown(console, pool, app):
    create_app(console, pool)
    page = console.get(detail_url(app))
    assert page.context["new_secret"] is None
    assert "console.new_client_secret" not in console.session


def test_create_app_accepts_redirect_uris(console, pool):
    uris = "https://app.example.com/cb\nhttp://localhost:3000/cb\nhttp://127.0.0.1/cb"
    response = create_app(console, pool, redirect_uris=uris)
    assert response.status_code == 302

    app = pool.applications.get(name="Portal")
    assert app.redirect_uris == (
        "https://app.example.com/cb http://localhost:3000/cb http://127.0.0.1/cb"
    )


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://app.example.com/cb", "must use https"),
        ("/callback", "is not an absolute URL"),
        ("app.example.com/cb", "is not an absolute URL"),
        ("https://app.example.com/cb#done", "#fragment"),
        ("https://[::1/cb", "is not a valid URL"),
        ("https://app.example.com:99999/cb", "is not a valid URL"),
        ("myapp://callback", "must use https"),
    ],
)
def test_create_app_rejects_invalid_redirect_uri(console, pool, uri, message):
    response = create_app(console, pool, redirect_uris=uri)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors["redirect_uris"])
    assert not pool.applications.exists()


def test_create_app_reports_every_invalid_uri(console, pool):
    response = create_app(
        console, pool, redirect_uris="http://a.example/cb https://ok.example/cb /b"
    )
    errors = response.context["form"].errors["redirect_uris"]
    assert len(errors) == 2


def test_create_app_requires_name(console, pool):
    response = create_app(console, pool, name="  ")
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def basic_data(**changes):
    return {
        "name": "App A renamed",
        "redirect_uris": "https://app.example.com/cb",
        "post_logout_redirect_uris": "https://app.example.com/bye",
        **changes,
    }


def test_basic_information_saves_name_and_uris(console, pool, app):
    response = console.post(
        reverse("console:app_basic", args=[pool.pk, app.pk]), basic_data()
    )
    assert response["Location"] == detail_url(app)

    app.refresh_from_db()
    assert app.name == "App A renamed"
    assert app.redirect_uris == "https://app.example.com/cb"
    assert app.post_logout_redirect_uris == "https://app.example.com/bye"

    page = console.get(response["Location"])
    assert b"Basic information saved." in page.content


def test_basic_information_shows_uris_one_per_line(console, pool, app):
    app.redirect_uris = "https://a.example/cb https://b.example/cb"
    app.save()
    page = console.get(detail_url(app))
    assert page.context["form"]["redirect_uris"].value() == (
        "https://a.example/cb\nhttps://b.example/cb"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"redirect_uris": "http://app.example.com/cb"},
        {"post_logout_redirect_uris": "ftp://app.example.com/bye"},
    ],
    ids=["no_name", "http_redirect", "bad_sign_out_redirect"],
)
def test_basic_information_rejects_invalid_input(console, pool, app, changes):
    response = console.post(
        reverse("console:app_basic", args=[pool.pk, app.pk]), basic_data(**changes)
    )
    assert response.status_code == 400
    assert response.context["tab"] == "basic"
    assert set(changes) <= set(response.context["form"].errors)

    app.refresh_from_db()
    assert app.name == "App A"
    assert app.redirect_uris == ""


def test_basic_information_get_redirects_to_details(console, pool, app):
    response = console.get(reverse("console:app_basic", args=[pool.pk, app.pk]))
    assert response["Location"] == detail_url(app)


def test_rotate_secret_page_asks_for_confirmation(console, pool, app):
    secret_hash = app.client_secret
    response = console.get(reverse("console:app_secret_rotate", args=[pool.pk, app.pk]))
    assert response.status_code == 200
    assert b"The current secret stops working at once" in response.content

    app.refresh_from_db()
    assert app.client_secret == secret_hash


def test_rotate_secret_shows_new_secret_once(console, pool, app):
    old_hash = app.client_secret
    response = console.post(
        reverse("console:app_secret_rotate", args=[pool.pk, app.pk])
    )
    assert response["Location"] == detail_url(app)

    page = console.get(response["Location"])
    secret = page.context["new_secret"]
    app.refresh_from_db()
    assert app.client_secret != old_hash
    assert check_password(secret, app.client_secret)
    assert secret.encode() in page.content

    again = console.get(response["Location"])
    assert secret.encode() not in again.content


def test_delete_app_page_asks_for_confirmation(console, pool, app):
    response = console.get(reverse("console:app_delete", args=[pool.pk, app.pk]))
    assert b"Delete self-built app App A" in response.content
    assert Application.objects.filter(pk=app.pk).exists()


def test_delete_app(console, pool, app, end_user):
    response = console.post(reverse("console:app_delete", args=[pool.pk, app.pk]))
    assert response["Location"] == reverse("console:app_list", args=[pool.pk])
    assert not Application.objects.filter(pk=app.pk).exists()
    assert pool.users.filter(pk=end_user.pk).exists()


def test_app_list_shows_apps(console, pool, app):
    response = console.get(reverse("console:app_list", args=[pool.pk]))
    assert app.client_id.encode() in response.content


def test_security_tab_hidden_until_custom_rules_on(console, pool, app):
    tabs = [name for name, _ in console.get(detail_url(app)).context["tabs"]]
    assert "security" not in tabs

    console.post(
        reverse("console:app_custom_rules", args=[pool.pk, app.pk]), {"enabled": "on"}
    )
    tabs = [name for name, _ in console.get(detail_url(app)).context["tabs"]]
    assert "security" in tabs


def test_security_tab_request_without_custom_rules_shows_basic(console, app):
    response = console.get(detail_url(app, "security"))
    assert response.context["tab"] == "basic"
    assert b"Security Management" not in response.content


def test_unknown_tab_shows_basic(console, app):
    response = console.get(detail_url(app, "nonsense"))
    assert response.context["tab"] == "basic"


def test_custom_rules_switch_returns_to_advanced_tab(console, pool, app):
    url = reverse("console:app_custom_rules", args=[pool.pk, app.pk])
    on = console.post(url, {"enabled": "on"})
    off = console.post(url, {"enabled": "off"})
    assert on["Location"] == detail_url(app, "advanced")
    assert off["Location"] == detail_url(app, "advanced")


def test_app_face_switch_on_and_off(console, pool, face_app):
    url = reverse("console:app_face_mfa", args=[pool.pk, face_app.pk])

    console.post(url, {"enabled": "off"})
    face_app.refresh_from_db()
    assert face_app.face_mfa_enabled is False

    response = console.post(url, {"enabled": "on"})
    face_app.refresh_from_db()
    assert face_app.face_mfa_enabled is True
    assert response["Location"] == detail_url(face_app, "security")


def test_app_face_switch_needs_custom_rules(console, pool, app):
    response = console.post(
        reverse("console:app_face_mfa", args=[pool.pk, app.pk]), {"enabled": "on"}
    )
    app.refresh_from_db()
    assert app.face_mfa_enabled is False
    assert response["Location"] == detail_url(app, "advanced")


def test_app_face_switch_needs_custom_rules_json(console, pool, app):
    response = console.post(
        reverse("console:app_face_mfa", args=[pool.pk, app.pk]),
        {"enabled": "on"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "custom_rules_off"


def test_switch_answers_json_to_fetch(console, pool, face_app):
    response = console.post(
        reverse("console:app_face_mfa", args=[pool.pk, face_app.pk]),
        {"enabled": "off"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "enabled": False,
        "message": "Face Recognition turned off.",
    }


@pytest.mark.parametrize("data", [{}, {"enabled": "maybe"}])
def test_switch_rejects_invalid_value_json(console, pool, app, data):
    response = console.post(
        reverse("console:app_custom_rules", args=[pool.pk, app.pk]),
        data,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_switch_value"

    app.refresh_from_db()
    assert app.custom_security_rules is False


def test_switch_rejects_invalid_value_form(console, pool, app):
    response = console.post(
        reverse("console:app_custom_rules", args=[pool.pk, app.pk]),
        {"enabled": "maybe"},
        follow=True,
    )
    assert b"send enabled=on or enabled=off" in response.content
    app.refresh_from_db()
    assert app.custom_security_rules is False


def test_details_page_is_not_cached(console, app):
    response = console.get(detail_url(app))
    assert "no-store" in response["Cache-Control"]
