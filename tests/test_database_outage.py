"""The hosted login while PostgreSQL restarts: 503, then recovery without an app restart."""

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection


def postgres_cluster():
    """Return the local cluster version for pg_ctlcluster, or None."""
    if connection.vendor != "postgresql" or shutil.which("pg_ctlcluster") is None:
        return None
    versions = sorted(path.name for path in Path("/etc/postgresql").glob("*"))
    return versions[-1] if versions else None


def pg_ctl(version, action):
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
    )


def wait_for_postgres(timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False)
        if ready.returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not come back within 30 seconds.")


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def cluster(transactional_db):
    version = postgres_cluster()
    if version is None:
        message = "needs the local PostgreSQL cluster and pg_ctlcluster"
        if os.environ.get("CI"):
            pytest.fail(f"The outage test {message}; CI must run it.")
        pytest.skip(message)
    return version


def test_login_survives_postgres_restart(cluster, live_server, app, settings):
    url = f"{live_server.url}/login/{app.client_id}/"
    assert get(url)[0] == 200

    pg_ctl(cluster, "stop")
    try:
        status, body = get(url)
    finally:
        pg_ctl(cluster, "start")
        wait_for_postgres()
        connection.close()

    assert status == 503
    assert "briefly unavailable" in body
    assert "Traceback" not in body

    assert get(url)[0] == 200


def test_database_error_page_is_503(client, app, monkeypatch):
    """The handler alone, without stopping PostgreSQL: any database error is a 503."""
    from django.db import OperationalError
    from django.test import Client

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("authn.transaction.get_app", unreachable)
    response = Client(raise_request_exception=False).get(f"/login/{app.client_id}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
