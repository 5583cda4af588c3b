"""`manage.py support_user create EMAIL`: a deployment's first support account without a shell."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import Organization
from support.admin.base import changelist_url
from usermanagement.models import User

pytestmark = pytest.mark.django_db


def _create(*args) -> str:
    out = StringIO()
    call_command("support_user", "create", *args, stdout=out)
    return out.getvalue()


def test_creates_a_support_account_and_prints_its_password_once():
    output = _create("Ops@Hearth.example")

    password = re.search(r"Password \(shown once\): (\S+)", output).group(1)
    account = User.objects.get(email__iexact="ops@hearth.example")
    assert (account.organization, account.is_staff, account.is_superuser) == (None, True, False)
    assert list(account.groups.values_list("name", flat=True)) == ["Support"]
    assert account.check_password(password)
    assert AuditEvent.objects.get(action="support.account_created").target_id == str(account.pk)

    # It signs in to the console with that password, sees it, and may not change anything.
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": account.email, "password": password}
    )
    assert response.status_code == 302
    assert client.get(changelist_url(Organization)).status_code == 200
    assert client.get(reverse("admin:organizations_organization_add")).status_code == 403


def test_reads_the_password_from_a_file(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a long demo password\n")

    output = _create("demo-support@hearth.example", "--password-file", str(secret))

    assert "a long demo password" not in output
    assert User.objects.get(email="demo-support@hearth.example").check_password(
        "a long demo password"
    )


def test_refuses_an_address_already_in_use():
    _create("ops@hearth.example")
    with pytest.raises(CommandError, match="exists already"):
        _create("OPS@hearth.example")
    assert User.objects.filter(email__iexact="ops@hearth.example").count() == 1
