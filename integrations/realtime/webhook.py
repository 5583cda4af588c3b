"""The endpoint Google posts push notifications to (users.watch and activities.watch).

It answers fast and does no sync work: it checks the channel id, our secret token and the
resource id against a live channel (anything else: 404, nothing changed, logged without the
token), notes the `sync` message that opens a channel, and queues a refresh of what the
notification names. The body is never trusted: a users notification only names the person
(kind, id, etag, primary email), whom the refresh reads again with users.get. Replays,
duplicates and message numbers out of order are harmless: a refresh reads Google's current
state, and bursts about one person merge in the queue.

An `update` notification is not refreshed on its own (REALTIME_UPDATES_WAIT_FOR_ACTIVITY):
Google also notifies a person signing in as an update, and a users.get per sign-in would spend
more of the quota than the full syncs real-time sync replaces. An admin's change to a person is
also an admin activity, which the activities channel posts at once (and the feed reads): that
refreshes the person. An update no activity confirms (a sign-in) is read by the daily
reconcile. `add`, `delete`, `undelete` and `makeAdmin` are refreshed at once.
"""

import hmac
import json

import structlog
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import PushChannel
from . import feed, health
from .queue import refresh_request

logger = structlog.get_logger(__name__)

MAX_BODY_BYTES = 64 * 1024


def _channel(request: HttpRequest, now) -> PushChannel | None:
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    token = request.headers.get("X-Goog-Channel-Token", "")
    resource_id = request.headers.get("X-Goog-Resource-ID", "")
    channel = (
        PushChannel.objects.filter(
            channel_id=channel_id[:64], stopped_at__isnull=True, expires_at__gt=now
        ).first()
        if channel_id
        else None
    )
    reason = ""
    if channel is None:
        reason = "unknown or stopped channel"
    elif not hmac.compare_digest(token.encode(), channel.token.encode()):
        reason = "wrong token"
    elif not channel.resource_id and request.headers.get("X-Goog-Resource-State") == "sync":
        pass  # the channel's first message, posted before Google's answer gave us its id
    elif not hmac.compare_digest(resource_id.encode(), channel.resource_id.encode()):
        reason = "wrong resource id"
    if reason:
        logger.warning(
            "push_refused",
            reason=reason,
            channel_id=channel_id[:64],
            resource_state=request.headers.get("X-Goog-Resource-State", "")[:32],
        )
        return None
    return channel


def _message_number(request: HttpRequest) -> int:
    try:
        return max(0, int(request.headers.get("X-Goog-Message-Number", "0")))
    except ValueError:
        return 0


def _body(request: HttpRequest) -> dict | None:
    if len(request.body) > MAX_BODY_BYTES:
        return None
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _user_key(body: dict | None) -> str | None:
    """The Google id the notification names (its email only if it names no id)."""
    if body is None or body.get("kind") not in (None, "admin#directory#user"):
        return None
    for field in ("id", "primaryEmail"):
        value = body.get(field)
        if isinstance(value, str) and 0 < len(value) <= 254 and value.isprintable():
            return value
    return None


@csrf_exempt
@require_POST
def push_notification(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    channel = _channel(request, now)
    if channel is None:
        return HttpResponse("Unknown channel.", status=404, content_type="text/plain")
    state = request.headers.get("X-Goog-Resource-State", "")
    number = _message_number(request)
    seen = {
        "messages": F("messages") + 1,
        "last_message_at": now,
        # numbers arrive out of order: keep the highest
        "last_message_number": Greatest(F("last_message_number"), number),
    }
    if state == "sync":
        seen["confirmed_at"] = now
        PushChannel.objects.filter(pk=channel.pk).update(**seen)
        return HttpResponse(status=200)
    body = _body(request)
    if channel.kind == PushChannel.Kind.USERS:
        key = _user_key(body)
        if key is None:
            logger.warning("push_unreadable", channel_id=channel.channel_id, state=state[:32])
            return HttpResponse(
                "The notification names no user.", status=400, content_type="text/plain"
            )
        change = not (state == "update" and settings.REALTIME_UPDATES_WAIT_FOR_ACTIVITY)
        if change:
            refresh_request(
                organization_id=channel.organization_id,
                kind="user",
                keys=[key],
                source="push",
                now=now,
            )
        health.push_received(organization_id=channel.organization_id, now=now, change=change)
    else:
        targets = feed.activity_targets(body) if body is not None else None
        if targets is None:
            logger.warning("push_unreadable", channel_id=channel.channel_id, state=state[:32])
            return HttpResponse(
                "The notification names no activity.", status=400, content_type="text/plain"
            )
        feed.events_handle(
            organization_id=channel.organization_id, targets=[targets], now=now, source="push"
        )
    PushChannel.objects.filter(pk=channel.pk).update(**seen)
    return HttpResponse(status=200)
