"""Push health, lag, and what they mean for the schedule.

Push is *degraded* when the feed shows a user change that no notification followed within
REALTIME_PUSH_GRACE_SECONDS (Google stopped posting, a channel died, the address broke): the
channels are recreated (the next minute's channel upkeep) and the feed carries the changes
meanwhile — it reads every minute while push is not healthy. The first notification about a
change makes push *healthy* again. The scheduled full sync becomes a nightly reconcile while
real-time sync works (`realtime_working`).
"""

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from ..models import PendingRefresh, PushChannel, RealtimeState

logger = structlog.get_logger(__name__)

Health = RealtimeState.PushHealth


def _state(organization_id: int) -> RealtimeState:
    return RealtimeState.objects.get_or_create(organization_id=organization_id)[0]


def _set_health(organization_id: int, health: str, reason: str, now) -> bool:
    changed = (
        RealtimeState.objects.filter(organization_id=organization_id)
        .exclude(push_health=health)
        .update(push_health=health, push_health_changed_at=now, push_health_reason=reason)
    )
    if changed:
        logger.info("push_health", organization_id=organization_id, health=health, reason=reason)
    return bool(changed)


def push_received(*, organization_id: int, now, change: bool = True) -> None:
    """A notification arrived: push works. `change`: it named a change to apply (not an update
    waiting for its admin activity, most of which are people signing in)."""
    fields = {
        "push_received_at": now,
        # a change the feed showed, that push was expected to bring, has been brought
        "push_expected_since": Case(
            When(push_expected_since__lte=now, then=Value(None)),
            default=F("push_expected_since"),
        ),
    }
    if change:
        soon = now + timedelta(seconds=settings.REALTIME_FEED_INTERVAL_SECONDS)
        fields.update(
            last_change_received_at=now,
            # something is happening: the feed, which confirms what push says, stops backing off
            feed_idle_polls=0,
            feed_next_poll_at=Least(Coalesce(F("feed_next_poll_at"), soon), soon),
        )
    # One statement when push is already healthy, as it is for nearly every notification (the
    # webhook answers a thousand a minute in a burst); otherwise the record is made first and
    # the return to healthy logged.
    if RealtimeState.objects.filter(
        organization_id=organization_id, push_health=Health.HEALTHY
    ).update(**fields):
        return
    _state(organization_id)
    RealtimeState.objects.filter(organization_id=organization_id).update(**fields)
    _set_health(organization_id, Health.HEALTHY, "Google's notifications arrive.", now)


def push_expected(*, organization_id: int, since) -> None:
    """The feed showed a user change at `since`: push should have delivered it — unless a
    notification came after it. Keeps the earliest such change. One statement (the activities
    channel calls this for each admin activity it posts); the record is made when missing."""
    unnoticed = Q(push_received_at__isnull=True) | Q(push_received_at__lt=since)
    earlier = Q(push_expected_since__isnull=True) | Q(push_expected_since__gt=since)
    fields = {
        "last_change_received_at": timezone.now(),
        "push_expected_since": Case(
            When(unnoticed & earlier, then=Value(since)), default=F("push_expected_since")
        ),
    }
    if not RealtimeState.objects.filter(organization_id=organization_id).update(**fields):
        _state(organization_id)
        RealtimeState.objects.filter(organization_id=organization_id).update(**fields)


def push_judge(*, organization_id: int, now) -> None:
    """After a feed poll: a user change push has not followed within the grace is a miss."""
    state = _state(organization_id)
    grace = timedelta(seconds=settings.REALTIME_PUSH_GRACE_SECONDS)
    if state.push_expected_since is None or now - state.push_expected_since < grace:
        return
    if state.push_received_at is not None and state.push_received_at >= state.push_expected_since:
        RealtimeState.objects.filter(pk=state.pk).update(push_expected_since=None)
        return
    _set_health(
        organization_id,
        Health.DEGRADED,
        "The activity feed showed a change Google's notifications never delivered; "
        "channels are being recreated and the feed carries the changes meanwhile.",
        now,
    )
    RealtimeState.objects.filter(pk=state.pk).update(push_expected_since=None)


def change_applied(*, organization_id: int, since, now) -> None:
    """A refresh applied changes received at (or made by Google at) `since`."""
    _state(organization_id)  # the first refresh may come before any other real-time record
    RealtimeState.objects.filter(organization_id=organization_id).update(
        last_change_applied_at=now, lag_seconds=max(0.0, (now - since).total_seconds())
    )


def realtime_working(*, organization_ids, now=None) -> set[int]:
    """Of these organizations, those real-time sync keeps current: their feed read completed
    lately and has not failed since (push may be degraded — the feed then carries the user
    changes too)."""
    if not settings.REALTIME_ENABLED:
        return set()
    now = now or timezone.now()
    recent = now - timedelta(seconds=settings.REALTIME_FEED_MAX_INTERVAL_SECONDS * 2)
    return set(
        RealtimeState.objects.filter(
            Q(feed_failed_at__isnull=True) | Q(feed_failed_at__lt=F("feed_polled_at")),
            organization_id__in=list(organization_ids),
            feed_polled_at__gte=recent,
        ).values_list("organization_id", flat=True)
    )


@dataclass(frozen=True)
class RealtimeHealth:
    """What the G Suite card, the settings page and the support console show."""

    enabled: bool
    push: str  # Health value
    push_label: str
    push_reason: str
    channels_live: int
    feed_polled_at: object
    feed_error: str
    last_change_received_at: object
    last_change_applied_at: object
    lag_seconds: float | None
    pending: int


def realtime_health(*, organization_id: int, now=None) -> RealtimeHealth:
    now = now or timezone.now()
    state = RealtimeState.objects.filter(organization_id=organization_id).first()
    live = PushChannel.objects.filter(
        organization_id=organization_id, stopped_at__isnull=True, expires_at__gt=now
    ).count()
    push = state.push_health if state else Health.UNKNOWN
    return RealtimeHealth(
        enabled=settings.REALTIME_ENABLED,
        push=push,
        push_label=Health(push).label,
        push_reason=state.push_health_reason if state else "",
        channels_live=live,
        feed_polled_at=state.feed_polled_at if state else None,
        feed_error=state.feed_error if state else "",
        last_change_received_at=state.last_change_received_at if state else None,
        last_change_applied_at=state.last_change_applied_at if state else None,
        lag_seconds=state.lag_seconds if state else None,
        pending=PendingRefresh.objects.filter(organization_id=organization_id).count(),
    )
