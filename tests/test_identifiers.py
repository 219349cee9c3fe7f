"""Phone numbers are normalized to E.164, with the pool's default country."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from authn.identifiers import normalize_phone
from authn.models import EndUser

from .conftest import ADMIN_PASSWORD, END_USER_PASSWORD


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("+1 (202) 555-0100", None, "+12025550100"),
        ("001 202 555 0100", None, "+12025550100"),
        ("(202) 555-0100", "US", "+12025550100"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_normalize_phone(value, country, expected):
    assert normalize_phone(value, country) == expected


@pytest.mark.parametrize(
    ("value", "country"),
    [("(202) 555-0100", None), ("12345", "US"), ("not a number", "US"), ("", "US")],
)
def test_normalize_phone_rejects(value, country):
    with pytest.raises(ValidationError):
        normalize_phone(value, country)


@pytest.fixture
def us_pool(pool):
    pool.default_country = "US"
    pool.save()
    return pool


@pytest.mark.django_db
def test_national_number_signs_in_with_default_country(client, us_pool, app, end_user):
    response = client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "(202) 555-0100", "password": END_USER_PASSWORD},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_national_number_fails_without_default_country(client, pool, app, end_user):
    response = client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": "(202) 555-0100", "password": END_USER_PASSWORD},
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_create_user_reads_national_number_in_default_country(client, admin, us_pool):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    client.post(
        reverse("console:user_create", args=[us_pool.pk]),
        {
            "username": "bob",
            "email": "",
            "phone": "202-555-0199",
            "password": "a long passphrase",
        },
    )
    assert EndUser.objects.get(pool=us_pool, username="bob").phone == "+12025550199"


@pytest.mark.django_db
def test_pool_form_rejects_unknown_country(client, admin, pool):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    url = reverse("console:pool_rename", args=[pool.pk])
    response = client.post(url, {"name": pool.name, "default_country": "XX"})
    assert response.status_code == 400
    pool.refresh_from_db()
    assert pool.default_country == ""


@pytest.mark.django_db
def test_pool_form_saves_country_upper_case(client, admin, pool):
    client.login(username=admin.username, password=ADMIN_PASSWORD)
    url = reverse("console:pool_rename", args=[pool.pk])
    client.post(url, {"name": pool.name, "default_country": "gb"})
    pool.refresh_from_db()
    assert pool.default_country == "GB"
