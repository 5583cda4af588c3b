"""Sync runs: enqueue, lock, execute, record.

Flow:
1. `sync_enqueue` writes a SyncRun (queued) and sends its id to the worker after commit
   (`integrations.tasks.sync_run_execute`). The schedule (`sync_schedule_due`, every minute)
   enqueues one run per active organization whose interval has elapsed and that has no run
   queued or running.
2. `sync_run_execute` claims the organization's lock (`SyncLock`): a conditional UPDATE that
   succeeds only if the lock is free or its lease expired — the same on PostgreSQL and SQLite,
   across processes. A run that cannot claim it is recorded as *skipped*. While the run works,
   a heartbeat thread extends the lease; a killed worker stops beating and its lease expires,
   so the next run (or the redelivered task) takes over and completes the work: every step of
   the sync is idempotent.
3. The run itself (integrations.sync.engine) fetches, plans and applies; this module records
   the outcome: succeeded, held (removals above the threshold, waiting for review), or failed.
   A failure that a person must fix (auth, permissions) moves the integration to *error* and
   emails the Hearth admins once per incident; the next success clears it and says so.
"""

import os
import socket
import threading
import uuid
from datetime import timedelta
from functools import partial

import structlog
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from organizations.models import Organization

from ..models import Integration, SyncLock, SyncRun

logger = structlog.get_logger(__name__)

LOCK_LEASE = timedelta(minutes=2)
HEARTBEAT_SECONDS = 20
# A queued run older than this (its message lost) no longer holds back the schedule.
QUEUED_STALE_AFTER = timedelta(hours=1)


# --- enqueue -----------------------------------------------------------------------------------


def sync_enqueue(
    *,
    organization: Organization,
    trigger: str,
    requested_by=None,
    mode: str = SyncRun.Mode.FULL,
) -> SyncRun:
    """Record a queued run and start it in the background once the transaction commits."""
    from integrations.tasks import sync_run_execute

    run = SyncRun.objects.create(
        organization=organization,
        trigger=trigger,
        mode=mode,
        status=SyncRun.Status.QUEUED,
        requested_by=requested_by,
    )
    transaction.on_commit(partial(sync_run_execute.delay, run.pk))
    return run


def sync_schedule_due(*, now=None) -> list[SyncRun]:
    """Enqueue a full sync for each syncing organization whose interval has elapsed.

    An organization with a run already queued or running gets none (no pile-up behind a slow
    run); the interval counts from the last run's request.
    """
    now = now or timezone.now()
    integrations = Integration.objects.filter(
        state__in=[Integration.State.ACTIVE, Integration.State.ERROR]
    ).values_list("organization_id", "sync_interval_minutes")
    locked = set(
        SyncLock.objects.exclude(holder="")
        .filter(expires_at__gte=now)
        .values_list("organization_id", flat=True)
    )
    # A run left "running" by a killed worker whose lease expired (and whose message was not
    # redelivered) is closed as failed, so that it neither blocks the schedule nor lies.
    SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exclude(
        organization_id__in=locked
    ).filter(started_at__lt=now - LOCK_LEASE).update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error_class="WorkerLost",
        error_message="The worker stopped mid-run; the next run completes the work.",
    )
    busy = locked | set(
        SyncRun.objects.filter(
            status=SyncRun.Status.QUEUED, created_at__gte=now - QUEUED_STALE_AFTER
        ).values_list("organization_id", flat=True)
    )
    runs = []
    for organization_id, interval in integrations:
        if organization_id in busy:
            continue
        last = (
            SyncRun.objects.filter(organization_id=organization_id)
            .exclude(status=SyncRun.Status.SKIPPED)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None and last + timedelta(minutes=interval) > now:
            continue
        with transaction.atomic():
            runs.append(
                sync_enqueue(
                    organization=Organization(pk=organization_id),
                    trigger=SyncRun.Trigger.SCHEDULE,
                )
            )
    return runs


# --- the lock ----------------------------------------------------------------------------------


def lock_claim(*, organization_id: int, holder: str, lease: timedelta = LOCK_LEASE) -> bool:
    """Take the organization's sync lock for `holder` unless someone else holds a live lease."""
    SyncLock.objects.get_or_create(organization_id=organization_id)
    now = timezone.now()
    claimed = (
        SyncLock.objects.filter(organization_id=organization_id)
        .filter(Q(holder="") | Q(expires_at__lt=now) | Q(holder=holder))
        .update(holder=holder, expires_at=now + lease)
    )
    return claimed == 1


def lock_renew(*, organization_id: int, holder: str, lease: timedelta = LOCK_LEASE) -> bool:
    """Extend the lease; False if the lock was lost (expired and taken by another run)."""
    renewed = SyncLock.objects.filter(organization_id=organization_id, holder=holder).update(
        expires_at=timezone.now() + lease
    )
    return renewed == 1


def lock_release(*, organization_id: int, holder: str) -> None:
    SyncLock.objects.filter(organization_id=organization_id, holder=holder).update(
        holder="", expires_at=None
    )


class _Heartbeat(threading.Thread):
    """Renews the lock lease while a run works (own DB connection, closed on exit)."""

    def __init__(self, *, organization_id: int, holder: str):
        super().__init__(name=f"sync-heartbeat-{organization_id}", daemon=True)
        self.organization_id = organization_id
        self.holder = holder
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                if not lock_renew(organization_id=self.organization_id, holder=self.holder):
                    self.lost.set()
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def _holder_id(run_id: int) -> str:
    return f"run-{run_id}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- execute -----------------------------------------------------------------------------------


def sync_run_execute(*, run_id: int) -> SyncRun | None:
    """Execute a queued (or interrupted) run under the organization's lock; record the outcome."""
    from .engine import sync_execute

    close_old_connections()
    run = SyncRun.objects.select_related("organization").filter(pk=run_id).first()
    if run is None:
        logger.warning("sync_run_missing", run_id=run_id)
        return None
    if run.status not in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING):
        return run  # a redelivered message for a finished run
    holder = _holder_id(run.pk)
    if not lock_claim(organization_id=run.organization_id, holder=holder):
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.SKIPPED,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            note="Another sync of this organization was running.",
        )
        run.refresh_from_db()
        logger.info("sync_run_skipped", run_id=run.pk, organization_id=run.organization_id)
        return run
    heartbeat = _Heartbeat(organization_id=run.organization_id, holder=holder)
    heartbeat.start()
    try:
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.RUNNING, started_at=timezone.now()
        )
        run.refresh_from_db()
        sync_execute(run=run)
    finally:
        heartbeat.stop()
        lock_release(organization_id=run.organization_id, holder=holder)
    run.refresh_from_db()
    return run


def sync_run_progress(*, run: SyncRun, processed: int = 0, total: int | None = None) -> None:
    """Advance the run's progress counters (one UPDATE, no read)."""
    values = {"progress_processed": F("progress_processed") + processed}
    if total is not None:
        values["progress_total"] = total
    SyncRun.objects.filter(pk=run.pk).update(**values)


def sync_run_now(
    *,
    organization: Organization,
    trigger: str,
    mode: str = SyncRun.Mode.FULL,
    requested_by=None,
) -> SyncRun:
    """Run a sync in this process (commands, support, tests) with the same lock and records."""
    run = SyncRun.objects.create(
        organization=organization,
        trigger=trigger,
        mode=mode,
        status=SyncRun.Status.QUEUED,
        requested_by=requested_by,
    )
    return sync_run_execute(run_id=run.pk)
