"""Authorization code flow with PKCE, through Authlib's client and a live server."""

import time

import pytest

from oidc.claims import ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR

from .conftest import END_USER_PASSWORD
from .oidc_setup import (
    ENROLL_PHOTO,
    REDIRECT_URI,
    issuer_of,
    register_client,
    relying_party,
    sign_in,
    turn_liveness_off,
)
from .relying_party import query_params

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_app(app):
    return register_client(app)


def test_password_sign_in_returns_code_with_state(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    callback = sign_in(live_server, rp, "alice", END_USER_PASSWORD)

    params = query_params(callback)
    assert callback.startswith(REDIRECT_URI + "?")
    assert params["state"] == rp.state
    assert params["code"]
    assert params["iss"] == issuer_of(live_server, client_app.pool)


def test_id_token_verifies_with_published_jwks(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    claims, header = rp.validate_id_token(token)

    assert header["alg"] == "RS256"
    assert header["kid"] in {key["kid"] for key in rp.jwks()["keys"]}
    assert claims["iss"] == issuer_of(live_server, client_app.pool)
    assert claims["aud"] == client_app.client_id
    assert claims["nonce"] == rp.nonce


def test_id_token_claims_describe_password_sign_in(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    before = int(time.time())
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    claims, _ = rp.validate_id_token(token)

    assert claims["sub"] == str(end_user.sub)
    assert claims["sub"] != end_user.username
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == ACR_SINGLE_FACTOR
    assert before - 1 <= claims["auth_time"] <= claims["iat"]
    assert claims["exp"] > claims["iat"]


def test_face_step_adds_face_and_mfa_to_amr(live_server, face_app, end_user):
    register_client(face_app)
    turn_liveness_off(face_app.pool)
    rp = relying_party(live_server, face_app)

    callback = sign_in(
        live_server, rp, "alice", END_USER_PASSWORD, face_photo=ENROLL_PHOTO
    )
    claims, _ = rp.validate_id_token(rp.fetch_token(callback))

    assert claims["amr"] == ["pwd", "face", "mfa"]
    assert claims["acr"] == ACR_MULTI_FACTOR


def test_userinfo_returns_claims_of_granted_scopes(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    response = rp.userinfo(token)

    assert response.status_code == 200
    assert response.json() == {
        "sub": str(end_user.sub),
        "preferred_username": "alice",
        "email": "Alice@Example.com",
        "phone_number": "+12025550100",
    }


def test_userinfo_of_openid_scope_is_sub_only(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app, scope="openid")
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    assert rp.userinfo(token).json() == {"sub": str(end_user.sub)}


def test_client_secret_post_exchanges_code(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app, auth_method="client_secret_post")
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    claims, _ = rp.validate_id_token(token)
    assert claims["sub"] == str(end_user.sub)


def test_public_client_exchanges_code_with_pkce_only(live_server, app, end_user):
    register_client(app, secret="", client_type="public")
    rp = relying_party(live_server, app, secret=None, auth_method="none")
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    claims, _ = rp.validate_id_token(token)
    assert claims["aud"] == app.client_id


def test_refresh_token_gets_new_access_token(live_server, client_app, end_user):
    rp = relying_party(live_server, client_app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    refreshed = rp.session.refresh_token(
        rp.metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )

    assert refreshed["access_token"] != token["access_token"]
    assert rp.userinfo(refreshed).json()["sub"] == str(end_user.sub)
