"""Database, seed data and gunicorn process of the sign-in load test."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from PIL import Image

HOST = "127.0.0.1"
PASSWORD = "bench password 4 sign-in load"  # noqa: S105 (a seeded test account)
FRAME_MAX_SIDE = 640
REPO_DIR = Path(__file__).resolve().parent.parent
# Databases this script may create and drop. The pattern also makes the name
# safe to put into SQL unquoted.
DATABASE_NAME = re.compile(r"^bench_[a-z0-9_]{1,40}$")


def check_database_name(name):
    if not DATABASE_NAME.match(name):
        raise ValueError(
            f"Database name {name!r} is invalid: use bench_ followed by lower-case "
            "letters, digits or underscores."
        )


def recreate_database(server_url, name):
    """Drop and create the database ``name`` on the server at ``server_url``."""
    import psycopg2

    check_database_name(name)
    connection = psycopg2.connect(f"{server_url}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
    finally:
        connection.close()


def drop_database(server_url, name):
    """Drop the database ``name``, closing the sessions still connected to it."""
    import psycopg2

    check_database_name(name)
    connection = psycopg2.connect(f"{server_url}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        connection.close()


def setup_django(environment):
    """Configure Django in this process for the benchmark database."""
    os.environ.update(environment)
    import django

    django.setup()


def camera_frame(path):
    """Return ``path`` downscaled to at most FRAME_MAX_SIDE px, as JPEG bytes."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((FRAME_MAX_SIDE, FRAME_MAX_SIDE))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@dataclass
class Seed:
    client_id: str
    identifiers: list[str]
    audit_installed: bool


def seed(user_count, enroll_frames):
    """Create the pool, the app and ``user_count`` enrolled end users."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from authn.models import Application, EndUser, LivenessLevel, UserPool
    from mfa_face import factor

    call_command("migrate", interactive=False, verbosity=0)

    admin = get_user_model().objects.create_user(
        username="bench-admin@example.com", email="bench-admin@example.com"
    )
    pool = UserPool.objects.create(
        owner=admin, name="Sign-in load", liveness=LivenessLevel.OFF
    )
    app = Application.objects.create(
        pool=pool,
        user=admin,
        name="Sign-in load app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1/callback",
        custom_security_rules=True,
        face_mfa_enabled=True,
    )

    # One hash for every user: the sign-ins still verify it each time, and
    # seeding does not spend a second of Argon2 per user.
    password_hash = make_password(PASSWORD)
    identifiers = []
    for index in range(user_count):
        user = EndUser.objects.create(
            pool=pool, username=f"bench-user-{index}", password=password_hash
        )
        factor.enroll(user, enroll_frames, pool.liveness)
        identifiers.append(user.username)

    return Seed(
        client_id=app.client_id,
        identifiers=identifiers,
        audit_installed=apps.is_installed("audit"),
    )


def count_audit_rows(since):
    """Return {event: count} of the audit rows written at or after ``since``."""
    from django.db import connections
    from django.db.models import Count

    from audit.models import AuditEvent

    connections.close_all()
    rows = (
        AuditEvent.objects.filter(created_at__gte=since)
        .values("event")
        .annotate(count=Count("pk"))
    )
    return {row["event"]: row["count"] for row in rows}


# Server -----------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped by :meth:`stop`."""

    def __init__(self, port, workers, threads, environment, log_path):
        self.port = port
        self.log_path = log_path
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.command = [
            str(gunicorn),
            "idp.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "180",
            "--graceful-timeout",
            "10",
        ]
        self.environment = {**os.environ, **environment}
        self.process = None

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}"

    def start(self, ready_url, timeout=90):
        log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603 (fixed argument list)
            self.command,
            cwd=REPO_DIR,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with status {self.process.returncode}; "
                    f"see {self.log_path}"
                )
            try:
                if requests.get(ready_url, timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"gunicorn did not respond within {timeout} s; see {self.log_path}"
        )

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # The group is gunicorn's own (start_new_session), so this reaches its
        # master and workers and nothing else.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()
