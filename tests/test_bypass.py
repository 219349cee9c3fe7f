"""No route treats a password-only session as signed in when face MFA applies.

The routes come from the URL configuration itself, so a new view is covered
as soon as it is routed.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import END_USER_PASSWORD

pytestmark = pytest.mark.django_db

# Steps of the hosted login that a password-only session may use: the
# password page itself, the face step with its upload endpoints, and the
# recovery code form that replaces the face step.
FIRST_FACTOR_STEPS = {
    "authn:login",
    "mfa_face:step",
    "mfa_face:enroll",
    "mfa_face:verify",
    "mfa_recovery:use",
}

SIGNED_IN_MARKERS = ["You are signed in", "signed-in-user"]


def iter_routes(resolver=None, prefix="", namespace=""):
    """Yield (route name, regex of the full path, converters) for every URL pattern."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            child_namespace = namespace
            if entry.namespace:
                child_namespace = f"{namespace}{entry.namespace}:"
            yield from iter_routes(entry, pattern, child_namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else pattern
            yield name, pattern


def build_path(pattern, values):
    """Fill a route's ``<converter:name>`` placeholders with fixture values."""

    def replace(match):
        name = match.group("name")
        return str(values.get(name, "1"))

    path = re.sub(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>", replace, pattern)
    if path.startswith("^"):
        path = path[1:]
    return "/" + path.rstrip("$")


def looks_signed_in(response, end_user):
    """Return a reason when ``response`` treats the session as signed in, else None."""
    location = response.headers.get("Location", "")
    if "code=" in location:
        return f"redirects with an authorization code: {location}"

    body = response.content.decode(errors="replace")
    if str(end_user.sub) in body:
        return "shows the end user's subject identifier"

    for marker in SIGNED_IN_MARKERS:
        if marker in body:
            return f"shows {marker!r}"
    return None


@pytest.fixture
def password_only(client, face_app, end_user):
    response = client.post(
        f"/login/{face_app.client_id}/",
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    assert response["Location"] == f"/login/{face_app.client_id}/face/"
    return client


@pytest.fixture
def route_values(face_app, end_user):
    return {
        "client_id": face_app.client_id,
        "pool_id": face_app.pool_id,
        "app_id": face_app.pk,
        "user_id": end_user.pk,
    }


def test_routes_are_enumerated():
    names = {name for name, _ in iter_routes()}
    assert {"authn:done", "authn:me", "console:home"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_route_accepts_password_only_session(
    password_only, route_values, end_user, method
):
    failures = []
    for name, pattern in iter_routes():
        if name in FIRST_FACTOR_STEPS:
            continue
        path = build_path(pattern, route_values)
        response = getattr(password_only, method)(path)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {path} ({name}): {response.status_code}")
            continue
        reason = looks_signed_in(response, end_user)
        if reason:
            failures.append(f"{method.upper()} {path} ({name}): {reason}")
    assert failures == []


def test_detector_flags_a_real_sign_in(client, app, end_user):
    """The check above can fail: a completed sign-in is detected on the same pages."""
    client.post(
        f"/login/{app.client_id}/",
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    response = client.get(f"/login/{app.client_id}/me/")
    assert looks_signed_in(response, end_user) is not None


def test_back_button_after_sign_out_shows_no_signed_in_page(client, app, end_user):
    client.post(
        f"/login/{app.client_id}/",
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    client.post(f"/login/{app.client_id}/logout/")
    response = client.get(f"/login/{app.client_id}/done/")
    assert looks_signed_in(response, end_user) is None


def test_signed_in_pages_are_not_cached(client, app, end_user):
    client.post(
        f"/login/{app.client_id}/",
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    response = client.get(f"/login/{app.client_id}/done/")
    assert "no-store" in response.headers["Cache-Control"]
