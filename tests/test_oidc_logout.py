"""RP-initiated logout at the end_session_endpoint, with an ID token from
Authlib's client and a live server."""

import pytest
from django.urls import reverse

from authn.models import Application

from .conftest import ADMIN_PASSWORD, END_USER_PASSWORD
from .oidc_setup import (
    POST_LOGOUT_REDIRECT_URI,
    password_sign_in,
    register_client,
    relying_party,
    sign_in,
)
from .relying_party import ScriptedBrowser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_app(app):
    return register_client(app)


def signed_in_browser(live_server, app):
    """Return (browser, relying party, token) after a password sign-in."""
    browser = ScriptedBrowser(live_server.url)
    rp = relying_party(live_server, app)
    token = rp.fetch_token(
        sign_in(live_server, rp, "alice", END_USER_PASSWORD, browser=browser)
    )
    return browser, rp, token


def is_signed_in(browser, rp):
    """Return True when a new authorization request gets a code without a login."""
    return browser.open(rp.authorization_url()).left_to is not None


def test_logout_with_hint_redirects_with_state(live_server, client_app, end_user):
    browser, rp, token = signed_in_browser(live_server, client_app)

    result = browser.open(
        rp.logout_url(token["id_token"], POST_LOGOUT_REDIRECT_URI, state="bye")
    )

    assert result.left_to == POST_LOGOUT_REDIRECT_URI + "?state=bye"
    assert not is_signed_in(browser, rp)


def test_logout_without_redirect_shows_signed_out_page(
    live_server, client_app, end_user
):
    browser, rp, token = signed_in_browser(live_server, client_app)

    result = browser.open(rp.logout_url(token["id_token"]))

    assert result.response.status_code == 200
    assert 'data-testid="signed-out"' in result.response.text
    assert not is_signed_in(browser, rp)


def test_unregistered_post_logout_redirect_is_rejected(
    live_server, client_app, end_user
):
    browser, rp, token = signed_in_browser(live_server, client_app)

    result = browser.open(
        rp.logout_url(token["id_token"], "https://attacker.example.test/")
    )

    assert result.left_to is None
    assert result.response.status_code == 400
    assert is_signed_in(browser, rp)


def test_logout_without_hint_asks_for_confirmation(live_server, client_app, end_user):
    browser, rp, _ = signed_in_browser(live_server, client_app)

    page = browser.open(rp.metadata["end_session_endpoint"]).response

    assert page.status_code == 200
    assert "Sign out?" in page.text
    assert is_signed_in(browser, rp)


def test_confirmed_logout_signs_out(live_server, client_app, end_user):
    browser, rp, _ = signed_in_browser(live_server, client_app)
    page = browser.open(rp.metadata["end_session_endpoint"]).response
    confirmation = page.text.split('name="confirmation" value="')[1].split('"')[0]

    browser.open(
        rp.metadata["end_session_endpoint"],
        method="POST",
        data={"confirmation": confirmation},
    )

    assert not is_signed_in(browser, rp)


def test_forged_confirmation_does_not_sign_out(live_server, client_app, end_user):
    browser, rp, _ = signed_in_browser(live_server, client_app)
    browser.open(rp.metadata["end_session_endpoint"])

    result = browser.open(
        rp.metadata["end_session_endpoint"],
        method="POST",
        data={"confirmation": "guessed"},
    )

    assert "Sign out?" in result.response.text
    assert is_signed_in(browser, rp)


def test_hint_of_other_pool_is_rejected(live_server, client_app, end_user, admin):
    other_pool = admin.user_pools.create(name="Pool B")
    browser, rp, token = signed_in_browser(live_server, client_app)

    result = browser.open(
        f"{live_server.url}/oidc/{other_pool.pk}/logout/?id_token_hint={token['id_token']}"
    )

    assert result.response.status_code == 400
    assert is_signed_in(browser, rp)


def test_logout_keeps_other_pool_and_console_signed_in(
    live_server, client_app, end_user, admin
):
    other_pool = admin.user_pools.create(name="Pool B")
    other_app = register_client(
        Application.objects.create(pool=other_pool, user=admin, name="App of Pool B")
    )
    bob = other_pool.users.create(username="bob")
    bob.set_password(END_USER_PASSWORD)
    bob.save()

    browser, rp, token = signed_in_browser(live_server, client_app)
    other_rp = relying_party(live_server, other_app)
    sign_in(live_server, other_rp, "bob", END_USER_PASSWORD, browser=browser)
    console_login = browser.open(f"{live_server.url}/console/login/").response
    browser.open(
        console_login.url,
        method="POST",
        data={
            "csrfmiddlewaretoken": browser.csrf_token(console_login),
            "username": admin.email,
            "password": ADMIN_PASSWORD,
        },
        headers={"Referer": console_login.url},
    )

    browser.open(rp.logout_url(token["id_token"], POST_LOGOUT_REDIRECT_URI))

    console = browser.open(f"{live_server.url}/console/pools/").response
    assert not is_signed_in(browser, rp)
    assert is_signed_in(browser, other_rp)
    assert console.status_code == 200
    assert console.url == f"{live_server.url}/console/pools/"


def test_logout_without_sign_on_keeps_pending_sign_in(client, face_app, end_user):
    password_sign_in(client, face_app)
    face_step = reverse("mfa_face:step", args=[face_app.client_id])
    assert client.get(face_step).status_code == 200

    response = client.get(
        reverse("oidc:end_session", kwargs={"pool_id": face_app.pool_id})
    )

    assert response.status_code == 200
    assert client.get(face_step).status_code == 200
