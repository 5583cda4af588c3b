"""Reports API v1: `activities.list`, `activities.watch` and the Reports `channels.stop`.

Only the `admin` application is recorded by the sandbox; other applications answer an empty
list. Items come newest first, as at Google, paged by keyset on (time, id) descending. Google
makes an event available only some time after it happened (its reporting lag, minutes for
admin events): `activities.list` returns no event younger than the domain's
`reports_lag_seconds` on the sandbox clock, so a reader whose window ends at "now" misses it
until a later read. `activities.watch` registers a push channel: each admin event recorded
after it is POSTed with Google's X-Goog-* headers, the event's name as the resource state and
the activity resource as the body (googlesandbox/operations/push.py).
"""

import json
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse

from . import clock, errors, operations
from .api import REPORTS_READ, ApiContext, api_view, int_param, json_response
from .directory import channel_resource
from .models import Activity, PushChannel
from .resources import activity_resource, etag_for

ACTIVITY_TABLE = Activity._meta.db_table


def _time_param(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.bad_request(f"Invalid value '{raw}' for {name}") from exc
    if value.tzinfo is None:
        raise errors.bad_request(f"Invalid value '{raw}' for {name}: a time zone is required")
    return value


@api_view(REPORTS_READ)
def activities_list(
    request: HttpRequest, ctx: ApiContext, user_key: str, application_name: str
) -> HttpResponse:
    start, end = _time_param(request, "startTime"), _time_param(request, "endTime")
    if start and end and start > end:
        raise errors.bad_request("Start time must be less than or equal to the end time.")
    max_results = int_param(request, "maxResults", default=1000, low=1, high=1000)
    payload = {"kind": "admin#reports#activities"}
    if application_name != "admin":
        payload["etag"] = etag_for("activities", application_name)
        return json_response(payload)
    visible_until = clock.now() - timedelta(seconds=ctx.faults.reports_lag_seconds)
    activities = Activity.objects.filter(domain=ctx.domain, time__lte=visible_until)
    if user_key != "all":
        activities = activities.filter(actor_email=user_key.lower())
    if start:
        activities = activities.filter(time__gte=start)
    if end:
        activities = activities.filter(time__lt=end)
    event_name = request.GET.get("eventName")
    if event_name:
        activities = activities.filter(event_name__in=event_name.split(","))
    page_token = request.GET.get("pageToken")
    if page_token:
        last_time, last_id = ctx.page_token_decode(page_token, kind="activities")
        activities = activities.extra(
            where=[f'("{ACTIVITY_TABLE}"."time", "{ACTIVITY_TABLE}"."id") < (%s, %s)'],
            params=[datetime.fromisoformat(last_time), last_id],
        )
    rows = list(activities.order_by("-time", "-id")[: max_results + 1])
    if len(rows) > max_results:
        rows = rows[:max_results]
        payload["nextPageToken"] = ctx.page_token_encode(
            ["activities", rows[-1].time.isoformat(), rows[-1].id]
        )
    payload["etag"] = etag_for("activities", [a.unique_qualifier for a in rows])
    if rows:
        payload["items"] = [
            activity_resource(a, customer_id=ctx.domain.customer_id) for a in rows
        ]
    return json_response(payload)


def _channel_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON payload received.") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid JSON payload received.")
    return body


@api_view(REPORTS_READ, methods=("POST",))
def activities_watch(
    request: HttpRequest, ctx: ApiContext, user_key: str, application_name: str
) -> HttpResponse:
    body = _channel_body(request)
    if not body.get("id") or not body.get("address"):
        raise errors.bad_request("Required: channel id and address", reason="required")
    params = body.get("params") or {}
    query = request.GET.urlencode()
    resource_uri = (
        f"{ctx.base_url}admin/reports/v1/activity/users/{user_key}/applications/"
        f"{application_name}?{query + '&' if query else ''}alt=json"
    )
    try:
        channel = operations.channel_watch(
            domain=ctx.domain,
            channel_id=str(body["id"]),
            address=str(body["address"]),
            event=request.GET.get("eventName", ""),
            token=str(body.get("token") or ""),
            expiration_ms=int(body["expiration"]) if body.get("expiration") else None,
            ttl_seconds=int(params["ttl"]) if params.get("ttl") else None,
            resource_uri=resource_uri,
            resource=PushChannel.RESOURCE_ACTIVITIES,
            application_name=application_name,
            actor_email="" if user_key == "all" else user_key.lower(),
        )
    except operations.SandboxError as exc:
        raise errors.bad_request(str(exc)) from exc
    return json_response(channel_resource(channel))


@api_view(REPORTS_READ, methods=("POST",))
def channels_stop(request: HttpRequest, ctx: ApiContext) -> HttpResponse:
    body = _channel_body(request)
    stopped = operations.channel_stop(
        domain=ctx.domain,
        channel_id=str(body.get("id", "")),
        resource_id=str(body.get("resourceId", "")),
    )
    if not stopped:
        raise errors.not_found("channel")
    return HttpResponse(status=204)
