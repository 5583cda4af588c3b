"""Push channels: one `users.watch` channel per user event Google offers, and one on the admin
activities. Each has a unique id and a random secret token the webhook checks.

Renewal (`push_channels_ensure`, every minute from the beat): a channel whose remaining life
is under a third of what Google granted (whatever TTL it grants) is replaced — the new
channel first, the old one stopped after, so there is no gap; a change notified on both during
the overlap is refreshed twice, which is harmless. `push_channels_renew` replaces all of them
at once (push degraded; the support console), `push_channels_stop` stops them (disconnect).
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import structlog
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from organizations.models import Organization

from ..errors import IntegrationError
from ..google.client import GoogleClient, google_client
from ..models import Integration, PushChannel

logger = structlog.get_logger(__name__)

USER_EVENTS = ("add", "delete", "update", "undelete", "makeAdmin")
# what Hearth asks for; Google grants at most its own cap (6 hours for the Directory API)
CHANNEL_TTL = timedelta(hours=6)
# a channel is replaced once less than this share of its granted life remains
RENEW_WHEN_LEFT = 1 / 3


def webhook_address() -> str | None:
    """Where Google posts notifications; None when Google could not reach it (push off):
    Google only posts to HTTPS, the sandbox also to http for local runs."""
    if not settings.REALTIME_ENABLED:
        return None
    url = settings.SITE_URL + reverse("push_notification")
    if url.startswith("https://") or settings.GOOGLE_SANDBOX_ENABLED:
        return url
    return None


def _wanted() -> list[tuple[str, str]]:
    return [(PushChannel.Kind.USERS, event) for event in USER_EVENTS] + [
        (PushChannel.Kind.ACTIVITIES, "")
    ]


def _live(organization_id: int, now):
    return PushChannel.objects.filter(
        organization_id=organization_id, stopped_at__isnull=True, expires_at__gt=now
    )


def _open(client: GoogleClient, organization_id: int, kind: str, event: str, address: str, now):
    """Open one channel. Its row is written before the watch call: Google posts the channel's
    `sync` message as soon as it opened it — possibly before the call returned."""
    channel = PushChannel.objects.create(
        organization_id=organization_id,
        kind=kind,
        event=event,
        channel_id=str(uuid.uuid4()),
        token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + CHANNEL_TTL,
    )
    ttl = int(CHANNEL_TTL.total_seconds())
    watch = {"channel_id": channel.channel_id, "token": channel.token, "address": address}
    try:
        if kind == PushChannel.Kind.USERS:
            answer = client.users_watch(event=event, ttl_seconds=ttl, **watch)
        else:
            answer = client.activities_watch(ttl_seconds=ttl, **watch)
    except BaseException:
        channel.delete()
        raise
    channel.resource_id = str(answer.get("resourceId", ""))
    if answer.get("expiration"):
        channel.expires_at = datetime.fromtimestamp(int(answer["expiration"]) / 1000, tz=UTC)
    channel.save(update_fields=["resource_id", "expires_at"])
    return channel


def _stop(client: GoogleClient, channel: PushChannel, now) -> None:
    api = "directory" if channel.kind == PushChannel.Kind.USERS else "reports"
    try:
        client.channel_stop(api=api, channel_id=channel.channel_id, resource_id=channel.resource_id)
    except IntegrationError as error:
        # stopped on our side all the same: the webhook refuses its notifications from now on
        logger.warning("push_channel_stop_failed", channel=channel.channel_id, error=error.code)
    PushChannel.objects.filter(pk=channel.pk, stopped_at__isnull=True).update(stopped_at=now)


def _due_for_renewal(channel: PushChannel, now) -> bool:
    granted = (channel.expires_at - channel.created_at).total_seconds()
    return (channel.expires_at - now).total_seconds() < granted * RENEW_WHEN_LEFT


def push_channels_ensure(*, integration: Integration, now=None, renew_all: bool = False) -> int:
    """Open what is missing and replace what expires soon (or everything, `renew_all`), new
    first, old stopped after. Returns how many channels were opened."""
    now = now or timezone.now()
    address = webhook_address()
    if address is None or not integration.is_syncing or integration.sync_account is None:
        return 0
    live = list(_live(integration.organization_id, now))
    current = {(c.kind, c.event): c for c in sorted(live, key=lambda c: c.expires_at)}
    to_open = [
        key
        for key in _wanted()
        if key not in current or renew_all or _due_for_renewal(current[key], now)
    ]
    if not to_open:
        return 0
    client = google_client(subject=integration.sync_account.email)
    opened = 0
    replaced = []
    for kind, event in to_open:
        try:
            _open(client, integration.organization_id, kind, event, address, now)
        except IntegrationError as error:
            # the feed carries the changes meanwhile; the next minute tries again
            logger.warning(
                "push_channel_open_failed",
                organization_id=integration.organization_id,
                kind=kind,
                event=event,
                error=error.code,
            )
            continue
        opened += 1
        replaced += [c for c in live if (c.kind, c.event) == (kind, event)]
    for channel in replaced:
        _stop(client, channel, now)
    logger.info(
        "push_channels_ensured",
        organization_id=integration.organization_id,
        opened=opened,
        stopped=len(replaced),
    )
    return opened


def push_channels_renew(*, organization: Organization, acting_user=None) -> int:
    """Replace every channel of the organization now (push degraded, or support asked)."""
    integration = Integration.objects.select_related("sync_account").get(
        organization=organization
    )
    return push_channels_ensure(integration=integration, renew_all=True)


def push_channels_stop(*, organization: Organization, now=None) -> int:
    """Stop every live channel (disconnect, uninstall): at Google when it still answers, and
    here in any case. Returns how many were stopped."""
    now = now or timezone.now()
    channels = list(
        PushChannel.objects.filter(organization=organization, stopped_at__isnull=True)
    )
    if not channels:
        return 0
    integration = (
        Integration.objects.select_related("sync_account")
        .filter(organization=organization)
        .first()
    )
    client = None
    if integration is not None and integration.sync_account is not None:
        try:
            client = google_client(subject=integration.sync_account.email)
        except IntegrationError:
            client = None
    for channel in channels:
        if client is not None and channel.expires_at > now:
            _stop(client, channel, now)
        else:
            PushChannel.objects.filter(pk=channel.pk).update(stopped_at=now)
    return len(channels)
