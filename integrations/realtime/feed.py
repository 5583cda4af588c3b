"""The activity feed: Google's admin activities (Reports API), read every minute per active
organization — the safety net for what push missed, and the source of group changes.

Each poll reads from the stored cursor less an overlap wider than Google's reporting lag (an
event becomes readable minutes after it happened), so a late event is still read; events
already handled are recognized by their id (FeedEvent) and acted on once. The cursor moves
only after a complete read: a poll that fails keeps it and the next catches up. A person
named by a user event is refreshed; a group named by any group or membership event is
refreshed with its members (a group's members are re-listed only when that group changed).

Pace: every minute; when push is healthy (the activities channel delivers the same events as
they happen) an organization with nothing happening backs off, doubling up to
REALTIME_FEED_MAX_INTERVAL_SECONDS, so idle tenants cost little.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from django.conf import settings
from django.utils import timezone

from ..errors import IntegrationError
from ..google.client import google_client
from ..models import FeedEvent, Integration, RealtimeState
from . import health
from .queue import refresh_request

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Targets:
    """What one admin activity names."""

    event_id: str
    event_at: datetime
    users: tuple[str, ...]
    groups: tuple[str, ...]


def _parameters(event: dict) -> dict[str, str]:
    values = {}
    for parameter in event.get("parameters") or []:
        if isinstance(parameter, dict) and isinstance(parameter.get("value"), str):
            values[str(parameter.get("name", ""))] = parameter["value"]
    return values


def activity_targets(activity: dict) -> Targets | None:
    """The people and groups an activity resource names; None when it is not one."""
    if not isinstance(activity, dict) or not isinstance(activity.get("id"), dict):
        return None
    ident = activity["id"]
    try:
        event_at = datetime.fromisoformat(str(ident["time"]).replace("Z", "+00:00"))
        event_id = str(ident["uniqueQualifier"])[:64]
    except (KeyError, ValueError):
        return None
    if event_at.tzinfo is None or not event_id:
        return None
    users, groups = set(), set()
    for event in activity.get("events") or []:
        if not isinstance(event, dict):
            continue
        values = _parameters(event)
        if "GROUP_EMAIL" in values:
            groups.add(values["GROUP_EMAIL"])
            if event.get("name") == "CHANGE_GROUP_EMAIL" and values.get("NEW_VALUE"):
                groups.add(values["NEW_VALUE"])
        elif "USER_EMAIL" in values:
            users.add(values["USER_EMAIL"])
    return Targets(event_id, event_at, tuple(sorted(users)), tuple(sorted(groups)))


def events_handle(
    *, organization_id: int, targets: list[Targets], now, source: str = "feed"
) -> int:
    """Queue refreshes for the events not handled before (`source`: read from the feed, or
    pushed by the activities channel); returns how many were new."""
    if not targets:
        return 0
    known = set(
        FeedEvent.objects.filter(
            organization_id=organization_id, event_id__in=[t.event_id for t in targets]
        ).values_list("event_id", flat=True)
    )
    new = {t.event_id: t for t in targets if t.event_id not in known}
    FeedEvent.objects.bulk_create(
        [
            FeedEvent(organization_id=organization_id, event_id=t.event_id, event_at=t.event_at)
            for t in new.values()
        ],
        ignore_conflicts=True,
    )
    for kind in ("users", "groups"):
        earliest: dict[str, datetime] = {}
        for target in new.values():
            for key in getattr(target, kind):
                earliest[key] = min(earliest.get(key, target.event_at), target.event_at)
        for key, event_at in earliest.items():
            refresh_request(
                organization_id=organization_id,
                kind=kind[:-1],
                keys=[key],
                source=source,
                event_at=event_at,
                now=now,
            )
    user_events = [t.event_at for t in new.values() if t.users]
    if user_events:
        health.push_expected(organization_id=organization_id, since=min(user_events))
    return len(new)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def feed_poll(*, organization_id: int, now=None) -> int | None:
    """Read the admin activities since the cursor and queue what they name. Returns how many
    new events it found (None: the integration does not sync, or the read failed)."""
    now = now or timezone.now()
    integration = (
        Integration.objects.select_related("sync_account")
        .filter(organization_id=organization_id)
        .first()
    )
    if integration is None or not integration.is_syncing or integration.sync_account is None:
        return None
    state, _ = RealtimeState.objects.get_or_create(organization_id=organization_id)
    overlap = timedelta(seconds=settings.REALTIME_FEED_OVERLAP_SECONDS)
    start = (state.feed_cursor or now) - overlap
    targets = []
    try:
        client = google_client(subject=integration.sync_account.email)
        for page in client.admin_activities_pages(start_time=_rfc3339(start)):
            targets += [t for t in map(activity_targets, page) if t is not None]
    except IntegrationError as error:
        RealtimeState.objects.filter(pk=state.pk).update(
            feed_failed_at=now,
            feed_error=f"{error.headline} {error.detail}".strip()[:500],
            feed_next_poll_at=now + timedelta(seconds=settings.REALTIME_FEED_INTERVAL_SECONDS),
        )
        logger.warning("feed_poll_failed", organization_id=organization_id, error=error.code)
        return None
    found = events_handle(organization_id=organization_id, targets=targets, now=now)
    idle = 0 if found else state.feed_idle_polls + 1
    RealtimeState.objects.filter(pk=state.pk).update(
        feed_cursor=now,
        feed_polled_at=now,
        feed_error="",
        feed_idle_polls=idle,
        feed_next_poll_at=now + _poll_interval(state, idle),
    )
    FeedEvent.objects.filter(
        organization_id=organization_id, event_at__lt=start - overlap
    ).delete()
    health.push_judge(organization_id=organization_id, now=now)
    return found


def _poll_interval(state: RealtimeState, idle_polls: int) -> timedelta:
    """Every minute; backing off while nothing happens and push (which carries the same
    events at once) is healthy."""
    base = settings.REALTIME_FEED_INTERVAL_SECONDS
    if state.push_health != RealtimeState.PushHealth.HEALTHY or not idle_polls:
        return timedelta(seconds=base)
    return timedelta(
        seconds=min(base * 2 ** min(idle_polls, 10), settings.REALTIME_FEED_MAX_INTERVAL_SECONDS)
    )


def feed_polls_due(*, now=None) -> list[int]:
    """The organizations whose next poll is due (never polled included); none while real-time
    sync is turned off (REALTIME_ENABLED)."""
    if not settings.REALTIME_ENABLED:
        return []
    now = now or timezone.now()
    active = Integration.objects.filter(
        state__in=[Integration.State.ACTIVE, Integration.State.ERROR]
    ).values_list("organization_id", flat=True)
    later = set(
        RealtimeState.objects.filter(
            organization_id__in=active, feed_next_poll_at__gt=now
        ).values_list("organization_id", flat=True)
    )
    return [organization_id for organization_id in active if organization_id not in later]
