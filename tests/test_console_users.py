"""User Management: create, search, pages, details, reset face, disable, delete."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from authn.models import EndUser, UserPool
from mfa_face.models import FaceDevice
from mfa_recovery.factor import issue_codes, remaining

from .conftest import ADMIN_PASSWORD, END_USER_PASSWORD

pytestmark = pytest.mark.django_db

ENROLLED_AT = datetime(2026, 3, 4, 9, 15, tzinfo=UTC)
VERIFIED_AT = datetime(2026, 5, 6, 17, 45, tzinfo=UTC)


@pytest.fixture
def console(client, admin):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    return client


@pytest.fixture
def face_device(end_user):
    device = FaceDevice(
        user=end_user,
        name="Face",
        confirmed=True,
        enrolled_at=ENROLLED_AT,
        last_verified_at=VERIFIED_AT,
    )
    device.descriptors = np.zeros((1, 128))
    device.save()
    return device


def user_url(name, end_user):
    return reverse(name, args=[end_user.pool_id, end_user.pk])


def make_users(pool, count):
    EndUser.objects.bulk_create(
        EndUser(pool=pool, username=f"user{number:02d}", password="!")
        for number in range(count)
    )


def test_create_user(console, pool):
    response = console.post(
        reverse("console:user_create", args=[pool.pk]),
        {
            "username": "bob",
            "email": "",
            "phone": "+44 20 7946 0958",
            "password": "a long passphrase",
        },
    )
    assert response["Location"] == reverse("console:user_list", args=[pool.pk])

    user = EndUser.objects.get(pool=pool, username="bob")
    assert user.phone == "+442079460958"
    assert user.email is None
    assert user.check_password("a long passphrase")


def test_create_user_with_email_only(console, pool):
    console.post(
        reverse("console:user_create", args=[pool.pk]),
        {"email": "Carol@Example.com", "password": "a long passphrase"},
    )
    user = EndUser.objects.get(pool=pool, email="carol@example.com")
    assert user.username is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "alice"}, "username"),
        ({"email": "ALICE@example.com"}, "email"),
        ({"phone": "+1 202 555 0100"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"username": "a@b"}, "username"),
        ({"username": "carol", "password": "123"}, "password"),
        ({}, "__all__"),
    ],
    ids=[
        "duplicate_username",
        "duplicate_email",
        "duplicate_phone",
        "bad_email",
        "bad_phone",
        "username_with_at",
        "weak_password",
        "no_identifier",
    ],
)
def test_create_user_rejects(console, pool, end_user, data, field):
    response = console.post(
        reverse("console:user_create", args=[pool.pk]),
        {
            "username": "",
            "email": "",
            "phone": "",
            "password": "a long passphrase",
            **data,
        },
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert EndUser.objects.filter(pool=pool).count() == 1


def test_create_user_error_is_shown_inline(console, pool, end_user):
    response = console.post(
        reverse("console:user_create", args=[pool.pk]),
        {"username": "alice", "password": "a long passphrase"},
    )
    assert b"A user with this username already exists in this pool." in (
        response.content
    )


def test_same_username_in_another_pool_is_allowed(console, admin, end_user):
    second = UserPool.objects.create(owner=admin, name="Second")
    response = console.post(
        reverse("console:user_create", args=[second.pk]),
        {"username": "alice", "password": "a long passphrase"},
    )
    assert response.status_code == 302


def test_user_list_shows_users(console, pool, end_user):
    response = console.get(reverse("console:user_list", args=[pool.pk]))
    assert list(response.context["users"]) == [end_user]
    assert b"alice" in response.content


def test_user_list_shows_face_enrollment(console, pool, end_user, face_device):
    response = console.get(reverse("console:user_list", args=[pool.pk]))
    assert b"Not enrolled" not in response.content
    assert b"Enrolled" in response.content


@pytest.mark.parametrize(
    "query",
    ["ali", "ALICE", "example.com", "+12025550100", "202 555 0100", "555-0100"],
)
def test_search_finds_user(console, pool, end_user, query):
    EndUser.objects.create(
        pool=pool, username="bob", phone="+442079460958", password="!"
    )
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"q": query})
    assert list(response.context["users"]) == [end_user]


def test_search_without_match(console, pool, end_user):
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"q": "zed"})
    assert list(response.context["users"]) == []
    assert "0 users match “zed”.".encode() in response.content


def test_search_counts_matches(console, pool, end_user):
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"q": "ali"})
    assert "1 user matches “ali”.".encode() in response.content


def test_search_stays_in_pool(console, admin, pool, end_user):
    second = UserPool.objects.create(owner=admin, name="Second")
    EndUser.objects.create(pool=second, username="alice2", password="!")
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"q": "alice"})
    assert list(response.context["users"]) == [end_user]


def test_user_list_pages_by_twenty(console, pool):
    make_users(pool, 45)
    url = reverse("console:user_list", args=[pool.pk])

    first = console.get(url)
    last = console.get(url, {"page": 3})
    assert len(first.context["users"]) == 20
    assert first.context["page"].paginator.num_pages == 3
    assert len(last.context["users"]) == 5
    assert [user.username for user in last.context["users"]][0] == "user40"


@pytest.mark.parametrize(("page", "number"), [("0", 3), ("99", 3), ("abc", 1)])
def test_user_list_invalid_page(console, pool, page, number):
    make_users(pool, 45)
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == number


def test_page_links_keep_search(console, pool):
    make_users(pool, 25)
    response = console.get(reverse("console:user_list", args=[pool.pk]), {"q": "user"})
    assert b'href="?q=user&amp;page=2"' in response.content


def test_user_details_show_face_enrollment(console, end_user, face_device):
    response = console.get(user_url("console:user_detail", end_user))
    html = response.content.decode()
    assert response.context["face_device"] == face_device
    assert "2026-03-04 09:15" in html
    assert "2026-05-06 17:45" in html


def test_user_details_without_enrollment(console, end_user):
    response = console.get(user_url("console:user_detail", end_user))
    assert response.context["face_device"] is None
    assert b"Not enrolled" in response.content


def test_reset_face_page_asks_for_confirmation(console, end_user, face_device):
    response = console.get(user_url("console:user_reset_face", end_user))
    assert b"Reset the face of alice" in response.content
    assert FaceDevice.objects.filter(pk=face_device.pk).exists()


def test_reset_face_deletes_template(console, end_user, face_device):
    response = console.post(user_url("console:user_reset_face", end_user))
    assert response["Location"] == user_url("console:user_detail", end_user)
    assert not FaceDevice.objects.filter(user=end_user).exists()


def test_user_detail_shows_recovery_codes_left(console, end_user, face_device):
    issue_codes(end_user)
    response = console.get(user_url("console:user_detail", end_user))
    assert response.context["recovery_codes_left"] == 10
    assert b"Recovery codes left" in response.content


def test_reset_face_revokes_recovery_codes(console, end_user, face_device):
    issue_codes(end_user)
    console.post(user_url("console:user_reset_face", end_user))
    assert remaining(end_user) == 0


def test_reset_face_restarts_enrollment(console, face_app, end_user, face_device):
    console.post(user_url("console:user_reset_face", end_user))

    browser = Client()
    browser.post(
        reverse("authn:login", args=[face_app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    page = browser.get(reverse("mfa_face:step", args=[face_app.client_id]))
    assert page.context["mode"] == "enroll"


def test_disable_user_blocks_sign_in(console, app, end_user):
    response = console.post(user_url("console:user_disable", end_user))
    assert response["Location"] == user_url("console:user_detail", end_user)

    end_user.refresh_from_db()
    assert end_user.is_active is False

    sign_in = Client().post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    assert sign_in.status_code == 400


def test_disable_user_ends_current_sign_in(console, app, end_user):
    browser = Client()
    browser.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "alice", "password": END_USER_PASSWORD},
    )
    done = reverse("authn:done", args=[app.client_id])
    assert browser.get(done).status_code == 200

    console.post(user_url("console:user_disable", end_user))
    assert browser.get(done).status_code == 302


def test_enable_user(console, end_user):
    end_user.is_active = False
    end_user.save()

    response = console.post(user_url("console:user_enable", end_user), follow=True)
    end_user.refresh_from_db()
    assert end_user.is_active is True
    assert b"User alice enabled." in response.content


def test_disable_needs_post(console, end_user):
    response = console.get(user_url("console:user_disable", end_user))
    assert response.status_code == 405


def test_delete_user_page_asks_for_confirmation(console, end_user):
    response = console.get(user_url("console:user_delete", end_user))
    assert b"Delete user alice" in response.content
    assert EndUser.objects.filter(pk=end_user.pk).exists()


def test_delete_user(console, pool, end_user, face_device):
    response = console.post(user_url("console:user_delete", end_user))
    assert response["Location"] == reverse("console:user_list", args=[pool.pk])
    assert not EndUser.objects.filter(pk=end_user.pk).exists()
    assert not FaceDevice.objects.filter(pk=face_device.pk).exists()
