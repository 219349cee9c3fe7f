"""Invalid authorization and token requests, rejected as RFC 6749 and OpenID
Connect Core specify, through Authlib's client and a live server."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.common.security import generate_token
from django.utils import timezone

from authn.models import Application
from oidc.models import Grant

from .conftest import ADMIN_PASSWORD, END_USER_PASSWORD
from .oidc_setup import (
    CLIENT_SECRET,
    REDIRECT_URI,
    issuer_of,
    register_client,
    relying_party,
    sign_in,
)
from .relying_party import ScriptedBrowser, query_params

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_app(app):
    return register_client(app)


def authorize(live_server, url):
    """Send an authorization request without following redirects."""
    return requests.get(url, allow_redirects=False, timeout=10)


def without_parameters(url, *names):
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


def replace_parameter(url, name, value):
    parts = urlsplit(url)
    query = [
        (key, value if key == name else current)
        for key, current in parse_qsl(parts.query)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def code_of(callback):
    return query_params(callback)["code"]


def exchange(rp, callback, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code_of(callback),
        "redirect_uri": REDIRECT_URI,
        "code_verifier": rp.code_verifier,
        **overrides,
    }
    data = {key: value for key, value in data.items() if value is not None}
    return rp.token_request(data, auth=(rp.client_id, CLIENT_SECRET))


# Authorization endpoint


def test_unregistered_redirect_uri_is_not_redirected(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url(redirect_uri="https://attacker.example.test/callback")

    response = authorize(live_server, url)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert 'data-error="invalid_request"' in response.text


def test_redirect_uri_must_match_exactly(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url(redirect_uri=REDIRECT_URI + "/")

    response = authorize(live_server, url)

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_unknown_client_is_not_redirected(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url().replace(client_app.client_id, "no-such-client")

    response = authorize(live_server, url)

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_client_of_other_pool_is_unknown_here(live_server, client_app, admin):
    other_pool = admin.user_pools.create(name="Pool B")
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url().replace(
        f"/oidc/{client_app.pool_id}/", f"/oidc/{other_pool.pk}/"
    )

    response = authorize(live_server, url)

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_public_client_without_pkce_gets_invalid_request(live_server, app):
    register_client(app, secret="", client_type=Application.CLIENT_PUBLIC)
    rp = relying_party(live_server, app)
    url = without_parameters(
        rp.authorization_url(), "code_challenge", "code_challenge_method"
    )

    response = authorize(live_server, url)

    params = query_params(response.headers["Location"])
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    assert params["error"] == "invalid_request"
    assert params["state"] == rp.state


def test_implicit_response_type_is_unauthorized_client(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url().replace("response_type=code", "response_type=token")

    response = authorize(live_server, url)

    params = query_params(response.headers["Location"])
    assert params["error"] == "unauthorized_client"


def test_plain_pkce_method_gets_invalid_request(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url().replace(
        "code_challenge_method=S256", "code_challenge_method=plain"
    )

    response = authorize(live_server, url)

    assert query_params(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize(
    "challenge",
    ["short", "A" * 42, "A" * 44, "A" * 42 + "=", "A" * 42 + "+"],
    ids=["short", "42_chars", "44_chars", "padding", "plus_sign"],
)
def test_malformed_code_challenge_gets_invalid_request(
    live_server, client_app, challenge
):
    rp = relying_party(live_server, client_app)
    url = replace_parameter(rp.authorization_url(), "code_challenge", challenge)

    response = authorize(live_server, url)

    params = query_params(response.headers["Location"])
    assert params["error"] == "invalid_request"
    assert "code_challenge" in params["error_description"]
    assert params["state"] == rp.state


def test_unsupported_response_type_is_redirected(live_server, client_app):
    rp = relying_party(live_server, client_app)
    url = rp.authorization_url().replace("response_type=code", "response_type=magic")

    response = authorize(live_server, url)

    params = query_params(response.headers["Location"])
    assert params["error"] == "unsupported_response_type"
    assert params["iss"] == issuer_of(live_server, client_app.pool)


def open_login_page(live_server, app):
    """Start an authorization request; return the client, browser and login page."""
    rp = relying_party(live_server, app)
    browser = ScriptedBrowser(live_server.url)
    login_page = browser.open(rp.authorization_url()).response
    return rp, browser, login_page


def press_cancel(live_server, browser, app, page):
    """POST the "Cancel and return" form of a hosted login page."""
    return browser.open(
        f"{live_server.url}/login/{app.client_id}/cancel/",
        method="POST",
        data={"csrfmiddlewaretoken": browser.csrf_token(page)},
        headers={"Referer": page.url},
    )


def test_cancel_on_login_page_returns_access_denied(live_server, client_app):
    rp, browser, login_page = open_login_page(live_server, client_app)

    result = press_cancel(live_server, browser, client_app, login_page)

    params = query_params(result.left_to)
    assert result.left_to.startswith(REDIRECT_URI + "?")
    assert params["error"] == "access_denied"
    assert params["state"] == rp.state


def test_cancel_on_face_step_returns_access_denied(live_server, face_app, end_user):
    register_client(face_app)
    rp, browser, login_page = open_login_page(live_server, face_app)
    face_page = browser.submit_password(login_page, "alice", END_USER_PASSWORD)
    assert b"Cancel and return to" in face_page.response.content

    result = press_cancel(live_server, browser, face_app, face_page.response)

    params = query_params(result.left_to)
    assert result.left_to.startswith(REDIRECT_URI + "?")
    assert params["error"] == "access_denied"
    assert params["state"] == rp.state
    assert not Grant.objects.exists()


def test_password_only_session_gets_no_code(live_server, face_app, end_user):
    register_client(face_app)
    rp = relying_party(live_server, face_app)
    browser = ScriptedBrowser(live_server.url)
    login_page = browser.open(rp.authorization_url()).response

    after_password = browser.submit_password(login_page, "alice", END_USER_PASSWORD)
    again = browser.open(rp.authorization_url())

    assert after_password.left_to is None
    assert after_password.url.endswith(f"/login/{face_app.client_id}/face/")
    assert again.left_to is None
    assert again.url.endswith(f"/login/{face_app.client_id}/face/")
    assert not Grant.objects.exists()


# Token endpoint


def test_missing_code_verifier_is_invalid_request(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = exchange(rp, callback, code_verifier=None)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_wrong_code_verifier_is_invalid_grant(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = exchange(rp, callback, code_verifier=generate_token(48))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_reused_code_is_invalid_grant(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)
    first = rp.fetch_token(callback)

    second = exchange(rp, callback)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert "access_token" not in second.json()
    assert first["access_token"]


def test_reused_code_revokes_tokens_of_first_exchange(
    live_server, client_app, end_user
):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)
    first = rp.fetch_token(callback)
    assert rp.userinfo(first).status_code == 200

    exchange(rp, callback)

    assert rp.userinfo(first).status_code == 401
    refreshed = rp.token_request(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(rp.client_id, CLIENT_SECRET),
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)
    Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = exchange(rp, callback)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = rp.token_request(
        {
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": REDIRECT_URI,
            "code_verifier": rp.code_verifier,
        },
        auth=(rp.client_id, "not the secret"),
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("password", [ADMIN_PASSWORD, END_USER_PASSWORD, "wrong"])
def test_password_grant_checks_no_password(
    live_server, client_app, admin, end_user, password
):
    # The administrator's right password, an end user's right password and
    # a wrong one get the same error, so the endpoint reveals none of them.
    issuer = issuer_of(live_server, client_app.pool)
    response = requests.post(
        f"{issuer}/token/",
        data={
            "grant_type": "password",
            "username": admin.username if password == ADMIN_PASSWORD else "alice",
            "password": password,
        },
        auth=(client_app.client_id, CLIENT_SECRET),
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid credentials given.",
    }


def test_missing_client_authentication_is_invalid_client(
    live_server, client_app, end_user
):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = rp.token_request(
        {
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": REDIRECT_URI,
            "code_verifier": rp.code_verifier,
            "client_id": rp.client_id,
        }
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_redirect_uri_at_token_endpoint_is_rejected(
    live_server, client_app, end_user
):
    client_app.redirect_uris = f"{REDIRECT_URI} https://rp.example.test/other"
    client_app.save()
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = exchange(rp, callback, redirect_uri="https://rp.example.test/other")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_code_of_other_client_is_invalid_grant(live_server, client_app, end_user):
    other = register_client(
        client_app.pool.applications.create(name="App B", user=client_app.user)
    )
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = rp.token_request(
        {
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": REDIRECT_URI,
            "code_verifier": rp.code_verifier,
        },
        auth=(other.client_id, CLIENT_SECRET),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_endpoint_of_other_pool_rejects_client(
    live_server, client_app, end_user, admin
):
    other_pool = admin.user_pools.create(name="Pool B")
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    response = requests.post(
        f"{issuer_of(live_server, other_pool)}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": REDIRECT_URI,
            "code_verifier": rp.code_verifier,
        },
        auth=(rp.client_id, CLIENT_SECRET),
        timeout=10,
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# Userinfo endpoint


def test_userinfo_without_token_is_401(live_server, client_app):
    rp = relying_party(live_server, client_app)

    response = requests.get(rp.metadata["userinfo_endpoint"], timeout=10)

    assert response.status_code == 401


def test_userinfo_of_other_pool_rejects_token(live_server, client_app, end_user, admin):
    other_pool = admin.user_pools.create(name="Pool B")
    rp = relying_party(live_server, client_app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    response = requests.get(
        f"{issuer_of(live_server, other_pool)}/userinfo/",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )

    assert response.status_code == 401


def test_userinfo_rejects_token_of_disabled_user(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))
    end_user.is_active = False
    end_user.save()

    assert rp.userinfo(token).status_code == 401


@pytest.mark.parametrize("endpoint", ["token", "userinfo"])
def test_unreadable_body_is_oauth_json_error(client, app, endpoint):
    response = client.generic(
        "POST",
        f"/oidc/{app.pool_id}/{endpoint}/",
        "grant_type=authorization_code",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
