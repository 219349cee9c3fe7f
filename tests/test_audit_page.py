"""The console's audit log page: listing, filters, pagination and tenancy."""

import datetime

import pytest
from django.urls import reverse

from audit.events import EventType, record
from audit.models import AuditEvent
from authn.models import Application, EndUser, UserPool

pytestmark = pytest.mark.django_db


def page_url(pool, **query):
    url = reverse("audit:event_list", args=[pool.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def set_time(row, year, month, day, hour=12):
    stamp = datetime.datetime(year, month, day, hour, tzinfo=datetime.UTC)
    AuditEvent.objects.filter(pk=row.pk).update(created_at=stamp)


@pytest.fixture
def owner_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def other_app(pool):
    return Application.objects.create(
        pool=pool,
        user=pool.owner,
        name="App B",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )


@pytest.fixture
def carol(pool):
    user = EndUser(pool=pool, username="carol", email="carol@example.org")
    user.set_password("another long password")
    user.save()
    return user


@pytest.fixture
def foreign_pool(other_admin):
    return UserPool.objects.create(owner=other_admin, name="Pool B")


def listed(response):
    return [event.pk for event in response.context["events"]]


def test_owner_sees_events_newest_first(owner_client, pool, end_user):
    older = record(EventType.FACE_ENROLLED, end_user=end_user)
    newer = record(EventType.FACE_VERIFIED, end_user=end_user)
    set_time(older, 2026, 1, 1)
    set_time(newer, 2026, 1, 2)
    response = owner_client.get(page_url(pool))
    assert response.status_code == 200
    assert listed(response) == [newer.pk, older.pk]


def test_page_shows_event_fields(owner_client, pool, app, end_user):
    record(EventType.FACE_REJECTED, app=app, end_user=end_user, distance=0.61)
    response = owner_client.get(page_url(pool))
    assert b"Face rejected" in response.content
    assert b"alice" in response.content
    assert b"App A" in response.content
    assert b"distance=0.61" in response.content


def test_page_highlights_audit_section(owner_client, pool):
    response = owner_client.get(page_url(pool))
    assert response.context["section"] == "audit"


def test_other_pools_events_are_not_listed(owner_client, pool, foreign_pool):
    record(EventType.FACE_RESET, pool=foreign_pool)
    response = owner_client.get(page_url(pool))
    assert listed(response) == []


def test_other_administrators_pool_is_404(owner_client, foreign_pool):
    response = owner_client.get(page_url(foreign_pool))
    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client, pool):
    response = client.get(page_url(pool))
    assert response.status_code == 302
    assert response.url.startswith(reverse("console:login"))


def test_filter_by_event_type(owner_client, pool, end_user):
    record(EventType.FACE_VERIFIED, end_user=end_user)
    rejected = record(EventType.FACE_REJECTED, end_user=end_user)
    response = owner_client.get(page_url(pool, event="face_rejected"))
    assert listed(response) == [rejected.pk]


def test_unknown_event_type_is_400(owner_client, pool, end_user):
    record(EventType.FACE_VERIFIED, end_user=end_user)
    response = owner_client.get(page_url(pool, event="nope"))
    assert response.status_code == 400
    assert "event" in response.context["form"].errors
    assert listed(response) == []


def test_filter_by_user_text(owner_client, pool, end_user, carol):
    record(EventType.FACE_VERIFIED, end_user=end_user)
    carols = record(EventType.FACE_VERIFIED, end_user=carol)
    response = owner_client.get(page_url(pool, user="CAR"))
    assert listed(response) == [carols.pk]


def test_filter_by_user_email(owner_client, pool, end_user, carol):
    record(EventType.FACE_VERIFIED, end_user=end_user)
    carols = record(EventType.FACE_VERIFIED, end_user=carol)
    response = owner_client.get(page_url(pool, user="example.org"))
    assert listed(response) == [carols.pk]


def test_filter_by_typed_identifier(owner_client, pool, app):
    failed = record(EventType.SIGN_IN_FAILED, app=app, identifier="mallory")
    record(EventType.SIGN_IN_FAILED, app=app, identifier="trent")
    response = owner_client.get(page_url(pool, user="mall"))
    assert listed(response) == [failed.pk]


def test_filter_by_app(owner_client, pool, app, other_app):
    mine = record(EventType.SIGN_IN_SUCCEEDED, app=app)
    record(EventType.SIGN_IN_SUCCEEDED, app=other_app)
    response = owner_client.get(page_url(pool, app=app.pk))
    assert listed(response) == [mine.pk]


def test_app_of_other_pool_is_400(owner_client, pool, foreign_pool, other_admin):
    foreign_app = Application.objects.create(
        pool=foreign_pool,
        user=other_admin,
        name="Foreign",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )
    response = owner_client.get(page_url(pool, app=foreign_app.pk))
    assert response.status_code == 400
    assert "app" in response.context["form"].errors


def test_filter_by_date_range(owner_client, pool, end_user):
    rows = [record(EventType.FACE_VERIFIED, end_user=end_user) for _ in range(3)]
    set_time(rows[0], 2026, 3, 1)
    set_time(rows[1], 2026, 3, 2, hour=23)
    set_time(rows[2], 2026, 3, 3)
    response = owner_client.get(
        page_url(pool, date_from="2026-03-02", date_to="2026-03-02")
    )
    assert listed(response) == [rows[1].pk]


def test_date_from_alone_is_inclusive(owner_client, pool, end_user):
    rows = [record(EventType.FACE_VERIFIED, end_user=end_user) for _ in range(2)]
    set_time(rows[0], 2026, 3, 1, hour=23)
    set_time(rows[1], 2026, 3, 2, hour=0)
    response = owner_client.get(page_url(pool, date_from="2026-03-02"))
    assert listed(response) == [rows[1].pk]


def test_reversed_date_range_is_400(owner_client, pool):
    response = owner_client.get(
        page_url(pool, date_from="2026-03-02", date_to="2026-03-01")
    )
    assert response.status_code == 400
    assert "date_to" in response.context["form"].errors


def test_invalid_date_is_400(owner_client, pool):
    response = owner_client.get(page_url(pool, date_from="yesterday"))
    assert response.status_code == 400
    assert "date_from" in response.context["form"].errors


def test_extreme_dates_are_accepted(owner_client, pool, end_user):
    row = record(EventType.FACE_VERIFIED, end_user=end_user)
    response = owner_client.get(
        page_url(pool, date_from="0001-01-01", date_to="9999-12-31")
    )
    assert response.status_code == 200
    assert listed(response) == [row.pk]


def test_pages_split_events(settings, owner_client, pool, end_user):
    settings.AUDIT_PAGE_SIZE = 2
    rows = [record(EventType.FACE_VERIFIED, end_user=end_user) for _ in range(3)]
    for day, row in enumerate(rows, start=1):
        set_time(row, 2026, 4, day)
    response = owner_client.get(page_url(pool, page=2))
    assert listed(response) == [rows[0].pk]


def test_page_links_keep_filters(settings, owner_client, pool, end_user):
    settings.AUDIT_PAGE_SIZE = 1
    for _ in range(2):
        record(EventType.FACE_VERIFIED, end_user=end_user)
    response = owner_client.get(page_url(pool, event="face_verified"))
    assert b"?event=face_verified&amp;page=2" in response.content


def test_invalid_page_number_shows_last_page(settings, owner_client, pool, end_user):
    settings.AUDIT_PAGE_SIZE = 1
    rows = [record(EventType.FACE_VERIFIED, end_user=end_user) for _ in range(2)]
    set_time(rows[0], 2026, 4, 1)
    set_time(rows[1], 2026, 4, 2)
    response = owner_client.get(page_url(pool, page=99))
    assert response.status_code == 200
    assert listed(response) == [rows[0].pk]
