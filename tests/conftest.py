"""Fixtures shared by the view and browser tests."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from authn.models import Application, EndUser, UserPool

from .faces import face_bytes

END_USER_PASSWORD = "correct horse battery staple"
ADMIN_PASSWORD = "console password 42"


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_user(
        username="owner@example.com", email="owner@example.com", password=ADMIN_PASSWORD
    )


@pytest.fixture
def other_admin(db):
    return get_user_model().objects.create_user(
        username="other@example.com", email="other@example.com", password=ADMIN_PASSWORD
    )


@pytest.fixture
def pool(admin):
    return UserPool.objects.create(owner=admin, name="Pool A")


def create_app(pool, name, **fields):
    """Create a confidential authorization-code app of ``pool`` signing with RS256."""
    return Application.objects.create(
        pool=pool,
        user=pool.owner,
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        **fields,
    )


@pytest.fixture
def app(pool):
    return create_app(pool, "App A")


@pytest.fixture
def face_app(app):
    """An app whose own security rules turn Face Recognition on."""
    app.custom_security_rules = True
    app.face_mfa_enabled = True
    app.save()
    return app


@pytest.fixture
def end_user(pool):
    user = EndUser(
        pool=pool, username="alice", email="Alice@Example.com", phone="+12025550100"
    )
    user.set_password(END_USER_PASSWORD)
    user.save()
    return user


@pytest.fixture
def photo():
    """Return the bytes of a photo from the shared face set, by relative path."""
    return face_bytes


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache, so throttling counters do not leak."""
    cache.clear()
    yield
    cache.clear()
