"""History pruned after its retention period: old runs with their changes and old email logs
go; what support is asked about months later (held plans, failures) stays longer; what is not
finished, waits for review or is an organization's last word on its sync never goes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.periodic_tasks import PERIODIC_TASKS
from integrations.models import SyncChange, SyncConflict, SyncRun
from notifications.models import EmailLog
from support import retention
from support.retention import history_prune
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DAYS = 90
ERROR_DAYS = 365
EMAIL_DAYS = 180


@pytest.fixture(autouse=True)
def retention_settings(settings):
    settings.RETENTION_SYNC_RUNS_DAYS = DAYS
    settings.RETENTION_SYNC_RUNS_WITH_ERRORS_DAYS = ERROR_DAYS
    settings.RETENTION_EMAIL_LOG_DAYS = EMAIL_DAYS


def _run(organization, *, age_days, status="succeeded", changes=0, **fields) -> SyncRun:
    run = SyncRun.objects.create(
        organization=organization, trigger=SyncRun.Trigger.SCHEDULE, status=status, **fields
    )
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(days=age_days)
    )
    SyncChange.objects.bulk_create(
        SyncChange(run=run, kind="update", object_type="user", object_id=str(n)) for n in
        range(changes)
    )
    return run


def _email(organization, *, age_days, status="sent") -> EmailLog:
    log = EmailLog.objects.create(
        organization=organization,
        recipient="jane@acme.example",
        template="test_email",
        from_email="hearth@hearth.example",
        subject="Hello",
        body_text="Hello",
        body_html="<p>Hello</p>",
        status=status,
    )
    EmailLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    return log


def _alive(*objects) -> list[bool]:
    return [type(o).objects.filter(pk=o.pk).exists() for o in objects]


def test_old_runs_go_with_their_changes_and_what_support_needs_stays(monkeypatch):
    monkeypatch.setattr(retention, "ROWS_CHUNK", 7)  # many chunks per run
    monkeypatch.setattr(retention, "RUNS_BATCH", 2)  # and several batches of runs
    acme, globex = OrganizationFactory.create_batch(2)
    old = [_run(acme, age_days=DAYS + 1 + n, changes=20) for n in range(3)]
    recent = _run(acme, age_days=DAYS - 1, changes=5)
    failed_old = _run(acme, age_days=DAYS + 10, status="failed", error_class="NotInstalled")
    failed_ancient = _run(acme, age_days=ERROR_DAYS + 1, status="failed", error_class="X")
    held_reviewed = _run(acme, age_days=DAYS + 10, status="held", review="rejected")
    held_waiting = _run(acme, age_days=ERROR_DAYS + 100, status="held", review="pending")
    running = _run(acme, age_days=DAYS + 30, status="running")
    latest_of_globex = _run(globex, age_days=DAYS + 500)
    conflict = SyncConflict.objects.create(
        organization=acme, google_id="1", email="x@acme.example", first_run=old[0],
        last_seen_at=timezone.now(),
    )
    changes_before = SyncChange.objects.count()

    pruned = history_prune()

    assert _alive(*old) == [False, False, False]
    assert _alive(recent, failed_old, held_reviewed, held_waiting, running) == [True] * 5
    assert _alive(failed_ancient, latest_of_globex) == [False, True]
    assert SyncChange.objects.count() == changes_before - 60
    assert SyncChange.objects.filter(run=recent).count() == 5
    assert (pruned.runs, pruned.changes) == (4, 60)
    conflict.refresh_from_db()
    assert conflict.first_run is None  # unlinked, kept


def test_old_emails_go_unless_not_sent_yet():
    organization = OrganizationFactory()
    old_sent = _email(organization, age_days=EMAIL_DAYS + 1)
    old_failed = _email(organization, age_days=EMAIL_DAYS + 1, status="failed")
    old_queued = _email(organization, age_days=EMAIL_DAYS + 1, status="queued")
    recent = _email(organization, age_days=EMAIL_DAYS - 1)
    vendor_level = _email(None, age_days=EMAIL_DAYS + 1)

    assert history_prune().emails == 3

    assert _alive(old_sent, old_failed, vendor_level) == [False, False, False]
    assert _alive(old_queued, recent) == [True, True]


def test_nothing_old_nothing_pruned():
    organization = OrganizationFactory()
    _run(organization, age_days=1, changes=3)
    _run(organization, age_days=2, changes=3)
    assert history_prune() == retention.Pruned()


def test_the_prune_runs_every_night():
    (task,) = [t for t in PERIODIC_TASKS if t.task == "support.tasks.history_prune"]
    assert task.every_seconds == 24 * 60 * 60
