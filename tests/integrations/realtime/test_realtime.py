"""Real-time sync against the sandbox over HTTP: Google's push notifications reach Hearth's
webhook (served by a live server), the activity feed is read with the real client, and every
refresh goes through the sync engine.

Celery runs eagerly here, in the process that sends the task: a notification's refresh is
applied inside the webhook's request, so a test can wait for its effect. The debounce is 0
(an eager task cannot wait); the minute ticks of the beat are the functions it calls.
"""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from config.celery_app import app as celery_app
from googlesandbox.models import DirGroup
from googlesandbox.models import PushChannel as SandboxChannel
from integrations import services
from integrations.models import PendingRefresh, PushChannel, RealtimeState, SyncRun
from integrations.realtime import channels, feed
from integrations.realtime.queue import refresh_request
from integrations.realtime.refresh import LockBusy, refresh_apply
from integrations.realtime.tasks import channels_maintain
from integrations.sync import engine
from integrations.sync.runs import lock_claim, lock_release, sync_run_create
from integrations.tasks import sync_interval_effective, sync_run_execute, sync_schedule_due
from usermanagement.models import Group, GroupMembership, User

DOMAIN = "acme.example"

pytestmark = pytest.mark.timeout(120)


def wait_until(condition, *, timeout: float = 15.0, what: str = "the change"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not reach Hearth within {timeout} s")


@pytest.fixture
def eager_tasks():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def realtime(connected, live_server, settings, eager_tasks):
    """Acme after its first full sync, with its push channels open on the live server."""
    settings.SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    # eager tasks run at once, countdown or not: nothing can wait for a debounce or a spacing
    settings.REALTIME_DEBOUNCE_SECONDS = 0
    settings.REALTIME_RUN_SPACING_SECONDS = 0
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    opened = channels.push_channels_ensure(integration=connected.integration)
    assert opened == 6  # five user events + the admin activities
    wait_until(
        lambda: PushChannel.objects.filter(confirmed_at__isnull=False).count() == 6,
        what="every channel's sync message",
    )
    return connected


@pytest.fixture
def apply_tasks_sent(monkeypatch) -> list:
    """The refresh apply tasks sent, as (args, countdown), instead of sending them."""
    from integrations.realtime import queue

    sent = []
    monkeypatch.setattr(
        queue.refresh_apply_task,
        "apply_async",
        lambda args, countdown=None: sent.append((args, countdown)),
    )
    return sent


def full_runs(organization):
    return SyncRun.objects.filter(organization=organization).exclude(
        mode=SyncRun.Mode.INCREMENTAL
    )


def a_person(acme) -> User:
    return (
        User.objects.filter(organization=acme.organization, google_is_admin=False)
        .exclude(google_id=None)
        .order_by("email")
        .first()
    )


def an_outsider(acme, group_email: str) -> User:
    """A synced person who is not a member of the group."""
    return (
        User.objects.filter(organization=acme.organization)
        .exclude(memberships__group__email=group_email)
        .exclude(google_id=None)
        .first()
    )


def feed_poll_later(acme, seconds: float):
    """The beat's feed poll once `seconds` passed on Google's clock (Google's reporting lag
    runs on it; the feed's own overlap covers the difference to Hearth's)."""
    acme.sandbox.clock_travel(seconds)
    return feed.feed_poll(organization_id=acme.organization.pk)


def incremental_runs(acme):
    return SyncRun.objects.filter(organization=acme.organization, mode=SyncRun.Mode.INCREMENTAL)


def queue_drained(acme) -> None:
    """What the worker's retries do while another refresh holds the lock (an eager task cannot
    wait the 2 s before it looks again): apply until nothing is queued."""
    deadline = time.monotonic() + 30
    while PendingRefresh.objects.filter(organization=acme.organization).exists():
        assert time.monotonic() < deadline, "the refresh queue never drained"
        try:
            refresh_apply(organization_id=acme.organization.pk)
        except LockBusy:
            time.sleep(0.1)


def settled(acme) -> bool:
    return not incremental_runs(acme).filter(status=SyncRun.Status.RUNNING).exists()


def test_a_user_renamed_in_google_is_renamed_through_push_alone(realtime):
    person = a_person(realtime)
    runs_before = full_runs(realtime.organization).count()

    realtime.ops.user_update(email=person.email, given_name="Renamed")

    wait_until(lambda: User.objects.get(pk=person.pk).first_name == "Renamed")
    assert full_runs(realtime.organization).count() == runs_before  # no scheduled or manual run
    wait_until(lambda: settled(realtime), what="the refreshes")
    # users.watch and the activities channel both notified it: applied once, read twice
    runs = incremental_runs(realtime)
    assert {(run.trigger, run.status) for run in runs} == {
        (SyncRun.Trigger.PUSH, SyncRun.Status.SUCCEEDED)
    }
    assert sum(run.counts.get("update", 0) for run in runs) == 1
    wait_until(
        lambda: RealtimeState.objects.filter(push_health="healthy").exists(),
        what="the users.watch notification",
    )
    # recorded just after the run that applied it finished (and both notifications now arrive
    # at once, so the other one's request may still be at work): waited for, not read once
    wait_until(
        lambda: RealtimeState.objects.filter(
            organization=realtime.organization,
            lag_seconds__isnull=False,
            last_change_applied_at__isnull=False,
        ).exists(),
        what="the measured lag",
    )


def test_a_group_member_added_appears_through_the_feed_alone(realtime):
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True, reports_lag_seconds=2)
    group = DirGroup.objects.order_by("email").first()
    outsider = an_outsider(realtime, group.email)
    realtime.ops.member_add(group_email=group.email, member_email=outsider.email)
    assert feed.feed_poll(organization_id=realtime.organization.pk) == 0  # still in Google's lag

    assert feed_poll_later(realtime, 5) == 1

    assert GroupMembership.objects.filter(group__email=group.email, user=outsider).exists()
    run = incremental_runs(realtime).get()
    assert run.trigger == SyncRun.Trigger.FEED
    assert feed_poll_later(realtime, 60) == 0  # the overlap reads it again: handled once


def test_the_groups_of_one_refresh_run_are_applied_in_batches(realtime, monkeypatch):
    """The groups queued for one run are applied in batches (one people lookup per batch),
    each batch's member lists together: across a batch boundary nothing is lost."""
    monkeypatch.setattr(engine, "MEMBERS_BATCH", 2)
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True)
    added = {}
    for group in DirGroup.objects.order_by("email"):
        outsider = an_outsider(realtime, group.email)
        realtime.ops.member_add(group_email=group.email, member_email=outsider.email)
        added[group.email] = outsider
    celery_app.conf.task_always_eager = False  # queued now, applied by the one call below
    refresh_request(
        organization_id=realtime.organization.pk, kind="group", keys=list(added), source="feed"
    )

    run = refresh_apply(organization_id=realtime.organization.pk)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts.get("member_add") == len(added) >= 3
    for group_email, outsider in added.items():
        assert GroupMembership.objects.filter(group__email=group_email, user=outsider).exists()


def google_headers(channel: PushChannel) -> dict:
    """The headers Google sends with an `update` notification of this channel."""
    return {
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Token": channel.token,
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-State": "update",
    }


@pytest.mark.parametrize(
    "forgery",
    ["unknown channel", "wrong token", "wrong resource id", "garbage body", "no user named"],
)
def test_forged_notifications_change_nothing(realtime, forgery):
    channel = PushChannel.objects.filter(kind="users", event="update").first()
    person = a_person(realtime)
    headers = {**google_headers(channel), "X-Goog-Message-Number": "99"}
    body = json.dumps({"kind": "admin#directory#user", "id": person.google_id})
    if forgery == "unknown channel":
        headers["X-Goog-Channel-ID"] = "not-a-channel"
    elif forgery == "wrong token":
        headers["X-Goog-Channel-Token"] = channel.token[:-1] + "x"
    elif forgery == "wrong resource id":
        headers["X-Goog-Resource-ID"] = "another-resource"
    elif forgery == "garbage body":
        body = "\x00{not json"
    else:
        body = '{"kind": "admin#directory#user"}'
    runs_before = SyncRun.objects.count()

    answer = Client().post(
        "/google/push/", data=body, content_type="application/json", headers=headers
    )

    assert answer.status_code == (400 if forgery in ("garbage body", "no user named") else 404)
    assert SyncRun.objects.count() == runs_before
    assert not PendingRefresh.objects.exists()
    assert PushChannel.objects.get(pk=channel.pk).last_message_number == 1  # its sync only


def test_replayed_and_out_of_order_notifications_are_harmless(realtime):
    channel = PushChannel.objects.filter(kind="users", event="add").first()
    person = a_person(realtime)
    headers = {**google_headers(channel), "X-Goog-Resource-State": "add"}
    body = json.dumps({"kind": "admin#directory#user", "id": person.google_id})
    for number in ("7", "5", "7"):
        answer = Client().post(
            "/google/push/",
            data=body,
            content_type="application/json",
            headers={**headers, "X-Goog-Message-Number": number},
        )
        assert answer.status_code == 200
    assert PushChannel.objects.get(pk=channel.pk).last_message_number == 7
    # each read Google's current state: nothing had changed, nothing was written, and a
    # refresh that changed nothing leaves no run in the history
    assert not SyncRun.objects.filter(mode=SyncRun.Mode.INCREMENTAL).exists()
    assert RealtimeState.objects.get().last_change_applied_at is not None


def test_renewal_under_time_travel_leaves_no_gap_and_stops_the_old_channel(realtime):
    old = {c.channel_id for c in PushChannel.objects.all()}
    hours = 5  # Google granted 6 hours: a third of the life is left after 4
    realtime.sandbox.clock_travel(hours * 3600)

    opened = channels.push_channels_ensure(
        integration=realtime.integration, now=timezone.now() + timedelta(hours=hours)
    )

    assert opened == 6
    at_google = {c.channel_id: c for c in SandboxChannel.objects.all()}
    new = set(at_google) - old
    assert len(new) == 6
    for channel_id in old:
        assert at_google[channel_id].stopped_at is not None
    # every new channel was open before the one it replaces was stopped
    assert max(at_google[c].created_at for c in new) <= min(
        at_google[c].stopped_at for c in old
    )
    assert not PushChannel.objects.filter(channel_id__in=old, stopped_at=None).exists()
    person = a_person(realtime)
    realtime.ops.user_update(email=person.email, given_name="AfterRenewal")
    wait_until(lambda: User.objects.get(pk=person.pk).first_name == "AfterRenewal")


def test_with_push_dropped_changes_arrive_through_the_feed_and_push_turns_degraded(
    realtime, settings
):
    settings.REALTIME_PUSH_GRACE_SECONDS = 0  # judged at once: no notification followed
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True, reports_lag_seconds=0)
    person = a_person(realtime)
    realtime.ops.user_update(email=person.email, given_name="ViaTheFeed")

    assert feed.feed_poll(organization_id=realtime.organization.pk) == 1
    assert User.objects.get(pk=person.pk).first_name == "ViaTheFeed"
    state = RealtimeState.objects.get(organization=realtime.organization)
    assert state.push_health == RealtimeState.PushHealth.DEGRADED

    old = set(PushChannel.objects.values_list("channel_id", flat=True))
    channels_maintain()  # the minute's upkeep recreates every channel
    assert PushChannel.objects.filter(stopped_at=None).exclude(channel_id__in=old).count() == 6
    channels_maintain()  # once, not every minute
    assert PushChannel.objects.count() == 12

    realtime.ops.faults_set(domain=DOMAIN, drop_push=False)
    realtime.ops.user_update(email=person.email, given_name="PushIsBack")
    wait_until(lambda: User.objects.get(pk=person.pk).first_name == "PushIsBack")
    wait_until(
        lambda: RealtimeState.objects.get(pk=state.pk).push_health == "healthy",
        what="push health recovering",
    )


def test_disconnect_stops_every_channel(realtime):
    services.integration_disconnect(organization=realtime.organization, acting_user=None)

    assert not PushChannel.objects.filter(stopped_at=None).exists()
    assert not SandboxChannel.objects.filter(stopped_at=None).exists()


def test_a_reports_lag_of_90_seconds_loses_no_event(realtime):
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True, reports_lag_seconds=90)
    group = DirGroup.objects.order_by("email").first()
    realtime.ops.group_rename(email=group.email, name="Renamed while lagging")

    assert feed_poll_later(realtime, 60) == 0  # a minute later: Google does not show it yet
    assert feed_poll_later(realtime, 60) == 1  # two minutes later it does

    assert Group.objects.get(organization=realtime.organization, email=group.email).name == (
        "Renamed while lagging"
    )


def test_a_refresh_waits_for_a_running_reconcile_and_is_never_dropped(realtime, settings):
    celery_app.conf.task_always_eager = False  # the worker's task is called by hand here
    person = a_person(realtime)
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True)
    realtime.ops.user_update(email=person.email, given_name="AfterTheReconcile")
    feed.events_handle(
        organization_id=realtime.organization.pk,
        targets=[feed.Targets("evt-1", timezone.now(), (person.email,), ())],
        now=timezone.now(),
    )
    assert lock_claim(organization_id=realtime.organization.pk, holder="run-999@reconcile")

    with pytest.raises(LockBusy):
        refresh_apply(organization_id=realtime.organization.pk)

    assert PendingRefresh.objects.count() == 1
    assert not SyncRun.objects.filter(mode=SyncRun.Mode.INCREMENTAL).exists()
    lock_release(organization_id=realtime.organization.pk, holder="run-999@reconcile")
    run = refresh_apply(organization_id=realtime.organization.pk)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert User.objects.get(pk=person.pk).first_name == "AfterTheReconcile"
    assert not PendingRefresh.objects.exists()


def test_a_burst_of_notifications_sends_one_apply_task_and_its_run_sends_the_rest(
    realtime, settings, apply_tasks_sent
):
    """A thousand notifications a minute at 100,000 people sent as many tasks, each looking at
    the queue: more of Hearth's CPU than the runs themselves. One task goes per debounce; what
    arrived after it is sent on by its run."""
    from integrations.realtime import queue

    sent = apply_tasks_sent
    settings.REALTIME_DEBOUNCE_SECONDS = 30
    people = list(User.objects.filter(organization=realtime.organization).exclude(google_id=None))
    assert len(people) >= 10
    organization_id = realtime.organization.pk

    for person in people:
        refresh_request(
            organization_id=organization_id, kind="user", keys=[person.google_id], source="push"
        )

    assert sent == [((organization_id,), 30)]
    queued = PendingRefresh.objects.filter(organization_id=organization_id)
    assert queued.count() == len(people)
    # the task's run: nothing due yet (the debounce), so it sends the task for the next due
    sent.clear()
    queue.refresh_apply_task.run(organization_id)
    assert len(sent) == 1 and 25 < sent[0][1] <= 30
    assert queued.count() == len(people)


def test_during_a_burst_the_next_refresh_run_waits_for_the_spacing_and_takes_all_due(
    realtime, settings, apply_tasks_sent
):
    """Back to back, refresh runs took a handful of changes each: 559 runs for 1,513 changes
    at 100,000 people, each paying for the lock, its record and the seat pass. The next run
    starts no sooner than the spacing after the last one started."""
    from integrations.realtime import queue

    sent = apply_tasks_sent
    settings.REALTIME_DEBOUNCE_SECONDS = 0
    settings.REALTIME_RUN_SPACING_SECONDS = 5
    organization_id = realtime.organization.pk
    first, second, third = (
        User.objects.filter(organization=realtime.organization)
        .exclude(google_id=None)
        .order_by("pk")[:3]
    )
    for person in (first, second):
        refresh_request(
            organization_id=organization_id, kind="user", keys=[person.google_id], source="push"
        )
    # the second is due a moment after the first one's run starts
    PendingRefresh.objects.filter(key=second.google_id).update(
        due_at=timezone.now() + timedelta(milliseconds=300)
    )
    sent.clear()
    before = time.monotonic()
    queue.refresh_apply_task.run(organization_id)
    took = time.monotonic() - before

    assert list(PendingRefresh.objects.values_list("key", flat=True)) == [second.google_id]
    assert len(sent) == 1 and 5 - took - 0.05 <= sent[0][1] <= 5
    # what falls due meanwhile goes in the same run, once the spacing is over
    refresh_request(
        organization_id=organization_id, kind="user", keys=[third.google_id], source="push"
    )
    settings.REALTIME_RUN_SPACING_SECONDS = 0.3
    time.sleep(0.3)
    queue.refresh_apply_task.run(organization_id)
    assert not PendingRefresh.objects.exists()
    # once the spacing is over, the next goes as soon as it is due
    refresh_request(
        organization_id=organization_id, kind="user", keys=[first.google_id], source="push"
    )
    time.sleep(0.3)
    sent.clear()
    assert queue.refresh_queue_kick(organization_id=organization_id)
    assert sent == [((organization_id,), 0.0)]


def test_a_notifications_task_within_the_spacing_starts_no_run_and_one_waits_it_out(
    realtime, settings, apply_tasks_sent
):
    """The tasks notifications send (one a debounce) started runs right after the one before,
    whatever its spacing: 105-132 runs for 1,513 changes at 100,000 people."""
    from integrations.realtime import queue

    sent = apply_tasks_sent
    settings.REALTIME_DEBOUNCE_SECONDS = 0
    settings.REALTIME_RUN_SPACING_SECONDS = 5
    organization_id = realtime.organization.pk
    first, second = (
        User.objects.filter(organization=realtime.organization)
        .exclude(google_id=None)
        .order_by("pk")[:2]
    )
    refresh_request(
        organization_id=organization_id, kind="user", keys=[first.google_id], source="push"
    )
    queue.refresh_apply_task.run(organization_id)  # a run: the spacing starts
    assert not PendingRefresh.objects.exists()

    refresh_request(
        organization_id=organization_id, kind="user", keys=[second.google_id], source="push"
    )
    sent.clear()
    queue.refresh_apply_task.run(organization_id)  # the task the notification sent
    queue.refresh_apply_task.run(organization_id)  # and one more, a debounce later
    assert PendingRefresh.objects.filter(key=second.google_id).exists()  # no run yet
    assert len(sent) == 1 and 4 < sent[0][1] <= 5  # one task, at the end of the spacing
    # right after a full run, what waited goes at once
    queue.refresh_apply_task.run(organization_id, True)
    assert not PendingRefresh.objects.exists()


def test_refreshes_that_waited_for_a_full_run_are_applied_when_it_ends(realtime, settings):
    """Changes made during a reconcile wait for its lock; its end sends them all on at once,
    even one whose debounce is not over (they were up to 4.7 s late after the reconcile)."""
    settings.REALTIME_DEBOUNCE_SECONDS = 60
    person = a_person(realtime)
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True)
    realtime.ops.user_update(email=person.email, given_name="DuringTheReconcile")
    run = sync_run_create(organization=realtime.organization, trigger=SyncRun.Trigger.SCHEDULE)
    celery_app.conf.task_always_eager = False  # the refresh waits in the queue
    feed.events_handle(
        organization_id=realtime.organization.pk,
        targets=[feed.Targets("evt-1", timezone.now(), (person.email,), ())],
        now=timezone.now(),
    )
    assert PendingRefresh.objects.count() == 1
    celery_app.conf.task_always_eager = True

    sync_run_execute(run.pk)  # the worker's task: the run, then what waited for it

    assert SyncRun.objects.get(pk=run.pk).status == SyncRun.Status.SUCCEEDED
    assert not PendingRefresh.objects.exists()
    assert User.objects.get(pk=person.pk).first_name == "DuringTheReconcile"


def test_google_deleting_30_percent_through_push_and_feed_is_held_for_review(realtime):
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True, reports_lag_seconds=2)
    for n in range(50):  # a directory above the threshold's floor of 10
        realtime.ops.user_add(email=f"extra{n:02}@{DOMAIN}", given_name="Extra", family_name=str(n))
    assert realtime.sync().status == SyncRun.Status.SUCCEEDED
    realtime.ops.faults_set(domain=DOMAIN, drop_push=False)
    people = list(
        User.objects.filter(organization=realtime.organization, google_is_admin=False)
        .exclude(google_id=None)
        .order_by("email")
    )
    doomed = people[: round(len(people) * 0.3) + 1]
    for person in doomed[: len(doomed) // 2]:  # these through push, one notification each
        realtime.ops.user_delete(email=person.email)
    realtime.sandbox.wait_push_idle(timeout=60)  # each delivery applies its refresh
    queue_drained(realtime)
    realtime.ops.faults_set(domain=DOMAIN, drop_push=True)
    for person in doomed[len(doomed) // 2 :]:  # these through the feed
        realtime.ops.user_delete(email=person.email)
    feed_poll_later(realtime, 5)
    queue_drained(realtime)

    archived = User.objects.filter(pk__in=[p.pk for p in doomed], status=User.Status.ARCHIVED)
    held = SyncRun.objects.filter(mode=SyncRun.Mode.INCREMENTAL, status=SyncRun.Status.HELD)
    assert held.exists()
    assert held.first().review == SyncRun.Review.PENDING
    assert archived.count() < len(doomed)  # the threshold stopped it, as for a full run


def test_while_real_time_works_the_full_sync_is_a_nightly_reconcile(realtime):
    integration = realtime.integration
    assert sync_interval_effective(integration=integration) == 15  # the feed never read yet
    feed.feed_poll(organization_id=realtime.organization.pk)
    assert sync_interval_effective(integration=integration) == 24 * 60
    later = timezone.now() + timedelta(minutes=20)
    RealtimeState.objects.update(feed_polled_at=later - timedelta(minutes=1))  # polls went on
    assert sync_schedule_due(now=later) == []

    integration.reconcile_nightly = False
    integration.save()
    assert sync_interval_effective(integration=integration) == 15
    assert len(sync_schedule_due(now=later)) == 1


def test_the_card_and_the_settings_page_show_push_health_and_lag(realtime):
    from django.urls import reverse

    person = a_person(realtime)
    realtime.ops.user_update(email=person.email, given_name="Shown")
    wait_until(lambda: User.objects.get(pk=person.pk).first_name == "Shown")
    wait_until(
        lambda: RealtimeState.objects.filter(push_health="healthy").exists(),
        what="the users.watch notification",
    )
    wait_until(lambda: settled(realtime), what="the refreshes")
    client = Client()
    client.force_login(realtime.admin)
    for url in (reverse("integrations:home"), reverse("usermanagement:gsuite_settings")):
        page = client.get(url).content.decode()
        assert "changes in Google show here within seconds" in page
        assert "after the change in Google" in page

    RealtimeState.objects.update(push_health="degraded")
    page = client.get(reverse("integrations:home")).content.decode()
    assert "notifications stopped arriving; changes still arrive within a couple" in page


def test_turned_off_real_time_sync_polls_no_feed_and_opens_no_channel(connected, settings):
    settings.REALTIME_ENABLED = False
    assert connected.sync().status == SyncRun.Status.SUCCEEDED

    assert feed.feed_polls_due() == []
    assert channels.push_channels_ensure(integration=connected.integration) == 0
    assert sync_interval_effective(integration=connected.integration) == 15


def test_a_person_signing_in_costs_no_call_and_an_admins_change_is_applied_once(realtime):
    """Google notifies a sign-in as an `update`: Hearth waits for the admin activity that would
    confirm a change (a sign-in has none) instead of reading the person again."""
    person = a_person(realtime)
    update_channel = PushChannel.objects.get(kind="users", event="update", stopped_at=None)
    realtime.ops.user_record_login(email=person.email)
    wait_until(
        lambda: PushChannel.objects.get(pk=update_channel.pk).messages >= 2,
        what="the sign-in's update notification",
    )
    assert not PendingRefresh.objects.exists()
    assert not incremental_runs(realtime).exists()

    realtime.ops.user_update(email=person.email, given_name="ChangedOnce")
    wait_until(lambda: User.objects.get(pk=person.pk).first_name == "ChangedOnce")
    wait_until(lambda: settled(realtime), what="the refreshes")
    # the users.watch update and the admin activity name one person: one refresh, one read
    assert incremental_runs(realtime).count() == 1
    assert incremental_runs(realtime).get().api_calls == 1


def test_a_person_deleted_in_google_leaves_their_groups_through_push(realtime):
    person = (
        User.objects.filter(organization=realtime.organization, memberships__isnull=False)
        .exclude(google_is_admin=True)
        .distinct()
        .order_by("email")
        .first()
    )
    assert GroupMembership.objects.filter(user=person).exists()

    realtime.ops.user_delete(email=person.email)

    wait_until(lambda: User.objects.get(pk=person.pk).status == User.Status.ARCHIVED)
    wait_until(lambda: settled(realtime), what="the refreshes")
    # Google took them out of every group: so does Hearth, without waiting for a full sync
    assert not GroupMembership.objects.filter(member_google_id=person.google_id).exists()
    assert full_runs(realtime.organization).count() == 1  # the first sync only
