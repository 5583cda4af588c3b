"""The two commands over the sandbox: exit codes and output."""

import json

import pytest
from django.core.management import CommandError, call_command

from integrations.models import Integration, SyncRun
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

D = "acme.example"


@pytest.fixture
def acme(google_sandbox):
    google_sandbox.seed(D, users=5, groups=1, members_per_group=2, admins=1)
    organization = OrganizationFactory(slug="acme", primary_domain=D)
    AdminFactory(organization=organization, email=f"admin@{D}")
    return google_sandbox, organization


def test_connect_then_sync_json(acme, capsys):
    _sandbox, organization = acme
    call_command("integration_connect", "acme", "--sync-account", f"admin@{D}")
    assert Integration.objects.get(organization=organization).state == "active"
    with pytest.raises(SystemExit) as exited:
        call_command("sync_directory", "acme", "--json")
        raise SystemExit(0)
    assert exited.value.code == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(out)
    assert summary["status"] == "succeeded"
    assert summary["counts"]["create"] == 4
    assert SyncRun.objects.get(pk=summary["id"]).trigger == "command"


def test_connect_failure_prints_the_headline_and_exits_1(acme, capsys):
    sandbox, _organization = acme
    sandbox.ops.uninstall(domain=D)
    with pytest.raises(SystemExit) as exited:
        call_command("integration_connect", "acme", "--sync-account", f"admin@{D}")
    assert exited.value.code == 1
    assert "has not been properly installed in G Suite." in capsys.readouterr().err


def test_dry_run_and_skipped_exit_codes(acme, capsys):
    _sandbox, organization = acme
    call_command("integration_connect", "acme", "--sync-account", f"admin@{D}")
    from integrations.sync.runs import lock_claim

    with pytest.raises(SystemExit) as exited:
        call_command("sync_directory", "acme", "--dry-run")
        raise SystemExit(0)
    assert exited.value.code == 0
    assert "dry-run" in capsys.readouterr().out
    lock_claim(organization_id=organization.pk, holder="someone-else")
    with pytest.raises(SystemExit) as exited:
        call_command("sync_directory", "acme")
    assert exited.value.code == 3


def test_fetch_only_reads_the_directory_and_writes_nothing(acme, capsys):
    _sandbox, organization = acme
    call_command("integration_connect", "acme", "--sync-account", f"admin@{D}")
    SyncRun.objects.all().delete()  # the first sync the connect enqueued never ran here
    people_before = organization.people.count()

    call_command("sync_directory", "acme", "--fetch-only", "--json")

    fetched = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert fetched["mode"] == "fetch_only"
    assert fetched["api_calls"] > 0
    assert sum(fetched["counts"].values()) > 0
    assert not SyncRun.objects.exists()
    assert organization.people.count() == people_before


def test_fetch_only_and_dry_run_are_refused_together(acme):
    with pytest.raises(CommandError):
        call_command("sync_directory", "acme", "--fetch-only", "--dry-run")
