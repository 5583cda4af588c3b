"""The safety issue's repros, one test each: every one failed on the code before its fix.

1. people outside a split listing's prefix streams archived with no fault at all;
2. a held run still deleting groups and memberships;
3. deletions trickled over several runs never held;
4. another organization's account at an address of this domain failing every run;
5. two writers when a paused run's lease expired;
6. a crashed run not resumed (tests/reliability/test_crash.py has the SIGKILL'd worker) and a
   `sync_directory` that never exits after an error while writing.
"""

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import Integration, SyncChange, SyncConflict, SyncLock, SyncRun
from integrations.sync import runs
from integrations.sync.apply import UserSync
from integrations.tasks import sync_schedule_due
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import UserFactory
from usermanagement.models import Group, GroupMembership, User

D = "acme.example"
ROOT = Path(__file__).resolve().parents[3]


def active_people(organization) -> int:
    return User.objects.filter(organization=organization, status=User.Status.ACTIVE).count()


# --- 1 -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_people_whose_address_starts_outside_a_z_0_9_are_never_archived(connected):
    """1,900 people + 250 named `_svc…@`: the second sync archived the 250 (exit 0)."""
    connected.sandbox.seed(D, users=1900, groups=2, members_per_group=3, admins=1)
    for number in range(250):
        connected.ops.user_add(email=f"_svc{number:03d}@{D}")

    first = connected.sync()
    assert first.status == SyncRun.Status.SUCCEEDED, first.error_message
    assert active_people(connected.organization) >= 2100

    second = connected.sync()

    assert second.status == SyncRun.Status.SUCCEEDED, second.error_message
    assert second.counts.get("archive", 0) == 0
    assert not User.objects.filter(
        organization=connected.organization, email__startswith="_svc", status="archived"
    ).exists()
    assert (
        User.objects.filter(organization=connected.organization, email__startswith="_svc").count()
        == 250
    )


# --- 2 -----------------------------------------------------------------------------------------


def test_a_held_run_deletes_no_group_and_removes_no_membership(connected):
    """Reseed a large domain to 10 people: the people removals were held, but the same run
    deleted every group and membership."""
    connected.sandbox.seed(D, users=120, groups=8, members_per_group=10, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    groups_before = Group.objects.filter(organization=connected.organization).count()
    members_before = GroupMembership.objects.filter(organization=connected.organization).count()
    assert groups_before == 8 and members_before > 60

    connected.sandbox.seed(D, users=10, groups=0, admins=1, seed=7)
    run = connected.sync()

    assert run.status == SyncRun.Status.HELD
    assert Group.objects.filter(organization=connected.organization).count() == groups_before
    assert (
        GroupMembership.objects.filter(organization=connected.organization).count()
        == members_before
    )
    held_kinds = {entry["type"] for entry in run.held_removals}
    assert held_kinds == {"user", "group"}
    assert SyncChange.objects.filter(run=run, kind="group_delete", applied=False).count() == 8


# --- 3 -----------------------------------------------------------------------------------------


def test_deletions_trickled_over_runs_are_held_within_a_day(connected):
    """8% deleted per run for 5 runs archived 34% with no hold, no email, exit 0."""
    connected.sandbox.seed(D, users=100, groups=1, members_per_group=3, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    people = list(
        User.objects.filter(organization=connected.organization, role=User.Role.MEMBER)
        .order_by("email")
        .values_list("email", flat=True)
    )
    statuses = []
    for round_ in range(5):
        for email in people[round_ * 8 : round_ * 8 + 8]:
            connected.ops.user_delete(email=email)
        statuses.append(connected.sync().status)

    archived = User.objects.filter(organization=connected.organization, status="archived").count()
    # 20% of ~98 active people is the budget of a rolling day
    assert archived <= 20
    assert SyncRun.Status.HELD in statuses
    assert statuses[:2] == [SyncRun.Status.SUCCEEDED, SyncRun.Status.SUCCEEDED]


# --- 4 -----------------------------------------------------------------------------------------


def test_an_address_another_organization_has_never_fails_the_run(connected):
    """Organization B has dual@acme.example; Google adds that person to Acme: every Acme run
    failed on an IntegrityError and suspensions stopped reaching Hearth."""

    other = OrganizationFactory(name="Globex", slug="globex", primary_domain="globex.example")
    theirs = UserFactory(organization=other, email=f"dual@{D}")
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    connected.ops.user_add(email=f"dual@{D}")
    victim = User.objects.filter(organization=connected.organization, role="member").first()
    connected.ops.user_suspend(email=victim.email)

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    victim.refresh_from_db()
    assert victim.status == User.Status.DEACTIVATED  # the rest of the run went on
    theirs.refresh_from_db()
    assert theirs.organization == other and theirs.status == User.Status.ACTIVE
    assert not User.objects.filter(organization=connected.organization, email=f"dual@{D}").exists()
    skipped = SyncChange.objects.get(run=run, kind="skipped", object_repr=f"dual@{D}")
    assert "outside your organization" in skipped.diff["reason"]
    assert "Globex" not in skipped.diff["reason"]
    conflict = SyncConflict.objects.get(organization=connected.organization, email=f"dual@{D}")
    assert conflict.other_user == theirs
    assert connected.integration.state == Integration.State.ACTIVE
    # the next run does not fail either, and the conflict stays one row
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    assert SyncConflict.objects.filter(email=f"dual@{D}").count() == 1


# --- 5 -----------------------------------------------------------------------------------------


def test_a_run_that_lost_its_lease_stops_writing(connected, monkeypatch):
    """A paused run whose lease expired kept writing while a second run held the lock."""
    connected.sync()
    for number in range(6):
        connected.ops.user_add(email=f"new{number}@{D}")
    paused, resume = threading.Event(), threading.Event()
    original_page = UserSync.page

    def page_then_pause(self, remotes):
        if not paused.is_set() and threading.current_thread().name == "paused-run":
            paused.set()
            assert resume.wait(30)
        return original_page(self, remotes)

    monkeypatch.setattr(UserSync, "page", page_then_pause)
    first = SyncRun.objects.create(
        organization=connected.organization, trigger="command", status="queued"
    )
    result = {}

    def run_first():
        try:
            result["run"] = runs.sync_run_execute(run_id=first.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=run_first, name="paused-run")
    thread.start()
    assert paused.wait(30)
    # the lease runs out while the first run is paused (a stopped worker, a slow database)
    SyncLock.objects.filter(organization=connected.organization).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    second = connected.sync()
    assert second.status == SyncRun.Status.SUCCEEDED
    created_by_second = set(
        SyncChange.objects.filter(run=second, kind="create").values_list("google_id", flat=True)
    )
    assert len(created_by_second) == 6

    resume.set()
    thread.join(30)

    first.refresh_from_db()
    assert first.status == SyncRun.Status.FAILED
    assert first.error_class == "LockLost"
    assert not SyncChange.objects.filter(run=first).exists()
    assert (
        User.objects.filter(organization=connected.organization, email__startswith="new").count()
        == 6
    )


# --- 6 -----------------------------------------------------------------------------------------


def test_a_run_whose_worker_died_is_resumed_by_the_schedule(connected):
    """The schedule marked a stale running run failed and waited a full interval."""
    connected.sync()
    connected.ops.user_add(email=f"late@{D}")
    run = SyncRun.objects.create(
        organization=connected.organization,
        trigger="schedule",
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=3),
        attempt=1,
    )
    # the dead worker's lease ran out a moment ago
    SyncLock.objects.update_or_create(
        organization=connected.organization,
        defaults={"holder": f"run-{run.pk}@dead:1:x", "expires_at": timezone.now()},
    )

    resumed = sync_schedule_due(now=timezone.now() + timedelta(seconds=5))

    assert [r.pk for r in resumed] == [run.pk]
    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING
    finished = runs.sync_run_execute(run_id=run.pk)
    assert finished.status == SyncRun.Status.SUCCEEDED
    assert finished.attempt == 2
    assert User.objects.filter(organization=connected.organization, email=f"late@{D}").exists()
    # no second run was started beside it
    assert SyncRun.objects.filter(organization=connected.organization).count() == 2


@pytest.mark.slow
def test_sync_directory_exits_after_an_error_while_writing(connected):
    """An exception while writing left the fetch threads running: the command never exited."""
    connected.sandbox.seed(D, users=3000, groups=2, members_per_group=3, admins=1)
    with connection.cursor() as cursor:
        # a real database failure while the first page of people is written, the next pages
        # being fetched ahead
        cursor.execute(
            """
            CREATE FUNCTION fail_people_insert() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'disk full (injected)'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER fail_people_insert BEFORE INSERT ON usermanagement_user
            FOR EACH STATEMENT EXECUTE FUNCTION fail_people_insert();
            """
        )
    database = connection.settings_dict
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "GOOGLE_TOKEN_URI": connected.sandbox.token_uri,
        "GOOGLE_API_ENDPOINT": connected.sandbox.api_endpoint,
        "GOOGLE_SERVICE_ACCOUNT_KEY_FILE": str(connected.sandbox.key_file),
        "PATH": "/usr/bin:/bin",
    }
    try:
        finished = _sync_directory_in_a_process(connected, environment)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER fail_people_insert ON usermanagement_user; "
                "DROP FUNCTION fail_people_insert();"
            )
    assert finished.returncode == 1, finished.stderr
    assert "disk full (injected)" in finished.stdout + finished.stderr


def _sync_directory_in_a_process(connected, environment):
    try:
        return subprocess.run(
            [sys.executable, "manage.py", "sync_directory", "acme"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"sync_directory did not exit: {exc.stdout} {exc.stderr}")
