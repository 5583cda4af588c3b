"""Reports API feed, push notifications and fault injection, through the real client libraries."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from googleapiclient.errors import HttpError

from googlesandbox.models import DirUser, PushOutbox

ADMIN = "admin@acme.example"


def _events(reports, **params):
    items = reports.activities().list(userKey="all", applicationName="admin", **params).execute()
    return [
        (event["name"], {p["name"]: p["value"] for p in event["parameters"]})
        for event in (item["events"][0] for item in items.get("items", []))
    ]


def test_reports_feed_after_changes(google_sandbox):
    google_sandbox.seed(users=5)
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    ops = google_sandbox.ops
    ops.user_add(email="new@acme.example", given_name="New", family_name="Person")
    ops.user_update(email="new@acme.example", given_name="Neu", family_name="Persona")
    ops.user_rename(email="new@acme.example", new_email="neu@acme.example")
    ops.user_suspend(email="neu@acme.example")
    ops.user_unsuspend(email="neu@acme.example")
    ops.user_make_admin(email="neu@acme.example")
    ops.user_revoke_admin(email="neu@acme.example")
    ops.user_delete(email="neu@acme.example")
    ops.user_undelete(email="neu@acme.example")
    ops.group_add(email="team@acme.example")
    ops.group_rename(email="team@acme.example", name="The Team")
    ops.member_add(group_email="team@acme.example", member_email="neu@acme.example")
    ops.member_remove(group_email="team@acme.example", member_email="neu@acme.example")
    ops.group_delete(email="team@acme.example")

    reports = google_sandbox.reports(ADMIN)
    # Google lists an event only after its reporting lag (2 s in tests)
    assert _events(reports, startTime=since) == []
    google_sandbox.clock_travel(3)
    events = _events(reports, startTime=since)
    names = [name for name, _ in reversed(events)]  # Google answers newest first
    assert names == [
        "CREATE_USER", "CHANGE_FIRST_NAME", "CHANGE_LAST_NAME", "RENAME_USER", "SUSPEND_USER",
        "UNSUSPEND_USER", "GRANT_ADMIN_PRIVILEGE", "REVOKE_ADMIN_PRIVILEGE", "DELETE_USER",
        "UNDELETE_USER", "CREATE_GROUP", "CHANGE_GROUP_NAME", "ADD_GROUP_MEMBER",
        "REMOVE_GROUP_MEMBER", "DELETE_GROUP",
    ]
    params = dict(reversed(events))
    assert params["RENAME_USER"] == {
        "USER_EMAIL": "new@acme.example", "NEW_VALUE": "neu@acme.example",
    }
    assert params["CHANGE_FIRST_NAME"]["NEW_VALUE"] == "Neu"
    assert params["ADD_GROUP_MEMBER"] == {
        "USER_EMAIL": "neu@acme.example", "GROUP_EMAIL": "team@acme.example",
    }
    assert params["CHANGE_GROUP_NAME"]["NEW_VALUE"] == "The Team"

    only_deletes = _events(reports, startTime=since, eventName="DELETE_USER")
    assert [name for name, _ in only_deletes] == ["DELETE_USER"]
    raw = reports.activities().list(
        userKey="all", applicationName="admin", startTime=since, maxResults=10
    ).execute()
    assert raw["kind"] == "admin#reports#activities" and len(raw["items"]) == 10
    item = raw["items"][0]
    assert item["id"]["applicationName"] == "admin" and item["actor"]["email"] == ADMIN
    rest = reports.activities().list(
        userKey="all", applicationName="admin", startTime=since, maxResults=10,
        pageToken=raw["nextPageToken"],
    ).execute()
    assert len(rest["items"]) == 5 and "nextPageToken" not in rest
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert _events(reports, startTime=future) == []


def _watch(directory, receiver, event, **body):
    return directory.users().watch(
        customer="my_customer", event=event,
        body={"id": f"chan-{event}", "type": "web_hook", "address": receiver.url,
              "token": "secret-token", **body},
    ).execute()


def test_notifications_are_sent_without_waiting_for_the_previous_answer(
    google_sandbox, push_receiver
):
    """Google does not deliver one notification at a time: a burst must not queue behind a
    webhook's answers (one at a time, 1,000 took 40 s to reach a webhook answering in 40 ms)."""
    google_sandbox.seed(users=8)
    directory = google_sandbox.directory(ADMIN)
    _watch(directory, push_receiver, "update", params={"ttl": "3600"})
    push_receiver.wait_for(1)
    push_receiver.delay_seconds = 0.3
    people = DirUser.objects.filter(is_admin=False).order_by("primary_email")[:6]
    for index, person in enumerate(people):
        google_sandbox.ops.user_update(email=person.primary_email, title=f"Title {index}")
    pushes = push_receiver.wait_for(7)
    assert push_receiver.most_in_flight > 1
    numbers = [int(push.headers["X-Goog-Message-Number"]) for push in pushes[1:]]
    assert len(set(numbers)) == 6 and min(numbers) > 1


def test_push_sync_first_then_the_change_with_googles_headers(google_sandbox, push_receiver):
    google_sandbox.seed(users=5)
    directory = google_sandbox.directory(ADMIN)
    channel = _watch(directory, push_receiver, "add", params={"ttl": "3600"})
    assert channel["kind"] == "api#channel" and channel["id"] == "chan-add"
    assert channel["resourceId"] and int(channel["expiration"]) > 0
    push_receiver.wait_for(1)
    user = google_sandbox.ops.user_add(email="pushed@acme.example")
    sync, change = push_receiver.wait_for(2)
    assert sync.state == "sync" and sync.headers["X-Goog-Message-Number"] == "1"
    # Google: numbers increase on a channel, but are not sequential
    assert change.state == "add" and int(change.headers["X-Goog-Message-Number"]) > 1
    for push in (sync, change):
        assert push.headers["X-Goog-Channel-ID"] == "chan-add"
        assert push.headers["X-Goog-Channel-Token"] == "secret-token"
        assert push.headers["X-Goog-Resource-ID"] == channel["resourceId"]
        assert push.headers["X-Goog-Resource-URI"].startswith(google_sandbox.url)
        assert push.headers["X-Goog-Channel-Expiration"].endswith("GMT")
    # Google's body names the user only: kind, id, etag, primaryEmail (not the resource)
    assert change.json() == {
        "kind": "admin#directory#user", "id": user.google_id, "etag": user.etag,
        "primaryEmail": "pushed@acme.example",
    }

    # another event kind does not reach this channel; after stop nothing does
    google_sandbox.ops.user_suspend(email="pushed@acme.example")
    stop = {"id": "chan-add", "resourceId": channel["resourceId"]}
    directory.channels().stop(body=stop).execute()
    google_sandbox.ops.user_add(email="after.stop@acme.example")
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 2


def test_push_retries_5xx_with_backoff(google_sandbox, push_receiver):
    google_sandbox.seed(users=3)
    push_receiver.answers = [503]
    _watch(google_sandbox.directory(ADMIN), push_receiver, "update")
    (sync,) = push_receiver.wait_for(1, timeout=10)
    assert sync.state == "sync"
    # the receiver saw the second attempt; the drainer records it right after the answer
    deadline = time.monotonic() + 5
    while not PushOutbox.objects.filter(state="sync", delivered_at__isnull=False).exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    row = PushOutbox.objects.get(state="sync")
    assert row.attempts == 2 and row.last_error == ""


def test_push_from_a_cli_process_style_change_and_drop_fault(google_sandbox, push_receiver):
    google_sandbox.seed(users=3)
    _watch(google_sandbox.directory(ADMIN), push_receiver, "makeAdmin")
    push_receiver.wait_for(1)
    google_sandbox.ops.faults_set(domain="acme.example", drop_push=True)
    google_sandbox.ops.user_add(email="x@acme.example")
    google_sandbox.ops.user_make_admin(email="x@acme.example")
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 1
    google_sandbox.ops.faults_set(domain="acme.example", drop_push=False)
    google_sandbox.ops.user_revoke_admin(email="x@acme.example")
    pushes = push_receiver.wait_for(2)
    assert pushes[1].state == "makeAdmin"
    assert pushes[1].json()["primaryEmail"] == "x@acme.example"


def test_expired_channel_gets_nothing(google_sandbox, push_receiver):
    google_sandbox.seed(users=3)
    _watch(google_sandbox.directory(ADMIN), push_receiver, "delete", params={"ttl": "1"})
    push_receiver.wait_for(1)
    google_sandbox.clock_travel(2)  # channel lifetimes run on the sandbox clock
    google_sandbox.ops.user_add(email="short@acme.example")
    google_sandbox.ops.user_delete(email="short@acme.example")
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 1


def test_quota_answers_403_user_rate_limit_exceeded(google_sandbox):
    google_sandbox.seed(users=3)
    google_sandbox.ops.faults_set(domain="acme.example", qpm=5)
    users = google_sandbox.directory(ADMIN).users()
    for _ in range(5):
        users.list(customer="my_customer").execute()
    with pytest.raises(HttpError) as caught:
        users.list(customer="my_customer").execute()
    assert caught.value.status_code == 403
    error = json.loads(caught.value.content)["error"]
    assert error["errors"][0]["reason"] == "userRateLimitExceeded"
    assert error["errors"][0]["domain"] == "usageLimits"


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("503", 503, "backendError"),
        ("500", 500, "backendError"),
        ("429", 429, "rateLimitExceeded"),
        ("quotaExceeded", 403, "quotaExceeded"),
        ("userRateLimitExceeded", 403, "userRateLimitExceeded"),
    ],
)
def test_error_rates(google_sandbox, kind, status, reason):
    google_sandbox.seed(users=3)
    google_sandbox.ops.faults_set(domain="acme.example", error_rates={kind: 1.0})
    with pytest.raises(HttpError) as caught:
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    assert caught.value.status_code == status
    assert json.loads(caught.value.content)["error"]["errors"][0]["reason"] == reason


def test_latency_and_timeout(google_sandbox):
    google_sandbox.seed(users=3)
    users = google_sandbox.directory(ADMIN).users()
    users.list(customer="my_customer").execute()  # token fetched
    google_sandbox.ops.faults_set(domain="acme.example", latency_ms=300, jitter_ms=50)
    started = time.monotonic()
    users.list(customer="my_customer").execute()
    assert time.monotonic() - started >= 0.25
    google_sandbox.ops.faults_set(
        domain="acme.example", latency_ms=0, jitter_ms=0, error_rates={"timeout": 1.0},
        timeout_seconds=0.2,
    )
    with pytest.raises(HttpError) as caught:
        users.list(customer="my_customer").execute()
    assert caught.value.status_code == 504
