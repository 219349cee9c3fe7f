"""Project-wide checks: migrations match the models, system checks pass."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_match_models():
    output = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output)
    assert "No changes detected" in output.getvalue()


@pytest.mark.django_db
def test_system_checks_pass():
    # The JSONField checks ask the database whether it supports JSON.
    call_command("check")
