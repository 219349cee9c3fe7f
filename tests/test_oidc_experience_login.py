"""Experience Login: the console runs the authorization code flow against an app
and shows the verified ID token claims and the userinfo response."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from console.experience import experience_login_url

from .conftest import ADMIN_PASSWORD
from .oidc_setup import pass_face_step, password_sign_in, turn_liveness_off

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/console/experience/callback/"


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


def follow(client, response, limit=10):
    """Follow redirects on this site; return the first non-redirect response."""
    for _ in range(limit):
        if response.status_code != 302:
            return response
        response = client.get(response["Location"])
    raise AssertionError("too many redirects")


def start(console, app):
    return console.get(experience_login_url(app))


def claims_of(page):
    return dict(page.context["claims"])


def test_button_target_starts_authorization_request(console, app):
    response = start(console, app)

    params = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith(
        f"http://testserver/oidc/{app.pool_id}/authorize/?"
    )
    assert params["client_id"] == [app.client_id]
    assert params["redirect_uri"] == [CALLBACK]
    assert params["code_challenge_method"] == ["S256"]


def test_start_registers_console_redirect_uri_once(console, app):
    start(console, app)
    start(console, app)

    app.refresh_from_db()
    assert app.redirect_uris.split().count(CALLBACK) == 1


def test_experience_shows_claims_of_password_sign_in(console, app, end_user):
    login_page = follow(console, start(console, app))
    assert login_page.wsgi_request.path == reverse("authn:login", args=[app.client_id])

    result = follow(console, password_sign_in(console, app))

    assert result.status_code == 200
    claims = claims_of(result)
    assert claims["sub"] == str(end_user.sub)
    assert claims["aud"] == app.client_id
    assert claims["amr"] == ["pwd"]
    assert '"preferred_username": "alice"' in result.context["userinfo_json"]


def test_experience_shows_face_in_amr(console, face_app, end_user):
    turn_liveness_off(face_app.pool)
    follow(console, start(console, face_app))
    password_sign_in(console, face_app)

    done = pass_face_step(console, face_app).json()["redirect"]
    result = follow(console, console.get(done))

    assert claims_of(result)["amr"] == ["pwd", "face", "mfa"]


def test_experience_keeps_administrator_signed_in(console, app, end_user):
    follow(console, start(console, app))
    follow(console, password_sign_in(console, app))

    assert console.get(reverse("console:pool_list")).status_code == 200


def test_callback_with_unknown_state_is_rejected(console):
    response = console.get(CALLBACK + "?code=abc&state=forged")

    assert response.status_code == 400
    assert response.context["failure"]["code"] == "unknown_state"


def test_cancelled_sign_in_shows_access_denied(console, app):
    follow(console, start(console, app))

    response = follow(
        console, console.post(reverse("authn:cancel", args=[app.client_id]))
    )

    assert response.status_code == 400
    assert response.context["failure"]["code"] == "access_denied"


def test_other_administrator_cannot_start_experience(client, other_admin, app):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)

    assert client.get(experience_login_url(app)).status_code == 404


def test_experience_requires_console_sign_in(client, app):
    response = client.get(experience_login_url(app))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))
