"""Every Celery task of Hearth touches only the organization it is run for.

The tasks are found, not listed: every task registered on the Celery app whose module belongs
to one of Hearth's own apps. A task that takes ids is run with organization A's (each parameter
name has a maker in `ARGUMENT_BY_PARAMETER`); a task that takes none sweeps every organization
by design, and is run with work due for A only (its maker in `SWEEP_WORK`). Meanwhile B is
connected, synced and full of rows — people, groups, memberships, seats, its integration, runs,
emails, audit — and must come out of the task unchanged, row for row (tests/tenants/rows.py).

A new task, or a new parameter name, fails `test_every_task_is_registered` until it says how
to run it for A.
"""

from collections.abc import Callable
from datetime import timedelta
from inspect import signature
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from config.celery_app import app
from integrations.models import Integration, RealtimeState, SyncRun
from integrations.realtime.channels import push_channels_ensure
from integrations.realtime.queue import refresh_request
from integrations.sync.runs import sync_run_now
from licenses.models import PersonLicense
from licenses.services import license_policy_update
from notifications.models import EmailLog
from notifications.services import email_logs_create
from tests.tenants.conftest import Tenant, TwoTenants
from tests.tenants.rows import organization_rows
from tests.usermanagement.factories import UserFactory
from usermanagement.models import Group, User

pytestmark = pytest.mark.django_db(transaction=True)

# The Google emulator is not Hearth: its work is Google's world, not a tenant's.
NOT_HEARTH = {"googlesandbox"}


def hearth_tasks() -> list[str]:
    app.loader.import_default_modules()  # the autodiscovery Celery otherwise does lazily
    hearth_apps = {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).parent == Path(settings.BASE_DIR) and config.name not in NOT_HEARTH
    }
    return sorted(
        name for name, task in app.tasks.items() if task.__module__.split(".")[0] in hearth_apps
    )


def task_parameters(task_name: str) -> list[str]:
    return list(signature(app.tasks[task_name].run).parameters)


# --- how to run each task for organization A ------------------------------------------------------


def _sync(tenant: Tenant) -> SyncRun:
    run = sync_run_now(organization=tenant.organization, trigger=SyncRun.Trigger.COMMAND)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    return run


def _queued_run_of_a(world: TwoTenants) -> int:
    """A's directory changed in Google since its last sync (someone joined, one was suspended,
    one deleted, a group renamed), so the run creates, updates and removes — and Google added
    an address that one of B's accounts already uses (B's account must stay as it is, and A's
    run must not fail on it)."""
    ops, people = world.ops, list(world.a.synced_people())
    UserFactory(organization=world.b.organization, email="dual@acme.example")
    ops.user_add(email="dual@acme.example")
    ops.user_add(email="newcomer@acme.example", given_name="New", family_name="Comer")
    ops.user_suspend(email=people[0].email)
    ops.user_delete(email=people[1].email)
    group = Group.objects.filter(organization=world.a.organization).order_by("email").first()
    ops.group_rename(email=group.email, name="Renamed in Google")
    return SyncRun.objects.create(
        organization=world.a.organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        status=SyncRun.Status.QUEUED,
    ).pk


def _queued_email_of_a(world: TwoTenants) -> int:
    (log,) = email_logs_create(
        template="test_email",
        to=world.a.admin.email,
        context={"requested_by": "the tenants suite"},
        organization=world.a.organization,
    )
    return log.pk


ARGUMENT_BY_PARAMETER: dict[str, Callable[[TwoTenants], object]] = {
    "run_id": _queued_run_of_a,
    "email_log_id": _queued_email_of_a,
    "organization_id": lambda world: world.a.organization.pk,
    # the widest refresh: everything queued for A, due or not — still nothing of B's
    "undue_too": lambda world: True,
}


def _sync_due_for_a(world: TwoTenants) -> None:
    # A's last run is a day old; B synced a moment ago (the fixture), so B is not due.
    SyncRun.objects.filter(organization=world.a.organization).update(
        created_at=timezone.now() - timedelta(days=1)
    )


def _seat_grace_over_for_a(world: TwoTenants) -> None:
    """Both keep a seat for a day after a person leaves, and both have someone who left: A's
    day is over, B's is not — the sweep visits B and must leave it as it is."""
    for tenant in (world.a, world.b):
        license_policy_update(
            organization=tenant.organization,
            acting_user=tenant.admin,
            auto_assign=True,
            auto_assign_org_units=[],
            release_after_days=1,
        )
        leaving = tenant.synced_people()[0]
        world.ops.user_suspend(email=leaving.email)
        _sync(tenant)
        seat = PersonLicense.objects.get(person=leaving)
        assert (seat.state, seat.person.status) == ("licensed", User.Status.DEACTIVATED)
    PersonLicense.objects.filter(
        organization=world.a.organization, inactive_since__isnull=False
    ).update(inactive_since=timezone.now() - timedelta(days=2))


def _history_old_for_a(world: TwoTenants) -> None:
    """A synced twice, a year ago, and emailed then; B's history is all recent. The prune keeps
    A's latest run and removes the older one with its changes, and A's old emails."""
    _sync(world.a)
    email_logs_create(
        template="test_email",
        to=world.a.admin.email,
        context={"requested_by": "the tenants suite"},
        organization=world.a.organization,
    )
    EmailLog.objects.filter(organization=world.a.organization).update(
        status=EmailLog.Status.SENT, created_at=timezone.now() - timedelta(days=400)
    )
    SyncRun.objects.filter(organization=world.a.organization).update(
        created_at=timezone.now() - timedelta(days=400)
    )


def _google_changed_for_both(world: TwoTenants) -> None:
    """Someone was renamed in both Workspaces: each feed shows it, each queue may hold it."""
    for tenant in (world.a, world.b):
        person = tenant.synced_people()[0]
        world.ops.user_update(email=person.email, given_name="Renamed")


def _refreshes_queued_for_both(world: TwoTenants) -> None:
    _google_changed_for_both(world)
    for tenant in (world.a, world.b):
        refresh_request(
            organization_id=tenant.organization.pk,
            kind="user",
            keys=[tenant.synced_people()[0].email],
            source="push",
            now=timezone.now() - timedelta(seconds=5),
        )


def _channels_open_for_b(world: TwoTenants) -> None:
    opened = push_channels_ensure(
        integration=Integration.objects.get(organization=world.b.organization)
    )
    assert opened == 6


def _feed_due_for_a(world: TwoTenants) -> None:
    RealtimeState.objects.create(
        organization=world.b.organization,
        feed_next_poll_at=timezone.now() + timedelta(minutes=5),
    )


# Tasks with ids whose work must be there first: how to make it (for both organizations).
PREPARE: dict[str, Callable[[TwoTenants], None]] = {
    "integrations.realtime.refresh_apply": _refreshes_queued_for_both,
    "integrations.realtime.feed_poll": _google_changed_for_both,
}


# Tasks without ids: how to make work due for A alone. None: the task touches no tenant data.
SWEEP_WORK: dict[str, Callable[[TwoTenants], None] | None] = {
    "integrations.tasks.sync_schedule_due": _sync_due_for_a,
    "licenses.tasks.seats_grace_release": _seat_grace_over_for_a,
    "usermanagement.tasks.sessions_clear_expired": None,  # sessions belong to no organization
    "support.tasks.history_prune": _history_old_for_a,
    "integrations.realtime.feed_poll_due": _feed_due_for_a,
    "integrations.realtime.channels_maintain": _channels_open_for_b,
}


# --- the suite ------------------------------------------------------------------------------------


def test_every_task_is_registered():
    tasks = hearth_tasks()
    assert len(tasks) >= 5, f"few Hearth tasks found ({tasks}): is autodiscovery working?"
    unknown_parameters = {
        parameter for name in tasks for parameter in task_parameters(name)
    } - ARGUMENT_BY_PARAMETER.keys()
    assert not unknown_parameters, (
        f"say how to make {sorted(unknown_parameters)} for organization A: add them to "
        "ARGUMENT_BY_PARAMETER in tests/tenants/test_tasks.py"
    )
    sweeps = {name for name in tasks if not task_parameters(name)}
    assert not sweeps - SWEEP_WORK.keys(), (
        f"{sorted(sweeps - SWEEP_WORK.keys())} take no ids: add them to SWEEP_WORK in "
        "tests/tenants/test_tasks.py with how to make work due for organization A"
    )
    assert not SWEEP_WORK.keys() - sweeps, f"no longer tasks: {SWEEP_WORK.keys() - sweeps}"


@pytest.mark.parametrize("task_name", hearth_tasks())
def test_a_task_for_organization_a_leaves_organization_b_unchanged(two_tenants, task_name):
    world = two_tenants
    parameters = task_parameters(task_name)
    kwargs = {name: ARGUMENT_BY_PARAMETER[name](world) for name in parameters}
    prepare = PREPARE.get(task_name) if parameters else SWEEP_WORK.get(task_name)
    if prepare is not None:
        prepare(world)
    a_before = organization_rows(world.a.organization)
    b_before = organization_rows(world.b.organization)
    assert any(b_before[label] for label in ("usermanagement.Group", "licenses.PersonLicense"))

    app.tasks[task_name].apply(kwargs=kwargs, throw=True)

    b_after = organization_rows(world.b.organization)
    changed = sorted(label for label in b_before if b_before[label] != b_after[label])
    assert not changed, f"{task_name} run for A changed B's {changed}"
    if parameters or prepare is not None:
        assert organization_rows(world.a.organization) != a_before, f"{task_name} did nothing"
    if "run_id" in kwargs:
        run = SyncRun.objects.get(pk=kwargs["run_id"])
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
