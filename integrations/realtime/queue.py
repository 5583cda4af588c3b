"""The refresh queue: people and groups Google said changed, until the sync engine applied
them (PendingRefresh). Bursts about one person merge; the task that applies them
(`refresh_apply_task`) is sent after the debounce."""

import math
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Least, Lower
from django.utils import timezone

from usermanagement.models import User

from ..models import PendingRefresh, SyncRun
from .refresh import LockBusy, refresh_apply, refresh_more_due

MAX_KEY_LENGTH = 254
# while another run holds the lock, a refresh looks again this often
BUSY_RETRY_SECONDS = 1


def refresh_request(
    *,
    organization_id: int,
    kind: str,
    keys: Iterable[str],
    source: str,
    event_at=None,
    now=None,
) -> int:
    """Queue a refresh of each key (a Google id or an email) and send the apply task after the
    debounce. Returns how many keys were queued."""
    now = now or timezone.now()
    due_at = now + timedelta(seconds=settings.REALTIME_DEBOUNCE_SECONDS)
    keys = {key.strip().lower() for key in keys if key and len(key) <= MAX_KEY_LENGTH}
    if kind == PendingRefresh.Kind.USER:
        keys = _google_ids(organization_id, keys)
    for key in sorted(keys):
        updated = PendingRefresh.objects.filter(
            organization_id=organization_id, kind=kind, key=key
        ).update(
            received_at=now,
            due_at=due_at,
            event_at=(
                Least(Coalesce(F("event_at"), event_at), event_at) if event_at else F("event_at")
            ),
        )
        if not updated:
            PendingRefresh.objects.bulk_create(
                [
                    PendingRefresh(
                        organization_id=organization_id,
                        kind=kind,
                        key=key,
                        source=source,
                        event_at=event_at,
                        first_received_at=now,
                        received_at=now,
                        due_at=due_at,
                    )
                ],
                ignore_conflicts=True,  # a concurrent notification queued it: merged
            )
    if keys:
        transaction.on_commit(partial(_apply_task_send, organization_id))
    return len(keys)


def _apply_task_send(organization_id: int) -> None:
    """One apply task per organization per debounce: a burst of a thousand notifications needs
    a run a second, not a thousand tasks that each look at the queue (at 100,000 people they
    cost Hearth more CPU than the runs). A notification that finds a task already on its way
    is not lost: that run ends by sending the task for whatever is still queued
    (refresh_queue_kick), and the minute's upkeep sends it again if a message was lost."""
    debounce = settings.REALTIME_DEBOUNCE_SECONDS
    if cache.add(f"realtime-apply-sent-{organization_id}", 1, timeout=math.ceil(debounce)):
        refresh_apply_task.apply_async((organization_id,), countdown=debounce)


def _google_ids(organization_id: int, keys: set[str]) -> set[str]:
    """People named by address are queued by their Google id where Hearth knows it, so that a
    notification naming someone by id and an activity naming them by address merge."""
    emails = {key for key in keys if "@" in key}
    if not emails:
        return keys
    known = dict(
        User.objects.filter(organization_id=organization_id, google_id__isnull=False)
        .exclude(status=User.Status.ARCHIVED)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "google_id")
    )
    return {known.get(key, key) for key in keys}


@shared_task(name="integrations.realtime.refresh_apply", acks_late=True, ignore_result=True)
def refresh_apply_task(organization_id: int, undue_too: bool = False) -> None:
    close_old_connections()
    if not undue_too and (wait := _spacing_left(organization_id)) > 0:
        # A refresh run began less than the spacing ago, and its end sends the task for what
        # is queued now; one task waits out the spacing besides, in case that run failed.
        if cache.add(f"realtime-spaced-{organization_id}", 1, timeout=math.ceil(wait)):
            refresh_apply_task.apply_async((organization_id,), countdown=wait)
        return
    try:
        run = refresh_apply(organization_id=organization_id, undue_too=undue_too)
    except LockBusy:
        # one waiter per organization is enough: the others' work is in the queue
        if cache.add(f"realtime-waiting-{organization_id}", 1, timeout=BUSY_RETRY_SECONDS):
            refresh_apply_task.apply_async((organization_id,), countdown=BUSY_RETRY_SECONDS)
        return
    if run is not None:
        spacing = settings.REALTIME_RUN_SPACING_SECONDS
        cache.set(
            _last_run_key(organization_id),
            run.started_at.timestamp(),
            timeout=math.ceil(spacing) + 1,
        )
    if run is not None and run.status == SyncRun.Status.FAILED:
        return  # Google refused: the minute's upkeep sends the queue again, not a hot loop
    refresh_queue_kick(organization_id=organization_id)


def _last_run_key(organization_id: int) -> str:
    return f"realtime-last-run-{organization_id}"


def _spacing_left(organization_id: int) -> float:
    """Seconds until the organization's next refresh run may start (0: now)."""
    started = cache.get(_last_run_key(organization_id))
    if started is None:
        return 0.0
    spacing = settings.REALTIME_RUN_SPACING_SECONDS
    return max(0.0, started + spacing - timezone.now().timestamp())


def refresh_queue_kick(*, organization_id: int, after_lock_holder: bool = False) -> bool:
    """Send the apply task for when the next queued refresh falls due — and not before
    REALTIME_RUN_SPACING_SECONDS after the last refresh run started: during a burst the next
    run takes everything that fell due meanwhile, instead of runs back to back taking a
    handful of changes each (at 100,000 people, 559 runs for 1,513 changes).
    After a run that held the organization's lock (a reconcile, Sync All Users), everything
    queued goes at once, in one run, debounce or not: it waited behind that run, and a change
    made in its last second would otherwise wait for its own debounce and the run before it
    (up to 4.7 s measured). False: the queue is empty."""
    upcoming = refresh_more_due(organization_id=organization_id)
    if upcoming is None:
        return False
    if after_lock_holder:
        refresh_apply_task.apply_async((organization_id, True))
        return True
    wait = max((upcoming - timezone.now()).total_seconds(), _spacing_left(organization_id))
    refresh_apply_task.apply_async((organization_id,), countdown=max(0.0, wait))
    return True
