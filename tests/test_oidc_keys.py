"""Signing key rotation: new tokens use the new key, the old key stays published
until the tokens it signed have expired."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from oidc import keys
from oidc.models import SigningKey

from .conftest import END_USER_PASSWORD
from .oidc_setup import register_client, relying_party, sign_in

# Transactional throughout, because two tests use the live server.
pytestmark = pytest.mark.django_db(transaction=True)


def test_first_key_is_created_on_demand(pool):
    key = keys.active_signing_key(pool)

    assert key.retired_at is None
    assert keys.active_signing_key(pool) == key


def test_rotation_keeps_old_key_published(pool):
    old = keys.active_signing_key(pool)

    new = keys.rotate_signing_key(pool)

    published = [key["kid"] for key in keys.jwks_document(pool)["keys"]]
    assert published == [new.kid, old.kid]
    assert keys.active_signing_key(pool) == new


def test_old_key_leaves_jwks_after_token_lifetime(pool, settings):
    old = keys.active_signing_key(pool)
    keys.rotate_signing_key(pool)
    lifetime = settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"]
    SigningKey.objects.filter(pk=old.pk).update(
        retired_at=timezone.now() - timedelta(seconds=lifetime + 1)
    )

    published = [key["kid"] for key in keys.jwks_document(pool)["keys"]]

    assert old.kid not in published


def test_rotation_deletes_keys_past_publication(pool, settings):
    old = keys.active_signing_key(pool)
    keys.rotate_signing_key(pool)
    lifetime = settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"]
    SigningKey.objects.filter(pk=old.pk).update(
        retired_at=timezone.now() - timedelta(seconds=lifetime + 1)
    )

    keys.rotate_signing_key(pool)

    assert not SigningKey.objects.filter(pk=old.pk).exists()
    assert SigningKey.objects.filter(pool=pool).count() == 2


def test_rotate_command_rotates_one_pool(pool, admin):
    other_pool = admin.user_pools.create(name="Pool B")
    old = keys.active_signing_key(pool)
    other = keys.active_signing_key(other_pool)

    call_command("rotate_signing_key", str(pool.pk))

    assert keys.active_signing_key(pool) != old
    assert keys.active_signing_key(other_pool) == other


def test_token_signed_before_rotation_still_verifies(live_server, app, end_user):
    register_client(app)
    rp = relying_party(live_server, app)
    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    keys.rotate_signing_key(app.pool)

    claims, header = rp.validate_id_token(token)
    assert claims["sub"] == str(end_user.sub)
    assert header["kid"] != keys.active_signing_key(app.pool).kid


def test_token_after_rotation_uses_new_key(live_server, app, end_user):
    register_client(app)
    keys.active_signing_key(app.pool)
    new = keys.rotate_signing_key(app.pool)
    rp = relying_party(live_server, app)

    token = rp.fetch_token(sign_in(live_server, rp, "alice", END_USER_PASSWORD))

    _, header = rp.validate_id_token(token)
    assert header["kid"] == new.kid
