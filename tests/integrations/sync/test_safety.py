"""Held removals, faults, failures mid-run, concurrent triggers, query bounds."""

import threading

import pytest
from django.contrib.auth import get_user_model

from integrations.google import client as google_client_module
from integrations.models import Integration, SyncChange, SyncRun
from integrations.sync import apply as sync_apply
from integrations.sync.review import sync_plan_approve, sync_plan_reject
from integrations.sync.runs import sync_run_execute
from integrations.tasks import sync_enqueue
from notifications.models import EmailLog
from usermanagement.models import Group, GroupMembership

User = get_user_model()
D = "acme.example"


def snapshot(organization):
    people = sorted(
        User.objects.filter(organization=organization).values_list(
            "google_id", "email", "status", "first_name", "org_unit_path", "title"
        ),
        key=str,
    )
    groups = sorted(
        Group.objects.filter(organization=organization).values_list("google_id", "name")
    )
    members = sorted(
        GroupMembership.objects.filter(organization=organization).values_list(
            "group__google_id", "member_google_id", "role", "direct"
        )
    )
    return people, groups, members


def test_mass_deletion_is_held_then_approved(connected):
    connected.sync()
    emails = [f"temp{n}@{D}" for n in range(12)]
    for email in emails:
        connected.ops.user_add(email=email)
    connected.sync()
    for email in emails:
        connected.ops.user_delete(email=email)
    run = connected.sync()
    assert run.status == SyncRun.Status.HELD
    assert run.review == SyncRun.Review.PENDING
    assert User.objects.filter(email__in=emails, status=User.Status.ARCHIVED).count() == 0
    assert SyncChange.objects.filter(run=run, kind="archive", applied=False).count() == 12
    assert EmailLog.objects.filter(template="sync_held").count() == 1
    # the next scheduled run holds again but does not email again
    again = connected.sync()
    assert again.status == SyncRun.Status.HELD
    assert EmailLog.objects.filter(template="sync_held").count() == 1
    run.refresh_from_db()
    assert run.review == SyncRun.Review.SUPERSEDED

    applied = sync_plan_approve(run=again, acting_user=connected.admin)
    assert applied == 12
    assert User.objects.filter(email__in=emails, status=User.Status.ARCHIVED).count() == 12
    again.refresh_from_db()
    assert again.review == SyncRun.Review.APPROVED
    assert connected.sync().counts == {}


def test_rejecting_a_held_plan_keeps_everyone_and_is_not_proposed_again(connected):
    connected.sync()
    emails = [f"temp{n}@{D}" for n in range(11)]
    for email in emails:
        connected.ops.user_add(email=email)
    connected.sync()
    for email in emails:
        connected.ops.user_suspend(email=email)
    run = connected.sync()
    assert run.status == SyncRun.Status.HELD
    sync_plan_reject(run=run, acting_user=connected.admin)
    assert User.objects.filter(email__in=emails, status=User.Status.ACTIVE).count() == 11
    assert connected.sync().status == SyncRun.Status.SUCCEEDED


def test_injected_faults_reach_the_same_state(connected, google_sandbox):
    google_sandbox.seed(D, users=40, groups=4, members_per_group=6, admins=1, seed=3)
    clean = connected.sync()
    assert clean.status == SyncRun.Status.SUCCEEDED
    expected = snapshot(connected.organization)
    # wipe what the sync wrote and run again under faults
    GroupMembership.objects.all().delete()
    Group.objects.all().delete()
    User.objects.filter(organization=connected.organization).exclude(pk=connected.admin.pk).delete()
    User.objects.filter(pk=connected.admin.pk).update(
        google_id=None, google_etag="", google_state=""
    )
    # seeded: the same calls meet the same errors in every run of this test
    connected.ops.faults_set(domain=D, error_rates={"503": 0.3, "429": 0.2}, seed=3)
    faulty = connected.sync()
    assert faulty.status == SyncRun.Status.SUCCEEDED, faulty.error_message
    assert faulty.api_calls > clean.api_calls
    assert snapshot(connected.organization) == expected


def test_api_access_turned_off_mid_run_fails_without_removals(connected, monkeypatch):
    connected.sync()
    connected.ops.user_delete(email=connected.ops.show(D) and _some_member(connected))
    original_pages = google_client_module.GoogleClient.users_pages

    def pages_then_cut(self, **kwargs):
        if kwargs.get("show_deleted"):
            connected.ops.set_api_access(domain=D, enabled=False)
        yield from original_pages(self, **kwargs)

    monkeypatch.setattr(google_client_module.GoogleClient, "users_pages", pages_then_cut)
    run = connected.sync()
    assert run.status == SyncRun.Status.FAILED
    assert run.error_class == "ApiAccessDisabled"
    assert not User.objects.filter(
        organization=connected.organization, status=User.Status.ARCHIVED
    ).exists()
    integration = connected.integration
    assert integration.state == Integration.State.ERROR
    assert integration.last_error_headline.startswith("The API access has been disabled")
    connected.sync()  # fails again: still one email for the incident
    assert EmailLog.objects.filter(template="sync_failed").count() == 1

    monkeypatch.setattr(google_client_module.GoogleClient, "users_pages", original_pages)
    connected.ops.set_api_access(domain=D, enabled=True)
    recovered = connected.sync()
    assert recovered.status == SyncRun.Status.SUCCEEDED
    assert connected.integration.state == Integration.State.ACTIVE
    assert EmailLog.objects.filter(template="sync_recovered").count() == 1
    assert User.objects.filter(status=User.Status.ARCHIVED).count() == 1


def _some_member(connected):
    return next(
        email
        for email in User.objects.filter(organization=connected.organization)
        .exclude(pk=connected.admin.pk)
        .values_list("email", flat=True)
    )


def test_two_concurrent_triggers_make_one_run_and_one_skipped(connected):
    connected.sync()
    connected.ops.faults_set(domain=D, latency_ms=150)
    first = sync_enqueue(organization=connected.organization, trigger=SyncRun.Trigger.SCHEDULE)
    second = sync_enqueue(organization=connected.organization, trigger=SyncRun.Trigger.ADMIN)
    results = {}

    def execute(run):
        from django.db import connection

        try:
            results[run.pk] = sync_run_execute(run_id=run.pk).status
        finally:
            connection.close()

    threads = [threading.Thread(target=execute, args=(run,)) for run in (first, second)]
    threads[0].start()
    import time

    time.sleep(0.3)
    threads[1].start()
    for thread in threads:
        thread.join(60)
    assert sorted(results.values()) == [SyncRun.Status.SKIPPED, SyncRun.Status.SUCCEEDED]


def test_a_lock_of_a_killed_worker_expires(connected):
    from datetime import timedelta

    from integrations.sync.runs import lock_claim

    assert lock_claim(organization_id=connected.organization.pk, holder="dead-worker")
    assert not lock_claim(organization_id=connected.organization.pk, holder="other")
    assert lock_claim(
        organization_id=connected.organization.pk, holder="dead-worker", lease=timedelta(0)
    )
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED


@pytest.mark.parametrize("page_size", [5])
def test_queries_per_page_are_bounded(connected, django_assert_max_num_queries, page_size):
    connected.sync()
    for n in range(3 * page_size):
        connected.ops.user_add(email=f"bulk{n}@{D}")
    user_sync = sync_apply.UserSync(
        integration=connected.integration,
        run=SyncRun.objects.create(organization=connected.organization, trigger="command"),
        recorder=None,
    )
    user_sync.recorder = sync_apply.ChangeRecorder(user_sync.run, dry_run=False)
    user_sync.load()
    from integrations.google.client import google_client
    from integrations.sync.planning import remote_user

    client = google_client(subject=connected.admin.email)
    pages = list(client.users_pages(page_size=page_size))
    assert len(pages) >= 4
    for page in pages:
        with django_assert_max_num_queries(8):
            user_sync.page([remote_user(r) for r in page])
