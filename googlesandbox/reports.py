"""Reports API v1 `activities.list` (admin/reports/v1/activity/users/{userKey}/applications/...).

Only the `admin` application is recorded by the sandbox; other applications answer an empty
list. Items come newest first, as at Google, paged by keyset on (time, id) descending.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponse

from . import errors
from .api import (
    REPORTS_READ,
    ApiContext,
    api_view,
    int_param,
    json_response,
    page_token_decode,
    page_token_encode,
)
from .models import Activity
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
    activities = Activity.objects.filter(domain=ctx.domain)
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
        last_time, last_id = page_token_decode(page_token, kind="activities")
        activities = activities.extra(
            where=[f'("{ACTIVITY_TABLE}"."time", "{ACTIVITY_TABLE}"."id") < (%s, %s)'],
            params=[datetime.fromisoformat(last_time), last_id],
        )
    rows = list(activities.order_by("-time", "-id")[: max_results + 1])
    if len(rows) > max_results:
        rows = rows[:max_results]
        payload["nextPageToken"] = page_token_encode(
            ["activities", rows[-1].time.isoformat(), rows[-1].id]
        )
    payload["etag"] = etag_for("activities", [a.unique_qualifier for a in rows])
    if rows:
        payload["items"] = [activity_resource(a, domain=ctx.domain) for a in rows]
    return json_response(payload)
