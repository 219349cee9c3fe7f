"""Project-wide checks: migrations, system checks and settings read at start-up."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tests.faces import REPO_DIR


@pytest.mark.django_db
def test_migrations_match_models():
    output = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output)
    assert "No changes detected" in output.getvalue()


@pytest.mark.django_db
def test_system_checks_pass():
    # The JSONField checks ask the database whether it supports JSON.
    call_command("check")


SQLITE_WRITERS = """
import threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (value INTEGER)")
    cursor.execute("INSERT INTO counter VALUES (0)")
connection.close()

failures = []
ready = threading.Barrier(2)

def read_then_write():
    ready.wait()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT value FROM counter")
                (value,) = cursor.fetchone()
                time.sleep(0.2)
                cursor.execute("UPDATE counter SET value = %s", [value + 1])
    except Exception as error:
        failures.append(repr(error))
    finally:
        connection.close()

threads = [threading.Thread(target=read_then_write) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT value FROM counter")
    print(cursor.fetchone()[0], failures)
"""


def run_with_settings(code, **environment):
    """Run Python ``code`` in a new process with the project's settings.

    :param environment: variables set for that process only.
    :return: the ``subprocess.CompletedProcess``, with its output as text.
    """
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "idp.settings", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sqlite_transactions_wait_for_each_other(tmp_path):
    """Two transactions that read and then write one SQLite file both succeed."""
    result = run_with_settings(
        SQLITE_WRITERS, DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 []"


def configured_clear_match(value):
    """Run a process that prints the clear match distance read from ``value``."""
    return run_with_settings(
        "import django; django.setup(); from mfa_face.conf import settings; "
        "print(settings.MFA_FACE_CLEAR_MATCH_DISTANCE)",
        MFA_FACE_CLEAR_MATCH_DISTANCE=value,
    )


@pytest.mark.parametrize(("value", "expected"), [("0.35", "0.35"), ("Off", "None")])
def test_clear_match_distance_from_environment(value, expected):
    result = configured_clear_match(value)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_invalid_clear_match_distance_names_the_fix():
    result = configured_clear_match("near")

    assert result.returncode != 0
    assert "Set it to a distance such as 0.4, or to off." in result.stderr
