"""Real-time sync's Celery tasks (registered by integrations.tasks; the beat's entries are in
config/periodic_tasks.py)."""

from datetime import timedelta

import structlog
from celery import shared_task
from django.db import close_old_connections
from django.utils import timezone

from ..models import Integration, PendingRefresh, PushChannel, RealtimeState
from . import channels, feed
from .queue import refresh_apply_task

logger = structlog.get_logger(__name__)

# a queued refresh due this long ago without being applied is sent again (a lost message)
STALE_SECONDS = 30


@shared_task(name="integrations.realtime.feed_poll", acks_late=True, ignore_result=True)
def feed_poll_task(organization_id: int) -> None:
    close_old_connections()
    feed.feed_poll(organization_id=organization_id)


def feed_poll_due(*, now=None) -> list[int]:
    """Every minute: send a feed poll for each organization whose poll is due."""
    now = now or timezone.now()
    due = feed.feed_polls_due(now=now)
    for organization_id in due:
        # not sent again next minute while this poll waits in the queue or runs; the poll
        # sets its own next time when it completes
        RealtimeState.objects.update_or_create(
            organization_id=organization_id,
            defaults={"feed_next_poll_at": now + timedelta(seconds=STALE_SECONDS * 4)},
        )
        feed_poll_task.delay(organization_id)
    return due


def channels_maintain(*, now=None) -> None:
    """Every minute: open missing channels and renew expiring ones (all of them where push is
    degraded), and send again the refreshes whose message was lost."""
    now = now or timezone.now()
    for integration in Integration.objects.select_related("sync_account").filter(
        state__in=[Integration.State.ACTIVE, Integration.State.ERROR]
    ):
        state = RealtimeState.objects.filter(organization_id=integration.organization_id).first()
        # degraded: every channel recreated once (not again each minute)
        degraded = (
            state is not None
            and state.push_health == RealtimeState.PushHealth.DEGRADED
            and not PushChannel.objects.filter(
                organization_id=integration.organization_id,
                created_at__gte=state.push_health_changed_at,
            ).exists()
        )
        try:
            channels.push_channels_ensure(integration=integration, now=now, renew_all=degraded)
        except Exception:  # one organization's failure must not stop the others' upkeep
            logger.exception("push_channels_upkeep_failed", organization_id=integration.pk)
    stale = now - timedelta(seconds=STALE_SECONDS)
    for organization_id in set(
        PendingRefresh.objects.filter(due_at__lt=stale).values_list("organization_id", flat=True)
    ):
        refresh_apply_task.delay(organization_id)


@shared_task(name="integrations.realtime.feed_poll_due", ignore_result=True)
def feed_poll_due_task() -> None:
    feed_poll_due()


@shared_task(name="integrations.realtime.channels_maintain", ignore_result=True)
def channels_maintain_task() -> None:
    channels_maintain()



@shared_task(name="integrations.realtime.channels_open", ignore_result=True)
def channels_open_task(organization_id: int) -> None:
    """Right after connecting: the organization's channels, without waiting for the upkeep."""
    close_old_connections()
    integration = (
        Integration.objects.select_related("sync_account")
        .filter(organization_id=organization_id)
        .first()
    )
    if integration is not None:
        channels.push_channels_ensure(integration=integration)
