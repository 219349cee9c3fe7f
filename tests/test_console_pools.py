"""User pools: home page, create, list, rename, delete, and the pool switcher."""

import numpy as np
import pytest
from django.urls import reverse

from authn.models import Application, EndUser, UserPool
from mfa_face.models import FaceDevice

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


@pytest.fixture
def face_device(end_user):
    device = FaceDevice(user=end_user, name="Face", confirmed=True)
    device.descriptors = np.zeros((1, 128))
    device.save()
    return device


def test_home_without_pools_goes_to_first_pool_page(console):
    response = console.get(reverse("console:home"))
    assert response["Location"] == reverse("console:pool_create")

    page = console.get(response["Location"])
    assert page.context["first"] is True
    assert b"Create your first user pool" in page.content


def test_home_opens_current_pool(console, admin, pool):
    second = UserPool.objects.create(owner=admin, name="B second")
    console.get(reverse("console:user_list", args=[second.pk]))

    response = console.get(reverse("console:home"))
    assert response["Location"] == reverse("console:app_list", args=[second.pk])


def test_create_pool(console, admin):
    response = console.post(reverse("console:pool_create"), {"name": " Staff "})
    pool = UserPool.objects.get(owner=admin, name="Staff")
    assert response["Location"] == reverse("console:app_list", args=[pool.pk])
    assert console.session["console.current_pool"] == pool.pk


def test_create_pool_shows_confirmation(console):
    page = console.post(reverse("console:pool_create"), {"name": "Staff"}, follow=True)
    assert b"User pool Staff created." in page.content


def test_create_pool_page_after_first_is_not_first(console, pool):
    page = console.get(reverse("console:pool_create"))
    assert page.context["first"] is False


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_pool_rejects_invalid_name(console, admin, name):
    response = console.post(reverse("console:pool_create"), {"name": name})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not UserPool.objects.filter(owner=admin).exists()


def test_create_pool_rejects_duplicate_name(console, pool):
    response = console.post(reverse("console:pool_create"), {"name": "pool a"})
    assert response.status_code == 400
    assert "already have a user pool" in str(response.context["form"].errors["name"])


def test_same_pool_name_for_other_administrator(client, other_admin, pool):
    client.login(username=other_admin.username, password=ADMIN_PASSWORD)
    response = client.post(reverse("console:pool_create"), {"name": pool.name})
    assert response.status_code == 302
    assert UserPool.objects.filter(owner=other_admin, name=pool.name).exists()


def test_pool_list_counts_apps_and_users(console, pool, app, end_user):
    EndUser.objects.create(pool=pool, username="bob", password="!")
    response = console.get(reverse("console:pool_list"))
    row = response.context["pool_rows"].get(pk=pool.pk)
    assert row.app_count == 1
    assert row.user_count == 2


def test_rename_pool(console, pool):
    response = console.post(
        reverse("console:pool_rename", args=[pool.pk]), {"name": "Employees"}
    )
    assert response["Location"] == reverse("console:pool_list")

    pool.refresh_from_db()
    assert pool.name == "Employees"

    page = console.get(response["Location"])
    assert b"User pool Pool A renamed to Employees." in page.content


def test_rename_pool_to_own_name_is_allowed(console, pool):
    response = console.post(
        reverse("console:pool_rename", args=[pool.pk]), {"name": "Pool A"}
    )
    assert response.status_code == 302


def test_rename_pool_rejects_name_of_other_own_pool(console, admin, pool):
    UserPool.objects.create(owner=admin, name="Second")
    response = console.post(
        reverse("console:pool_rename", args=[pool.pk]), {"name": "second"}
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors

    pool.refresh_from_db()
    assert pool.name == "Pool A"


def test_delete_pool_page_names_what_goes(console, pool, app, end_user, face_device):
    response = console.get(reverse("console:pool_delete", args=[pool.pk]))
    html = response.content.decode()
    assert "Delete user pool Pool A" in html
    assert "1 self-built app," in html
    assert "1 end user and 1 face enrollment." in html


def test_delete_pool_rejects_wrong_name(console, pool):
    response = console.post(
        reverse("console:pool_delete", args=[pool.pk]), {"confirm_name": "Pool"}
    )
    assert response.status_code == 400
    assert "confirm_name" in response.context["form"].errors
    assert UserPool.objects.filter(pk=pool.pk).exists()


def test_delete_pool_removes_its_apps_users_and_faces(
    console, pool, app, end_user, face_device
):
    response = console.post(
        reverse("console:pool_delete", args=[pool.pk]), {"confirm_name": "Pool A"}
    )
    assert response["Location"] == reverse("console:pool_list")
    assert not UserPool.objects.filter(pk=pool.pk).exists()
    assert not Application.objects.filter(pk=app.pk).exists()
    assert not EndUser.objects.filter(pk=end_user.pk).exists()
    assert not FaceDevice.objects.filter(pk=face_device.pk).exists()
    assert "console.current_pool" not in console.session

    page = console.get(response["Location"])
    assert b"User pool Pool A deleted." in page.content


def test_delete_pool_keeps_other_pools(console, admin, pool):
    second = UserPool.objects.create(owner=admin, name="Second")
    console.post(
        reverse("console:pool_delete", args=[pool.pk]), {"confirm_name": "Pool A"}
    )

    response = console.get(reverse("console:home"))
    assert response["Location"] == reverse("console:app_list", args=[second.pk])


def test_pool_switcher_sets_current_pool(console, admin, pool):
    second = UserPool.objects.create(owner=admin, name="Second")
    response = console.post(reverse("console:pool_switch"), {"pool": second.pk})
    assert response["Location"] == reverse("console:app_list", args=[second.pk])
    assert console.session["console.current_pool"] == second.pk


@pytest.mark.parametrize(
    ("section", "route"),
    [
        ("apps", "console:app_list"),
        ("users", "console:user_list"),
        ("security", "console:pool_mfa"),
        ("unknown", "console:app_list"),
    ],
)
def test_pool_switcher_keeps_section(console, admin, pool, section, route):
    second = UserPool.objects.create(owner=admin, name="Second")
    response = console.post(
        reverse("console:pool_switch"), {"pool": second.pk, "section": section}
    )
    assert response["Location"] == reverse(route, args=[second.pk])


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-1", "999999"])
def test_pool_switcher_rejects_invalid_pool(console, pool, value):
    response = console.post(reverse("console:pool_switch"), {"pool": value})
    assert response.status_code == 404


def test_header_shows_current_pool_selected(console, admin, pool):
    second = UserPool.objects.create(owner=admin, name="Second")
    response = console.get(reverse("console:user_list", args=[second.pk]))
    assert response.context["current_pool"] == second
    assert f'<option value="{second.pk}" selected>'.encode() in response.content
