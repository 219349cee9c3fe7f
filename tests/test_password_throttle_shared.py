"""With REDIS_URL set, server processes share the counts of failed password sign-ins.

The failures are recorded by a second Python process, as another gunicorn
worker would record them, against the local Redis server. Without Redis the
tests are skipped, except under CI, where they fail.
"""

import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.core.checks import run_checks
from django.urls import reverse

from tests.e2e.conftest import ci_requested
from tests.faces import REPO_DIR

from .conftest import END_USER_PASSWORD

pytestmark = pytest.mark.django_db

# Database 15 of the local Redis server, kept apart from a development server's 0.
REDIS_URL = "redis://127.0.0.1:6379/15"

RECORD_FAILURES = """
import sys, types
import django
django.setup()
from authn import throttle
pool = types.SimpleNamespace(pk=int(sys.argv[1]), default_country=sys.argv[5])
for _ in range(int(sys.argv[2])):
    throttle.record_failure(pool, sys.argv[3], sys.argv[4])
"""


def redis_reachable():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def shared_cache(settings):
    """Point the default cache at Redis under a key prefix of this test alone."""
    if not redis_reachable():
        message = f"Redis is not reachable at {REDIS_URL}."
        if ci_requested():
            pytest.fail(message)
        pytest.skip(message)

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_ACCOUNT = 3
    settings.AUTHN_PASSWORD_MAX_FAILURES_PER_IP = 5
    yield prefix

    keys = redis_keys(prefix)
    if keys:
        redis.Redis.from_url(REDIS_URL).delete(*keys)


def redis_keys(prefix):
    client = redis.Redis.from_url(REDIS_URL)
    return [key.decode() for key in client.scan_iter(f"{prefix}:*")]


def record_in_other_process(prefix, pool, count, identifier, ip):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "idp.settings",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            RECORD_FAILURES,
            str(pool.pk),
            str(count),
            identifier,
            ip,
            pool.default_country,
        ],
        cwd=REPO_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr


def sign_in(client, app, identifier, ip):
    return client.post(
        reverse("authn:login", args=[app.client_id]),
        {"identifier": identifier, "password": END_USER_PASSWORD},
        REMOTE_ADDR=ip,
    )


def test_failures_of_other_process_lock_account(client, app, end_user, shared_cache):
    record_in_other_process(shared_cache, app.pool, 3, "alice", "10.0.0.7")
    assert redis_keys(shared_cache)

    response = sign_in(client, app, "alice", "10.0.0.8")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_failures_of_other_process_lock_ip(client, app, end_user, shared_cache):
    record_in_other_process(shared_cache, app.pool, 5, "nobody", "10.0.0.9")

    response = sign_in(client, app, "alice", "10.0.0.9")
    assert response.status_code == 429


def test_failures_below_limit_still_sign_in(client, app, end_user, shared_cache):
    record_in_other_process(shared_cache, app.pool, 2, "alice", "10.0.0.7")

    response = sign_in(client, app, "alice", "10.0.0.8")
    assert response.status_code == 302


def test_deploy_check_warns_per_process_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "authn.W001" in ids


def test_deploy_check_accepts_redis(shared_cache):
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "authn.W001" not in ids
