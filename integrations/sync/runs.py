"""Sync runs: create, lock, execute, record.

Flow:
1. `sync_run_create` writes a SyncRun (queued) — the one place runs are created. Sending runs
   to the workers is integrations.tasks' job, one step up the chain: `sync_enqueue` sends a new
   run's id after commit (`integrations.tasks.sync_run_execute`); the schedule
   (`sync_schedule_due`, every minute) enqueues one run per active organization whose interval
   has elapsed and that has no run queued or running, and resumes runs whose worker died.
2. `sync_run_execute` claims the organization's lock (`SyncLock`): a conditional UPDATE that
   succeeds only if the lock is free or its lease expired — the same on PostgreSQL and SQLite,
   across processes. A run that cannot claim it is recorded as *skipped* (unless the holder is
   another execution of the same run). Claiming starts a new *attempt* of the run. While the run
   works, a heartbeat thread extends the lease, and every write transaction of the run begins
   with `Lease.check`: an UPDATE that renews the lease only if this execution still holds it —
   so the lock row stays locked until that transaction commits, and a run whose lease expired
   and was taken over (a paused worker, a slow database) raises LockLost before writing
   anything more: one writer at a time. It is recorded as failed with `LockLost`, unless the
   run itself was resumed meanwhile (then the newer attempt records it).
   A killed worker stops beating and its lease expires; the schedule (every minute) resumes a
   run left *running* under an expired lease as a new attempt — without waiting for the
   broker's redelivery (an hour on Redis) — and the resumed run converges: every step of the
   sync is idempotent (creates are keyed on Google's ids, a batch is one transaction).
3. The run itself (integrations.sync.engine) fetches, plans and applies; this module records
   the outcome: succeeded, held (removals above the threshold, waiting for review), or failed.
   A failure that a person must fix (auth, permissions) moves the integration to *error* and
   emails the Hearth admins once per incident; the next success clears it and says so.
4. For the support console: `sync_run_person_now` syncs one person as a run of its own under the
   same lock, and `sync_lock_reset` frees an organization whose lease expired with runs left
   behind (never while a live holder renews it).
"""

import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from organizations.models import Organization

from ..errors import IntegrationError, IntegrationStateError
from ..models import Integration, SyncLock, SyncRun
from .engine import LockLost, sync_execute, sync_user

logger = structlog.get_logger(__name__)

# How long a run's hold on the lock lasts without renewal (settings.SYNC_LOCK_LEASE_SECONDS,
# 2 minutes by default): a dead worker's run is resumed at most a schedule tick after it ends.
LOCK_LEASE = timedelta(seconds=settings.SYNC_LOCK_LEASE_SECONDS)
HEARTBEAT_SECONDS = max(1.0, settings.SYNC_LOCK_LEASE_SECONDS / 6)


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


class Lease:
    """An execution's hold on the organization's lock: renewed by a heartbeat thread, and
    checked by every write transaction of the run (`check`, the engine's guard)."""

    def __init__(self, *, organization_id: int, holder: str):
        self.organization_id = organization_id
        self.holder = holder
        self.heartbeat = _Heartbeat(lease=self)

    def __enter__(self) -> "Lease":
        self.heartbeat.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.heartbeat.stop()
        lock_release(organization_id=self.organization_id, holder=self.holder)

    def check(self) -> None:
        """Inside a write transaction: renew the lease if this execution still holds it, else
        raise LockLost. The UPDATE keeps the lock row locked until the transaction commits, so
        no other run can take the lock in the middle of this write."""
        if self.heartbeat.lost.is_set() or not lock_renew(
            organization_id=self.organization_id, holder=self.holder
        ):
            raise LockLost(f"Lost the sync lock of organization {self.organization_id}.")


class _Heartbeat(threading.Thread):
    """Renews the lock lease while a run works (own DB connection, closed on exit)."""

    def __init__(self, *, lease: Lease):
        super().__init__(name=f"sync-heartbeat-{lease.organization_id}", daemon=True)
        self.lease = lease
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                if not lock_renew(
                    organization_id=self.lease.organization_id, holder=self.lease.holder
                ):
                    self.lost.set()
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def run_holder(run_id: int) -> str:
    return f"run-{run_id}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_prefix(run_id: int) -> str:
    return f"run-{run_id}@"


# --- execute -----------------------------------------------------------------------------------


def sync_run_create(
    *,
    organization: Organization,
    trigger: str,
    mode: str = SyncRun.Mode.FULL,
    requested_by=None,
) -> SyncRun:
    """Record a queued run: the one place a SyncRun is created (integrations.tasks.sync_enqueue
    sends it to a worker; sync_run_now executes it here)."""
    return SyncRun.objects.create(
        organization=organization,
        trigger=trigger,
        mode=mode,
        status=SyncRun.Status.QUEUED,
        requested_by=requested_by,
    )


def sync_run_execute(*, run_id: int) -> SyncRun | None:
    """Execute a queued (or interrupted) run under the organization's lock; record the outcome."""
    close_old_connections()
    run = SyncRun.objects.select_related("organization").filter(pk=run_id).first()
    if run is None:
        logger.warning("sync_run_missing", run_id=run_id)
        return None
    if run.status not in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING):
        return run  # a redelivered message for a finished run
    holder = run_holder(run.pk)
    if not lock_claim(organization_id=run.organization_id, holder=holder):
        current = (
            SyncLock.objects.filter(organization_id=run.organization_id)
            .values_list("holder", flat=True)
            .first()
        )
        if (current or "").startswith(_holder_prefix(run.pk)):
            return run  # another execution of this very run is at work (a duplicate message)
        now = timezone.now()
        SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.SKIPPED,
            started_at=now,
            finished_at=now,
            note="Another sync of this organization was running.",
        )
        run.refresh_from_db()
        logger.info("sync_run_skipped", run_id=run.pk, organization_id=run.organization_id)
        return run
    with Lease(organization_id=run.organization_id, holder=holder) as lease:
        started = SyncRun.objects.filter(
            pk=run.pk, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
        ).update(
            status=SyncRun.Status.RUNNING,
            attempt=F("attempt") + 1,
            started_at=Coalesce("started_at", timezone.now()),
        )
        if not started:
            return run
        run.refresh_from_db()
        try:
            sync_execute(run=run, guard=lease.check)
        except LockLost:
            _record_lock_lost(run)
    run.refresh_from_db()
    return run


def _record_lock_lost(run: SyncRun) -> None:
    """The execution lost its lease and stopped writing. If the run was resumed meanwhile (a
    newer attempt), that attempt records the outcome; otherwise this run failed."""
    still_ours = SyncRun.objects.filter(
        pk=run.pk, attempt=run.attempt, status=SyncRun.Status.RUNNING
    ).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error_class="LockLost",
        error_message=(
            "This run was paused long enough for its hold on the organization's sync to expire, "
            "and another run took over; it stopped writing at once. The other run carries on."
        ),
    )
    logger.warning("sync_run_lock_lost", run_id=run.pk, attempt=run.attempt, recorded=still_ours)


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
    run = sync_run_create(
        organization=organization, trigger=trigger, mode=mode, requested_by=requested_by
    )
    return sync_run_execute(run_id=run.pk)


# --- one person now; a stuck organization reset (the support console) ------------------------


def sync_run_person_now(
    *, organization: Organization, user_key: str, trigger: str, requested_by=None
) -> SyncRun:
    """Sync one person (a Google id or an email) in this process, as a run of its own under the
    organization's lock: the one-person path (engine.sync_user, which real-time sync takes too)
    for the support console's "re-sync these people". Like any run it is skipped while another
    run holds the lock or the integration does not sync, and recorded as failed when Google
    refuses."""
    run = sync_run_create(organization=organization, trigger=trigger, requested_by=requested_by)
    integration = Integration.objects.filter(organization=organization).first()
    if integration is None or not integration.is_syncing or integration.sync_account_id is None:
        state = integration.get_state_display().lower() if integration else "not started"
        return sync_run_close(
            run, status=SyncRun.Status.SKIPPED, note=f"The integration is {state}."
        )
    done = run_under_lock(
        run, lambda guard: sync_user(run=run, user_key=user_key, guard=guard)
    )
    if done is None:
        return sync_run_close(
            run,
            status=SyncRun.Status.SKIPPED,
            note="Another sync of this organization was running.",
        )
    return done


def run_under_lock(run: SyncRun, work: Callable[[Callable[[], None]], object]) -> SyncRun | None:
    """Run `work(guard)` for a created run under its organization's lock — None, with nothing
    started, when another run holds the lock. Google's refusals are recorded on the run (failed,
    with the error's words); any other exception too, before it propagates: a run left
    *running* would be taken for a dead worker's and resumed."""
    holder = run_holder(run.pk)
    if not lock_claim(organization_id=run.organization_id, holder=holder):
        return None
    with Lease(organization_id=run.organization_id, holder=holder) as lease:
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.RUNNING, attempt=1, started_at=timezone.now()
        )
        run.refresh_from_db()
        try:
            work(lease.check)
        except IntegrationError as error:
            sync_run_close(
                run,
                status=SyncRun.Status.FAILED,
                error_class=error.code,
                error_message=f"{error.headline} {error.detail}".strip(),
            )
        except LockLost:
            _record_lock_lost(run)
        except Exception as exc:
            sync_run_close(
                run,
                status=SyncRun.Status.FAILED,
                error_class=type(exc).__name__,
                error_message=str(exc)[:2000],
            )
            raise
    run.refresh_from_db()
    return run


def sync_run_close(run: SyncRun, *, status: str, **fields) -> SyncRun:
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, started_at=Coalesce("started_at", now), finished_at=now, **fields
    )
    run.refresh_from_db()
    return run


def sync_lock_reset(*, organization: Organization, queued_before=None, now=None) -> list[int]:
    """Free a stuck organization: release its sync lock and close the runs it left behind —
    those still *running*, and those *queued* before `queued_before` (their message was lost).

    Only once the lease has expired: while a live holder renews it, a run is at work and this
    raises IntegrationStateError, changing nothing. The lock row stays locked until commit, so
    a holder that wakes up meanwhile finds the lock gone at its next check (LockLost) and stops
    writing. Returns the ids of the runs closed (recorded as failed, error class `Reset`)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock = SyncLock.objects.select_for_update().filter(organization=organization).first()
        if lock is not None and lock.holder and lock.expires_at and lock.expires_at >= now:
            raise IntegrationStateError(
                "A sync of this organization is running right now: its worker renewed the lock "
                f"moments ago (it holds it until {lock.expires_at:%H:%M:%S} UTC). Nothing reset."
            )
        if lock is not None and lock.holder:
            SyncLock.objects.filter(pk=lock.pk).update(holder="", expires_at=None)
        stuck = Q(status=SyncRun.Status.RUNNING)
        if queued_before is not None:
            stuck |= Q(status=SyncRun.Status.QUEUED, created_at__lt=queued_before)
        closed = list(
            SyncRun.objects.filter(stuck, organization=organization).values_list("pk", flat=True)
        )
        SyncRun.objects.filter(pk__in=closed).update(
            status=SyncRun.Status.FAILED,
            started_at=Coalesce("started_at", now),
            finished_at=now,
            error_class="Reset",
            error_message=(
                "Closed when support reset the organization's sync: no worker was running it "
                "(its hold on the sync had expired, or it never started). The next run does "
                "its work."
            ),
        )
    logger.info("sync_lock_reset", organization_id=organization.pk, runs_closed=closed)
    return closed
