"""`make run`'s demo seed creates a support account beside the demo admin and prints its login."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from startup.management.commands import demo_seed
from usermanagement.models import User

pytestmark = pytest.mark.django_db

SUPPORT_LOGIN = re.compile(r"Support console: \S+/support/ as (\S+) with password (\S+)")


@pytest.fixture
def password_files(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_seed, "PASSWORD_FILE", tmp_path / "demo-admin-password")
    monkeypatch.setattr(demo_seed, "SUPPORT_PASSWORD_FILE", tmp_path / "demo-support-password")
    return tmp_path


def _seed() -> str:
    out = StringIO()
    call_command("demo_seed", stdout=out)
    return out.getvalue()


def test_the_demo_prints_a_support_login_that_opens_the_console(password_files):
    output = _seed()

    match = SUPPORT_LOGIN.search(output)
    assert match, output
    email, password = match.groups()
    assert "Sign in as admin@acme.example" in output
    client = Client()
    client.post(reverse("admin:login"), {"username": email, "password": password})
    assert client.get(reverse("admin:index")).status_code == 200

    # Run again (make run every time): the same account, the same password.
    again = _seed()
    assert f"as {email} with password {password}" in again
    assert User.objects.filter(email=email).count() == 1

    # The password file was deleted: a new password, and it works.
    (password_files / "demo-support-password").unlink()
    new_password = SUPPORT_LOGIN.search(_seed()).group(2)
    assert new_password != password
    assert User.objects.get(email=email).check_password(new_password)
