"""Per-pool discovery documents and JWKS, checked with Authlib's metadata models."""

import pytest
import requests
from authlib.oidc.discovery import OpenIDProviderMetadata

from .oidc_setup import issuer_of

pytestmark = pytest.mark.django_db(transaction=True)


def discovery(live_server, pool):
    url = issuer_of(live_server, pool) + "/.well-known/openid-configuration"
    return requests.get(url, timeout=10)


def test_discovery_document_is_valid_metadata(live_server, pool):
    response = discovery(live_server, pool)

    assert response.status_code == 200
    OpenIDProviderMetadata(response.json()).validate()


def test_issuer_is_pool_url(live_server, pool):
    document = discovery(live_server, pool).json()

    assert document["issuer"] == f"{live_server.url}/oidc/{pool.pk}"


def test_endpoints_live_under_issuer(live_server, pool):
    document = discovery(live_server, pool).json()
    issuer = document["issuer"]

    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ):
        assert document[name].startswith(issuer + "/"), name


def test_discovery_advertises_supported_protocol(live_server, pool):
    document = discovery(live_server, pool).json()

    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "client_secret_basic" in document["token_endpoint_auth_methods_supported"]
    assert "client_secret_post" in document["token_endpoint_auth_methods_supported"]
    assert {"amr", "acr", "auth_time", "nonce"} <= set(document["claims_supported"])


def test_each_pool_has_own_issuer_and_keys(live_server, pool, admin):
    other_pool = admin.user_pools.create(name="Pool B")

    first = discovery(live_server, pool).json()
    second = discovery(live_server, other_pool).json()
    first_keys = requests.get(first["jwks_uri"], timeout=10).json()["keys"]
    second_keys = requests.get(second["jwks_uri"], timeout=10).json()["keys"]

    assert first["issuer"] != second["issuer"]
    assert {key["kid"] for key in first_keys}.isdisjoint(
        key["kid"] for key in second_keys
    )


def test_jwks_publishes_public_rsa_key_only(live_server, pool):
    jwks_uri = discovery(live_server, pool).json()["jwks_uri"]

    keys = requests.get(jwks_uri, timeout=10).json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["use"] == "sig"
    assert "d" not in keys[0]
    assert "p" not in keys[0]


def test_unknown_pool_is_404(live_server, pool):
    url = f"{live_server.url}/oidc/{pool.pk + 1000}/.well-known/openid-configuration"

    assert requests.get(url, timeout=10).status_code == 404
