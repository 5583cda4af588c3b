"""Apply the queued refreshes of an organization: one incremental SyncRun (trigger *push* or
*feed*) covering every person and group due, through the sync engine's `sync_targeted` under
the organization's lock — so the same identity rules, records and safety apply.

Never dropped: while another run (a reconcile, Sync All Users) holds the lock, nothing is
taken from the queue; the caller tries again shortly and the minute's upkeep re-sends
anything left. A row leaves the queue only when the run that read it succeeded (or held its
removals for review) and no newer notification about it arrived meanwhile. A run that changed
nothing is not kept.
"""

import structlog
from django.db.models import Q
from django.utils import timezone

from ..models import Integration, PendingRefresh, SyncRun
from ..sync.engine import sync_targeted
from ..sync.runs import run_under_lock, sync_run_create
from . import health

logger = structlog.get_logger(__name__)

# one run applies at most this many people and groups; the rest go to the next run at once
RUN_LIMIT = 2000


class LockBusy(Exception):
    """Another run holds the organization's lock: try again shortly (nothing was taken)."""


def refresh_apply(*, organization_id: int, now=None, undue_too: bool = False):
    """Apply what is due — with `undue_too`, everything queued, its debounce not over (right
    after a run that held the lock: what waited behind it goes in one run). Returns the run, or
    None when nothing was due. Raises LockBusy when another run holds the lock."""
    now = now or timezone.now()
    queued = PendingRefresh.objects.filter(organization_id=organization_id)
    if not undue_too:
        queued = queued.filter(due_at__lte=now)
    due = list(
        queued.order_by("due_at").values(
            "pk", "kind", "key", "source", "event_at", "first_received_at", "received_at"
        )[:RUN_LIMIT]
    )
    if not due:
        return None
    integration = Integration.objects.filter(organization_id=organization_id).first()
    if integration is None or not integration.is_syncing or integration.sync_account_id is None:
        # disconnected meanwhile: nothing to apply them to (a reconnect starts a full sync)
        PendingRefresh.objects.filter(pk__in=[row["pk"] for row in due]).delete()
        return None
    trigger = (
        SyncRun.Trigger.PUSH
        if any(row["source"] == "push" for row in due)
        else SyncRun.Trigger.FEED
    )
    run = sync_run_create(
        organization=integration.organization, trigger=trigger, mode=SyncRun.Mode.INCREMENTAL
    )
    done = run_under_lock(
        run,
        lambda guard: sync_targeted(
            run=run,
            user_keys=[row["key"] for row in due if row["kind"] == "user"],
            group_keys=[row["key"] for row in due if row["kind"] == "group"],
            guard=guard,
        ),
    )
    if done is None:
        run.delete()  # it never started; the queue keeps the work
        raise LockBusy
    if done.status != SyncRun.Status.SUCCEEDED and done.status != SyncRun.Status.HELD:
        logger.warning("refresh_failed", organization_id=organization_id, error=done.error_class)
        return done  # the queue keeps the work; the upkeep sends it again
    applied = Q()
    for row in due:
        applied |= Q(pk=row["pk"], received_at=row["received_at"])
    PendingRefresh.objects.filter(applied).delete()
    since = min(row["event_at"] or row["first_received_at"] for row in due)
    health.change_applied(organization_id=organization_id, since=since, now=timezone.now())
    if done.status == SyncRun.Status.SUCCEEDED and not done.counts:
        # Nothing changed (most notifications are people signing in, which Google notifies as
        # updates): no run in the history for it — thousands a day at a large organization.
        done.delete()
    return done


def refresh_more_due(*, organization_id: int, now=None):
    """When the next queued refresh falls due (None: the queue is empty)."""
    return (
        PendingRefresh.objects.filter(organization_id=organization_id)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
