"""The OpenID Connect part of seed_demo's output works with a standard client."""

import base64
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("seed_demo", "--base-url", "http://testserver")
    return json.loads(capsys.readouterr().out)


def basic_auth(client_id, secret):
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return f"Basic {value}"


def token_request(client, demo, secret):
    return client.post(
        demo["issuer"].removeprefix("http://testserver") + "/token/",
        {
            "grant_type": "authorization_code",
            "code": "not-a-code",
            "redirect_uri": demo["redirect_uri"],
        },
        HTTP_AUTHORIZATION=basic_auth(demo["client_id"], secret),
    )


def test_seed_demo_prints_oidc_keys(demo):
    assert {"console_url", "hosted_login_url", "user_password"} <= set(demo)
    assert {"issuer", "client_id", "client_secret", "redirect_uri"} <= set(demo)


def test_demo_issuer_serves_discovery(client, demo):
    path = demo["issuer"].removeprefix("http://testserver")
    response = client.get(path + "/.well-known/openid-configuration")

    assert response.status_code == 200
    assert response.json()["issuer"] == demo["issuer"]


def test_demo_redirect_uri_is_on_localhost(demo):
    assert demo["redirect_uri"].startswith("http://localhost:")


def test_demo_client_secret_authenticates(client, demo):
    response = token_request(client, demo, demo["client_secret"])

    assert response.json()["error"] == "invalid_grant"


def test_demo_wrong_secret_is_rejected(client, demo):
    response = token_request(client, demo, "wrong")

    assert response.json()["error"] == "invalid_client"


def test_demo_redirect_uri_is_registered(client, demo):
    authorize = demo["issuer"].removeprefix("http://testserver") + "/authorize/"
    response = client.get(
        authorize,
        {
            "response_type": "code",
            "client_id": demo["client_id"],
            "redirect_uri": demo["redirect_uri"],
            "scope": "openid",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("authn:login", args=[demo["client_id"]])
