"""Tenancy: an administrator reaches only the pools they own and what is inside.

The routes come from console/urls.py itself, so a console URL added later
is covered as soon as it is routed.
"""

import numpy as np
import pytest
from django.urls import URLResolver, reverse

from authn.models import Application, EndUser, UserPool
from console import urls as console_urls
from mfa_face.models import FaceDevice

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

# Values every console route may need; a route with another parameter fails
# test_every_route_parameter_is_known until it is added here.
KNOWN_PARAMETERS = {"pool_id", "app_id", "user_id", "client_id"}

# Routes that must be among those found, so the enumeration cannot silently
# come back empty.
EXPECTED_OBJECT_ROUTES = {
    "console:app_list",
    "console:app_create",
    "console:app_detail",
    "console:app_basic",
    "console:app_secret_rotate",
    "console:app_delete",
    "console:app_custom_rules",
    "console:app_face_mfa",
    "console:pool_rename",
    "console:pool_delete",
    "console:pool_mfa",
    "console:pool_face_mfa",
    "console:pool_liveness",
    "console:pool_mfa_password",
    "console:pool_mfa_scan_code",
    "console:user_list",
    "console:user_create",
    "console:user_detail",
    "console:user_enable",
    "console:user_disable",
    "console:user_reset_face",
    "console:user_delete",
}


def iter_routes(patterns, namespace="console", parameters=frozenset()):
    """Yield (route name, parameter names) for every named console URL pattern."""
    for entry in patterns:
        names = parameters | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            child = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from iter_routes(entry.url_patterns, child, names)
        elif entry.name:
            yield f"{namespace}:{entry.name}", names


def object_routes():
    """Return (route name, parameter names) of the routes that name an object."""
    return [
        (name, parameters)
        for name, parameters in iter_routes(console_urls.urlpatterns)
        if parameters
    ]


def route_url(name, parameters, values):
    return reverse(name, kwargs={key: values[key] for key in parameters})


@pytest.fixture
def face_device(end_user):
    device = FaceDevice(user=end_user, name="Face", confirmed=True)
    device.descriptors = np.zeros((1, 128))
    device.save()
    return device


@pytest.fixture
def victim_values(pool, app, end_user, face_device):
    return {
        "pool_id": pool.pk,
        "app_id": app.pk,
        "user_id": end_user.pk,
        "client_id": app.client_id,
    }


# Valid for every form of the console, so a POST that passed the lookup
# would change something and the checks after it would notice.
POST_DATA = {
    "enabled": "on",
    "name": "Taken over",
    "confirm_name": "Pool A",
    "liveness": "off",
    "redirect_uris": "https://attacker.example/cb",
    "post_logout_redirect_uris": "",
    "username": "intruder",
    "email": "",
    "phone": "",
    "password": "a long passphrase",
}


def test_routes_are_enumerated():
    names = {name for name, _ in object_routes()}
    missing = EXPECTED_OBJECT_ROUTES - names
    assert missing == set()


def test_every_route_parameter_is_known():
    unknown = {
        name: sorted(parameters - KNOWN_PARAMETERS)
        for name, parameters in object_routes()
        if parameters - KNOWN_PARAMETERS
    }
    assert unknown == {}


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_administrator_gets_404_on_every_route(
    client, other_admin, victim_values, method
):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    answers = {}
    for name, parameters in object_routes():
        url = route_url(name, parameters, victim_values)
        response = getattr(client, method)(url, POST_DATA if method == "post" else {})
        answers[f"{method.upper()} {url} ({name})"] = response.status_code

    not_found = {route: status for route, status in answers.items() if status != 404}
    assert not_found == {}


def test_other_administrator_changes_nothing(
    client, other_admin, pool, app, end_user, face_device, victim_values
):
    secret_hash = app.client_secret
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    for name, parameters in object_routes():
        client.post(route_url(name, parameters, victim_values), POST_DATA)

    pool.refresh_from_db()
    app.refresh_from_db()
    end_user.refresh_from_db()
    assert pool.name == "Pool A"
    assert pool.face_mfa_enabled is False
    assert pool.liveness == "passive"
    assert app.name == "App A"
    assert app.custom_security_rules is False
    assert app.client_secret == secret_hash
    assert app.redirect_uris == ""
    assert end_user.is_active is True
    assert FaceDevice.objects.filter(pk=face_device.pk).exists()
    assert not EndUser.objects.filter(username="intruder").exists()
    assert not Application.objects.filter(pool=pool).exclude(pk=app.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_cross_pool_object_is_404(client, admin, victim_values, method):
    second_pool = UserPool.objects.create(owner=admin, name="Second")
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    values = {**victim_values, "pool_id": second_pool.pk}

    answers = {}
    for name, parameters in object_routes():
        if not parameters & {"app_id", "user_id"}:
            continue
        url = route_url(name, parameters, values)
        response = getattr(client, method)(url, POST_DATA if method == "post" else {})
        answers[f"{method.upper()} {url} ({name})"] = response.status_code

    not_found = {route: status for route, status in answers.items() if status != 404}
    assert answers != {}
    assert not_found == {}


def test_owner_reaches_every_route(client, admin, victim_values):
    """The 404s above come from ownership: the owner gets no 404 on the same URLs."""
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    not_found = []
    for name, parameters in object_routes():
        url = route_url(name, parameters, victim_values)
        if client.get(url).status_code == 404:
            not_found.append(f"GET {url} ({name})")
    assert not_found == []


def test_pool_switcher_rejects_other_administrators_pool(client, other_admin, pool):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.post(reverse("console:pool_switch"), {"pool": pool.pk})
    assert response.status_code == 404


def test_pool_list_shows_only_own_pools(client, other_admin, pool):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.get(reverse("console:pool_list"))
    assert pool.name.encode() not in response.content


def test_header_switcher_lists_only_own_pools(client, other_admin, pool):
    UserPool.objects.create(owner=other_admin, name="Other pool")
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.get(reverse("console:pool_list"))
    assert [item.name for item in response.context["pools"]] == ["Other pool"]


def test_session_pool_of_other_administrator_is_ignored(client, other_admin, pool):
    """A current-pool id planted in the session never opens a foreign pool."""
    own_pool = UserPool.objects.create(owner=other_admin, name="Own")
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    session = client.session
    session["console.current_pool"] = pool.pk
    session.save()

    response = client.get(reverse("console:home"))
    assert response["Location"] == reverse("console:app_list", args=[own_pool.pk])
