"""Putting sync runs in the queue, and the Celery tasks that take them out.

The top of the sync's one-way chain (services → tasks → runs → engine → notify → state):
- `sync_enqueue` records a queued run (integrations.sync.runs.sync_run_create) and sends its id
  to a worker after commit; the integration's services call it (finalize, Sync All Users).
- `sync_schedule_due` (the beat task of the same name, every minute) resumes runs whose worker
  died — their lease expired — and enqueues a full sync of each syncing organization whose
  interval has elapsed (since the last run that counts: not a skipped one, not a dry run —
  `sync_last_counted_at`, which `sync_next_at` reads for the pages) and that has no run queued
  or running.
- The tasks themselves are thin: they take ids and call integrations.sync.runs.

All are `acks_late` with reject-on-worker-lost: a worker killed mid-run gets its message
redelivered, and the run's lock lease and status make the redelivery safe (a finished run is a
no-op; a run whose lease expired is executed again from the start — every step is idempotent).
"""

from datetime import timedelta
from functools import partial

import structlog
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from organizations.models import Organization

from .models import Integration, SyncLock, SyncRun
from .realtime import tasks as realtime_tasks
from .realtime.health import realtime_working
from .realtime.queue import refresh_queue_kick
from .sync import runs

logger = structlog.get_logger(__name__)

# A queued run older than this (its message lost) no longer holds back the schedule.
QUEUED_STALE_AFTER = timedelta(hours=1)
# The schedule runs every minute: a run is due this much before its interval is over.
SCHEDULE_SLACK = timedelta(seconds=30)
# While real-time sync keeps an organization current, its scheduled full sync is a daily
# reconcile (unless the admin turned `reconcile_nightly` off).
RECONCILE_INTERVAL_MINUTES = 24 * 60
# A run whose workers keep dying is given up after this many attempts.
MAX_ATTEMPTS = 3


def sync_enqueue(
    *,
    organization: Organization,
    trigger: str,
    requested_by=None,
    mode: str = SyncRun.Mode.FULL,
) -> SyncRun:
    """Record a queued run and start it in the background once the transaction commits."""
    run = runs.sync_run_create(
        organization=organization, trigger=trigger, mode=mode, requested_by=requested_by
    )
    transaction.on_commit(partial(sync_run_execute.delay, run.pk))
    return run


def sync_schedule_due(*, now=None) -> list[SyncRun]:
    """Every minute: resume runs whose worker died, and enqueue a full sync for each syncing
    organization whose interval has elapsed. Returns the runs resumed or enqueued.

    An organization with a run queued or running gets no new one (no pile-up behind a slow
    run); the interval counts from the last run's request.
    """
    now = now or timezone.now()
    integrations = list(
        Integration.objects.filter(
            state__in=[Integration.State.ACTIVE, Integration.State.ERROR]
        ).values_list("organization_id", "sync_interval_minutes", "reconcile_nightly")
    )
    realtime = realtime_working(
        organization_ids=[row[0] for row in integrations if row[2]], now=now
    )
    locked = set(
        SyncLock.objects.exclude(holder="")
        .filter(expires_at__gte=now)
        .values_list("organization_id", flat=True)
    )
    started = _resume_orphans(locked=locked, now=now)
    busy = locked | {run.organization_id for run in started}
    busy |= set(
        SyncRun.objects.filter(
            status=SyncRun.Status.QUEUED, created_at__gte=now - QUEUED_STALE_AFTER
        ).values_list("organization_id", flat=True)
    )
    for organization_id, interval, _nightly in integrations:
        if organization_id in busy:
            continue
        if organization_id in realtime:
            interval = max(interval, RECONCILE_INTERVAL_MINUTES)
        last = sync_last_counted_at(organization_id=organization_id)
        # (less half a tick: the run was requested a moment after the tick that made it, and
        # without the slack each interval slipped by a whole tick)
        if last is not None and last + timedelta(minutes=interval) - SCHEDULE_SLACK > now:
            continue
        with transaction.atomic():
            started.append(
                sync_enqueue(
                    organization=Organization(pk=organization_id),
                    trigger=SyncRun.Trigger.SCHEDULE,
                )
            )
    return started


def sync_last_counted_at(*, organization_id: int):
    """When the run the schedule counts its interval from was requested (None: no such run).
    Skipped runs, dry runs and real-time sync's incremental runs do not count: they do not
    read the whole directory, so they must not push the next full sync back."""
    return (
        SyncRun.objects.filter(organization_id=organization_id)
        .exclude(status=SyncRun.Status.SKIPPED)
        .exclude(mode__in=[SyncRun.Mode.DRY_RUN, SyncRun.Mode.INCREMENTAL])
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def sync_next_at(*, integration: Integration, now=None, interval_minutes: int | None = None):
    """When the schedule will next start a full sync of this integration's organization (at the
    first minute tick from then on), or None when it does not sync. Pages show it.

    The page shows the interval as the admin set it; the schedule's half-tick slack only
    decides which tick starts it, so it is not taken off here."""
    if not integration.is_syncing:
        return None
    now = now or timezone.now()
    last = sync_last_counted_at(organization_id=integration.organization_id)
    if last is None:
        return now
    if interval_minutes is None:
        interval_minutes = sync_interval_effective(integration=integration)
    return max(now, last + timedelta(minutes=interval_minutes))


def sync_interval_effective(*, integration: Integration, now=None) -> int:
    """Minutes between scheduled full syncs now: a day while real-time sync keeps the
    organization current (unless the admin turned the nightly reconcile off), else the
    integration's interval."""
    if integration.reconcile_nightly and realtime_working(
        organization_ids=[integration.organization_id], now=now
    ):
        return max(integration.sync_interval_minutes, RECONCILE_INTERVAL_MINUTES)
    return integration.sync_interval_minutes


def _resume_orphans(*, locked: set[int], now) -> list[SyncRun]:
    """Runs left *running* with no live lease (their worker died or stalled): started again as a
    new attempt, or — after MAX_ATTEMPTS — closed as failed so that they neither block the
    schedule nor lie."""
    resumed = []
    orphans = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exclude(
        organization_id__in=locked
    )
    for run in orphans:
        if run.mode == SyncRun.Mode.INCREMENTAL:
            # its work is still queued (PendingRefresh): closed, and the queue sent again
            runs.sync_run_close(
                run,
                status=SyncRun.Status.FAILED,
                error_class="WorkerLost",
                error_message="The worker stopped mid-run; the changes it held are applied "
                "by the next refresh.",
            )
            transaction.on_commit(
                partial(realtime_tasks.refresh_apply_task.delay, run.organization_id)
            )
            continue
        if run.attempt >= MAX_ATTEMPTS:
            SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.FAILED,
                finished_at=now,
                error_class="WorkerLost",
                error_message=(
                    f"The worker stopped mid-run {run.attempt} times; the next run completes "
                    "the work."
                ),
            )
            continue
        logger.warning("sync_run_resumed", run_id=run.pk, attempt=run.attempt)
        transaction.on_commit(partial(sync_run_execute.delay, run.pk))
        resumed.append(run)
    return resumed


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_run_execute(run_id: int) -> None:
    run = runs.sync_run_execute(run_id=run_id)
    if run is not None and run.status != SyncRun.Status.SKIPPED:
        # real-time refreshes that waited for this run's lock go now
        refresh_queue_kick(organization_id=run.organization_id, after_lock_holder=True)


@shared_task(
    name="integrations.tasks.sync_schedule_due",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def sync_schedule_due_task() -> None:
    """Every minute (config/periodic_tasks.py): the schedule."""
    sync_schedule_due()


# real-time sync's tasks (integrations/realtime/tasks.py), registered with the app's others
refresh_apply_task = realtime_tasks.refresh_apply_task
feed_poll_task = realtime_tasks.feed_poll_task
feed_poll_due_task = realtime_tasks.feed_poll_due_task
channels_maintain_task = realtime_tasks.channels_maintain_task
channels_open_task = realtime_tasks.channels_open_task
