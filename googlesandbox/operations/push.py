"""Admin activities (Reports API) and the push notifications changes send.

Every change records an `Activity` with Google's event name and parameters (emails, not ids),
stamped with the sandbox clock, and enqueues one `PushOutbox` row per matching live
`activities.watch` channel; user changes also notify the `users.watch` channels of their event.
Nothing is posted inline: the sandbox server's drainer (googlesandbox/push.py) does, after
commit. The domain's `drop_push` fault silently loses every notification (never the `sync`).
"""

import json
import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q

from .. import clock
from ..models import Activity, DirUser, Domain, Faults, PushChannel, PushOutbox
from ..resources import activity_resource, user_push_body
from .common import SandboxError, faults_of, normal

PUSH_EVENTS = ("add", "delete", "makeAdmin", "undelete", "update")
# used when a watch asks for no expiration (Google's own default is its cap)
CHANNEL_DEFAULT_TTL = timedelta(hours=6)

# Google's admin-audit event names -> the users.watch event they notify
USER_EVENT_PUSH = {
    "CREATE_USER": "add",
    "DELETE_USER": "delete",
    "UNDELETE_USER": "undelete",
    "GRANT_ADMIN_PRIVILEGE": "makeAdmin",
    "REVOKE_ADMIN_PRIVILEGE": "makeAdmin",
}


def push_dropped(domain: Domain) -> bool:
    return Faults.objects.filter(domain=domain, drop_push=True).exists()


def _enqueue(channel: PushChannel, state: str, body: str) -> PushOutbox:
    """An outbox row; its message number is given at delivery (googlesandbox.push), so that
    concurrent changes of one domain never wait on a shared counter."""
    now = datetime.now(UTC)  # delivery runs on real time (the drainer's)
    return PushOutbox.objects.create(
        channel=channel, state=state, body=body, next_attempt_at=now, created_at=now
    )


def _live_channels(domain: Domain, resource: str, **filters) -> list[PushChannel]:
    return list(
        PushChannel.objects.filter(
            domain=domain,
            resource=resource,
            stopped_at__isnull=True,
            expires_at__gt=clock.now(),
            **filters,
        )
    )


def push_user_change(user: DirUser, event: str) -> None:
    """Notify the users.watch channels of `event` ("add", "update", ...) about `user`."""
    channels = _live_channels(user.domain, PushChannel.RESOURCE_USERS, event=event)
    if not channels or push_dropped(user.domain):
        return
    body = json.dumps(user_push_body(user))
    for channel in channels:
        _enqueue(channel, event, body)


def _push_activity(activity: Activity) -> None:
    channels = _live_channels(
        activity.domain,
        PushChannel.RESOURCE_ACTIVITIES,
        application_name="admin",
    )
    channels = [
        c
        for c in channels
        if c.event in ("", activity.event_name)
        and c.actor_email in ("", activity.actor_email)
    ]
    if not channels or push_dropped(activity.domain):
        return
    body = json.dumps(activity_resource(activity, customer_id=activity.domain.customer_id))
    for channel in channels:
        # Reports notifications name the event in X-Goog-Resource-State
        _enqueue(channel, activity.event_name, body)


def _actor(domain: Domain, actor: str | None) -> tuple[str, str]:
    email = normal(actor) if actor else f"admin@{domain.name}"
    profile = (
        DirUser.objects.filter(primary_email=email, deleted_at__isnull=True)
        .values_list("google_id", flat=True)
        .first()
    )
    return email, profile or ""


def record(domain: Domain, event_name: str, parameters: dict, actor: str | None) -> Activity:
    actor_email, profile_id = _actor(domain, actor)
    event_type = "GROUP_SETTINGS" if "GROUP" in event_name else "USER_SETTINGS"
    activity = Activity.objects.create(
        domain=domain,
        time=clock.now(),
        unique_qualifier=str(secrets.randbelow(10**18)),
        actor_email=actor_email,
        actor_profile_id=profile_id,
        event_type=event_type,
        event_name=event_name,
        parameters=[{"name": k, "value": v} for k, v in parameters.items() if v is not None],
    )
    _push_activity(activity)
    return activity


@transaction.atomic
def channel_watch(
    *,
    domain: Domain,
    channel_id: str,
    address: str,
    event: str,
    token: str = "",
    expiration_ms: int | None = None,
    ttl_seconds: int | None = None,
    resource_uri: str,
    resource: str = PushChannel.RESOURCE_USERS,
    application_name: str = "",
    actor_email: str = "",
) -> PushChannel:
    """Register a watch channel and enqueue its `sync` message (message number 1).

    The expiration asked for (`params.ttl` or `expiration`) is capped at the domain's
    `channel_ttl_max_seconds` (Google caps Directory channels at 6 hours).
    """
    if resource == PushChannel.RESOURCE_USERS and event not in PUSH_EVENTS:
        raise SandboxError(f"Invalid event {event!r}; one of {', '.join(PUSH_EVENTS)}")
    if not address.startswith(("http://", "https://")):
        raise SandboxError("Channel address must be an http(s) URL")
    if PushChannel.objects.filter(
        domain=domain, channel_id=channel_id, stopped_at__isnull=True, expires_at__gt=clock.now()
    ).exists():
        # Google: a channel id must be unique while the channel lives
        raise SandboxError(f"Channel id {channel_id} not unique")
    now = clock.now()
    cap = timedelta(seconds=faults_of(domain).channel_ttl_max_seconds)
    expires_at = now + min(CHANNEL_DEFAULT_TTL, cap)
    if ttl_seconds is not None:
        expires_at = now + timedelta(seconds=int(ttl_seconds))
    elif expiration_ms is not None:
        expires_at = datetime.fromtimestamp(int(expiration_ms) / 1000, tz=UTC)
    expires_at = min(expires_at, now + cap)
    channel = PushChannel.objects.create(
        domain=domain,
        resource=resource,
        application_name=application_name,
        actor_email=actor_email,
        channel_id=channel_id,
        resource_id=secrets.token_urlsafe(21),
        resource_uri=resource_uri,
        token=token,
        address=address,
        event=event,
        expires_at=expires_at,
        created_at=now,
    )
    _enqueue(channel, "sync", "")
    return channel


def channel_stop(*, domain: Domain, channel_id: str, resource_id: str) -> bool:
    stopped = PushChannel.objects.filter(
        Q(domain=domain),
        channel_id=channel_id,
        resource_id=resource_id,
        stopped_at__isnull=True,
    ).update(stopped_at=clock.now())
    return bool(stopped)
