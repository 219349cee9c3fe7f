"""The seed_demo command that fills the console with demo data for a local run."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_json(capsys):
    call_command("seed_demo")
    result = json.loads(capsys.readouterr().out)
    expected = {
        "console_url",
        "admin_email",
        "admin_password",
        "pool",
        "app",
        "hosted_login_url",
        "user_username",
        "user_password",
    }
    assert expected <= set(result)


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
