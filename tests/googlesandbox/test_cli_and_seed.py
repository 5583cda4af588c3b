"""The `sandbox` command line (call_command) and deterministic seeding."""

import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from googlesandbox import operations
from googlesandbox.keys import service_account_key_generate
from googlesandbox.models import Activity, DirGroup, DirMember, DirUser, Domain


def sandbox(*args) -> str:
    out = StringIO()
    call_command("sandbox", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_show_and_install_commands():
    out = sandbox("seed", "--domain", "acme.example", "--users", "50", "--groups", "4",
                  "--members-per-group", "6", "--admins", "2", "--seed", "3")
    assert "admin@acme.example, admin2@acme.example" in out
    sandbox("install", "acme.example")
    shown = json.loads(sandbox("show", "acme.example"))
    assert set(shown) == {
        "domain", "customer_id", "counts", "settings", "grants", "domains", "clock",
    }
    # Google applies a Marketplace install after a while (1 s in tests)
    assert shown["settings"]["install_state"] == "pending"
    assert shown["settings"]["installed"] is False
    sandbox("clock", "travel", "--seconds", "2")
    shown = json.loads(sandbox("show", "acme.example"))
    assert shown["counts"] == {
        "users": 50, "deleted_users": 0, "suspended": shown["counts"]["suspended"],
        "admins": 2, "groups": 4, "members": 4 * 6 + 1, "org_units": 8,
    }
    assert shown["settings"]["installed"] is True and shown["settings"]["api_access"] is True
    assert shown["settings"]["faults"]["qpm"] == 2400
    assert shown["grants"][0]["scopes"] == list(operations.hearth_scopes())
    sandbox("uninstall", "acme.example")
    assert "in effect from" in sandbox("install", "acme.example", "--delay-seconds", "0")
    assert json.loads(sandbox("show", "acme.example"))["settings"]["installed"] is True
    sandbox("uninstall", "acme.example")
    sandbox("api-access", "acme.example", "off")
    shown = json.loads(sandbox("show", "acme.example"))
    assert shown["settings"]["installed"] is False and shown["settings"]["api_access"] is False


@pytest.mark.django_db
def test_user_group_member_and_fault_commands():
    sandbox("seed", "--domain", "acme.example", "--users", "3")
    sandbox("user", "add", "ann@acme.example", "--given-name", "Ann", "--family-name", "Lee",
            "--org-unit", "/Sales/East", "--admin")
    ann = DirUser.objects.get(primary_email="ann@acme.example")
    assert (ann.given_name, ann.org_unit_path, ann.is_admin) == ("Ann", "/Sales/East", True)
    sandbox("user", "update", "ann@acme.example", "--title", "VP", "--family-name", "Li")
    sandbox("user", "rename", "ann@acme.example", "ann.li@acme.example")
    sandbox("user", "suspend", "ann.li@acme.example")
    sandbox("user", "unsuspend", "ann.li@acme.example")
    sandbox("admin", "ann.li@acme.example", "off")
    sandbox("user", "delete", "ann.li@acme.example")
    sandbox("user", "undelete", "ann.li@acme.example")
    ann.refresh_from_db()
    assert ann.primary_email == "ann.li@acme.example" and ann.aliases == ["ann@acme.example"]
    assert (ann.title, ann.family_name, ann.is_admin, ann.deleted_at) == ("VP", "Li", False, None)
    sandbox("group", "add", "team@acme.example", "--name", "Team")
    sandbox("member", "add", "team@acme.example", "ann.li@acme.example", "--role", "OWNER")
    assert DirMember.objects.get(group__email="team@acme.example").role == "OWNER"
    sandbox("member", "remove", "team@acme.example", "ann.li@acme.example")
    sandbox("group", "delete", "team@acme.example")
    assert not DirGroup.objects.filter(email="team@acme.example").exists()
    names = list(Activity.objects.order_by("id").values_list("event_name", flat=True))
    assert names[:2] == ["CREATE_USER", "GRANT_ADMIN_PRIVILEGE"]
    assert {"RENAME_USER", "CHANGE_LAST_NAME", "SUSPEND_USER", "UNDELETE_USER",
            "ADD_GROUP_MEMBER", "DELETE_GROUP"} <= set(names)
    out = sandbox("faults", "acme.example", "--latency-ms", "20", "--errors",
                  "503=0.05,429=0.02", "--qpm", "100", "--drop-push", "1")
    assert json.loads(out)["error_rates"] == {"503": 0.05, "429": 0.02}
    shown = json.loads(sandbox("show", "acme.example"))["settings"]["faults"]
    assert shown["qpm"] == 100 and shown["drop_push"] is True and shown["latency_ms"] == 20
    with pytest.raises(CommandError, match="Unknown fault kind"):
        sandbox("faults", "acme.example", "--errors", "418=0.5")
    with pytest.raises(CommandError, match="already exists"):
        sandbox("user", "add", "ann.li@acme.example")
    with pytest.raises(CommandError, match="Unknown user"):
        sandbox("user", "suspend", "ghost@acme.example")


@pytest.mark.django_db
def test_demo_seeds_once_and_never_reseeds_or_uninstalls():
    out = sandbox("demo")
    assert "admin@acme.example" in out
    domain = Domain.objects.get(name="acme.example")
    assert DirUser.objects.filter(domain=domain).count() == 300
    assert DirUser.objects.get(primary_email="admin@acme.example").is_admin
    assert not operations.is_installed(domain) and domain.api_access
    operations.install(domain=domain, delay_seconds=0)
    operations.user_add(email="kept@acme.example")
    assert "already present" in sandbox("demo")
    assert operations.is_installed(domain)
    assert DirUser.objects.filter(primary_email="kept@acme.example").exists()


def test_keygen_writes_once_with_mode_0600(tmp_path, settings):
    path = tmp_path / "key.json"
    assert "Wrote" in sandbox("keygen", "--path", str(path))
    info = json.loads(path.read_text())
    assert info["type"] == "service_account" and info["client_id"].isdigit()
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert {"project_id", "private_key_id", "client_email", "token_uri"} <= set(info)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = path.read_text()
    assert "already exists" in sandbox("keygen", "--path", str(path))
    assert not service_account_key_generate(path)
    assert path.read_text() == before


@pytest.mark.django_db
def test_seed_is_deterministic_and_replaces_the_domain():
    def snapshot():
        return list(
            DirUser.objects.filter(domain__name="seed.example")
            .order_by("primary_email")
            .values_list("google_id", "primary_email", "given_name", "org_unit_path", "etag")
        )

    operations.seed("seed.example", users=200, groups=5, members_per_group=10, seed=9)
    first = snapshot()
    operations.user_add(email="extra@seed.example")
    operations.seed("seed.example", users=200, groups=5, members_per_group=10, seed=9)
    assert snapshot() == first
    assert not DirUser.objects.filter(primary_email="extra@seed.example").exists()
    assert DirMember.objects.filter(group__domain__name="seed.example").count() == 51
    operations.seed("seed.example", users=200, seed=10)
    assert snapshot() != first


@pytest.mark.django_db
def test_seeded_users_store_their_resource_and_etag():
    operations.seed("seed.example", users=5)
    user = DirUser.objects.get(primary_email="admin@seed.example")
    from googlesandbox.resources import user_etag

    assert user.etag == user_etag(user)
    assert json.loads(user.resource_json)["primaryEmail"] == "admin@seed.example"


def test_bench_page_reports_timings(google_sandbox):
    from googlesandbox.management.commands.sandbox import bench_page

    result = bench_page(users=1200, page_size=500, domain="bench.example")
    assert result["users"] == 1200 and result["pages"] == 3
    assert result["ms_median"] > 0
