"""Shared set-up of the OpenID Connect tests: client registration and sign-in."""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from authn.models import Application, LivenessLevel

from .conftest import END_USER_PASSWORD
from .faces import face_bytes
from .relying_party import RelyingParty, ScriptedBrowser

CLIENT_SECRET = "relying party secret, only for tests"
# The scripted browser stops at this URL, so nothing listens on it.
REDIRECT_URI = "https://rp.example.test/callback"
POST_LOGOUT_REDIRECT_URI = "https://rp.example.test/signed-out"
ENROLL_PHOTO = "people/obama/obama.jpg"


def register_client(
    app,
    secret=CLIENT_SECRET,
    redirect_uri=REDIRECT_URI,
    client_type=Application.CLIENT_CONFIDENTIAL,
):
    """Give ``app`` a known secret and the test redirect URIs; return the app."""
    app.client_secret = secret
    app.client_type = client_type
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.algorithm = Application.RS256_ALGORITHM
    app.redirect_uris = redirect_uri
    app.post_logout_redirect_uris = POST_LOGOUT_REDIRECT_URI
    app.save()
    return app


def turn_liveness_off(pool):
    """Let still photos pass the face step: these tests check the protocol, and
    passive liveness detection rejects a photo shown as a camera frame."""
    pool.liveness = LivenessLevel.OFF
    pool.save(update_fields=["liveness"])


def issuer_of(live_server, pool):
    return f"{live_server.url}/oidc/{pool.pk}"


def relying_party(live_server, app, secret=CLIENT_SECRET, **options):
    return RelyingParty(
        issuer_of(live_server, app.pool), app.client_id, secret, REDIRECT_URI, **options
    )


def sign_in(
    live_server, rp, identifier, password, face_photo=None, browser=None, **params
):
    """Run an authorization request through the hosted login and return the
    callback URL the provider redirected to.

    :param face_photo: photo (relative path in the shared set) to upload when
        the face step appears; None fails the sign-in if it appears.
    :param browser: the :class:`ScriptedBrowser` to use; a new one by default.
    """
    browser = browser or ScriptedBrowser(live_server.url)
    result = browser.open(rp.authorization_url(**params))
    assert result.left_to is None, result.left_to

    result = browser.submit_password(result.response, identifier, password)
    if result.left_to is None and "/face/" in result.url:
        assert face_photo is not None, "the face step appeared unexpectedly"
        frames = [face_bytes(face_photo)] * 3
        result = browser.pass_face_step(result.response, frames)

    assert result.left_to is not None, result.url
    return result.left_to


# Helpers for tests that use Django's test client as the browser.


def pkce_pair():
    """Return (code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, challenge


def authorization_path(app, **params):
    """Return an authorization request path for ``app`` with PKCE, state and nonce."""
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "state-" + secrets.token_urlsafe(8),
        "nonce": "nonce-" + secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    query = {key: value for key, value in query.items() if value is not None}
    return (
        reverse("oidc:authorize", kwargs={"pool_id": app.pool_id})
        + "?"
        + urlencode(query)
    )


def is_code_redirect(response):
    location = response.headers.get("Location", "")
    return (
        response.status_code == 302
        and location.startswith(REDIRECT_URI + "?")
        and "code=" in location
    )


def password_sign_in(client, app, identifier="alice", password=None):
    """Post the hosted login form of ``app`` with Django's test client."""
    return client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": identifier, "password": password or END_USER_PASSWORD},
    )


def pass_face_step(client, app, photo=ENROLL_PHOTO):
    """Run one face step attempt of ``app`` with Django's test client and return
    the JSON response. The pool's liveness check must be off for a still photo."""
    page = client.get(reverse("mfa_face:step", args=[app.client_id]))
    assert page.status_code == 200, page
    mode = page.context["mode"]
    transaction_id = page.context["transaction_id"]

    challenge = client.post(
        reverse("mfa_face:challenge", args=[app.client_id]),
        {"transaction": transaction_id},
    )
    uploads = [
        SimpleUploadedFile(f"frame-{index}.jpg", face_bytes(photo), "image/jpeg")
        for index in range(3)
    ]
    return client.post(
        reverse(f"mfa_face:{mode}", args=[app.client_id]),
        {
            "transaction": transaction_id,
            "challenge": challenge.json()["nonce"],
            "frame": uploads,
        },
    )


def follow_to_code(client, response):
    """Follow the provider's redirects from ``response`` until the redirect to
    the relying party; return that last response."""
    for _ in range(10):
        if response.status_code != 302 or response["Location"].startswith(REDIRECT_URI):
            return response
        response = client.get(response["Location"])
    raise AssertionError("too many redirects")
