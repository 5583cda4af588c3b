"""Every action of the support console, run by a support user through the console: the service's
effects happen, and the audit log says who did what to which organization, and how it ended.

Actions are posted as Django's admin posts them (the changelist, the action's name, the selected
rows; `post=yes` answers an action's intermediate page)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from integrations import services
from integrations.models import Integration, SyncChange, SyncLock, SyncRun
from integrations.services import integration_request_admin
from integrations.sync.runs import lock_claim, sync_run_create, sync_run_execute
from licenses.models import PersonLicense
from licenses.services import seats_reconcile
from notifications.delivery import email_log_deliver
from notifications.models import EmailLog
from notifications.services import email_logs_create
from organizations.models import Organization
from support.admin.base import admin_url, changelist_url
from tests.integrations.factories import IntegrationFactory
from tests.organizations.factories import OrganizationFactory
from tests.support.factories import SupportFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import User

D = "acme.example"


def act(client, model, action, pks, **data):
    return client.post(
        changelist_url(model), {"action": action, "_selected_action": pks, **data}, follow=False
    )


def messages_of(client) -> list[str]:
    page = client.get(reverse("admin:index"))
    return [str(message) for message in page.context["messages"]]


def support_events(name: str):
    return AuditEvent.objects.filter(action=f"support.{name}").order_by("pk")


# --- syncs (against the Google sandbox) ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_a_full_sync_now(synced, client):
    support = SupportFactory()
    client.force_login(support)
    synced.ops.user_add(email=f"new.hire@{D}", given_name="New", family_name="Hire")

    response = act(client, Organization, "sync_now", [synced.organization.pk])

    run = SyncRun.objects.get(trigger=SyncRun.Trigger.SUPPORT)
    assert response.status_code == 302
    assert response["Location"] == admin_url(run)  # the console shows the run it started
    assert (run.status, run.mode, run.requested_by) == ("queued", "full", support)
    (event,) = support_events("sync_started")
    assert (event.organization, event.acting_user, event.target_id) == (
        synced.organization,
        support,
        str(run.pk),
    )
    assert event.details["result"] == "done"

    sync_run_execute(run_id=run.pk)  # what the worker does with the queued run
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert synced.person(f"new.hire@{D}").first_name == "New"


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_counts_the_plan_and_writes_nothing(synced, client):
    client.force_login(SupportFactory())
    synced.ops.user_add(email=f"new.hire@{D}")
    people = User.objects.count()

    act(client, Organization, "dry_run", [synced.organization.pk])
    run = SyncRun.objects.get(trigger=SyncRun.Trigger.SUPPORT)
    assert run.mode == SyncRun.Mode.DRY_RUN
    sync_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.counts["create"] == 1
    assert User.objects.count() == people
    assert not SyncChange.objects.filter(run=run).exists()
    assert support_events("dry_run_started").get().details["run"] == run.pk


@pytest.mark.django_db(transaction=True)
def test_a_sync_is_refused_while_another_holds_the_lock_and_says_so(synced, client):
    client.force_login(SupportFactory())
    assert lock_claim(organization_id=synced.organization.pk, holder="run-1@worker:1:a")

    act(client, Organization, "sync_now", [synced.organization.pk])

    assert not SyncRun.objects.filter(trigger=SyncRun.Trigger.SUPPORT).exists()
    (event,) = support_events("sync_started")
    assert event.details["result"] == "refused"
    assert "a sync is running right now" in messages_of(client)[0]


@pytest.mark.django_db(transaction=True)
def test_resync_these_people_by_email(synced, client):
    support = SupportFactory()
    client.force_login(support)
    synced.ops.user_add(email=f"jane.new@{D}", given_name="Jane", family_name="New")
    moved, _other = _members(synced)
    synced.ops.user_update(email=moved.email, title="Head of Support")

    form = act(client, Organization, "resync_people", [synced.organization.pk])
    assert form.status_code == 200
    assert "Re-sync people of Acme from Google" in form.content.decode()

    act(
        client,
        Organization,
        "resync_people",
        [synced.organization.pk],
        post="yes",
        emails=f"jane.new@{D}\n{moved.email.upper()}, ",
    )

    jane = synced.person(f"jane.new@{D}")
    assert (jane.first_name, jane.status) == ("Jane", User.Status.ACTIVE)
    assert PersonLicense.objects.get(person=jane).state == PersonLicense.State.LICENSED
    moved.refresh_from_db()
    assert moved.title == "Head of Support"
    runs = SyncRun.objects.filter(trigger=SyncRun.Trigger.SUPPORT).order_by("pk")
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    assert all(run.requested_by == support for run in runs)
    (event,) = support_events("people_resynced")
    assert event.details["result"] == "done"
    assert sorted(event.details["people"]) == sorted([f"jane.new@{D}", moved.email])
    assert f"jane.new@{D}: Created 1" in messages_of(client)[0]


@pytest.mark.django_db(transaction=True)
def test_resync_from_a_persons_page(synced, client):
    client.force_login(SupportFactory())
    _moved, person = _members(synced)
    synced.ops.user_suspend(email=person.email)

    act(client, User, "resync_people", [person.pk])

    person.refresh_from_db()
    assert person.status == User.Status.DEACTIVATED
    assert support_events("people_resynced").get().details["people"][person.google_id]["counts"]


def _members(synced) -> list[User]:
    """Two synced people, not admins, active."""
    return list(
        User.objects.filter(
            organization=synced.organization, google_is_admin=False, status=User.Status.ACTIVE
        )
        .exclude(google_id=None)
        .order_by("email")[:2]
    )


def _held_plan(synced, count=12) -> SyncRun:
    emails = [f"temp{n}@{D}" for n in range(count)]
    for email in emails:
        synced.ops.user_add(email=email)
    synced.sync()
    for email in emails:
        synced.ops.user_delete(email=email)
    run = synced.sync()
    assert run.status == SyncRun.Status.HELD
    return run


@pytest.mark.django_db(transaction=True)
def test_approve_a_held_plan(synced, client):
    support = SupportFactory()
    client.force_login(support)
    run = _held_plan(synced)

    confirm = act(client, SyncRun, "approve_plan", [run.pk])
    assert confirm.status_code == 200
    assert f"temp0@{D}" in confirm.content.decode()  # who would be removed, by name
    act(client, SyncRun, "approve_plan", [run.pk], post="yes")

    run.refresh_from_db()
    assert run.review == SyncRun.Review.APPROVED
    assert User.objects.filter(email__startswith="temp", status=User.Status.ARCHIVED).count() == 12
    assert AuditEvent.objects.get(action="sync.plan_approved").acting_user == support
    (event,) = support_events("plan_approved")
    assert (event.details["result"], event.target_id) == ("done", str(run.pk))


@pytest.mark.django_db(transaction=True)
def test_reject_a_held_plan_and_a_second_decision_is_refused(synced, client):
    client.force_login(SupportFactory())
    run = _held_plan(synced)

    act(client, SyncRun, "reject_plan", [run.pk], post="yes")
    act(client, SyncRun, "approve_plan", [run.pk], post="yes")

    run.refresh_from_db()
    assert run.review == SyncRun.Review.REJECTED
    assert User.objects.filter(email__startswith="temp", status=User.Status.ACTIVE).count() == 12
    assert [e.details["result"] for e in support_events("plan_rejected")] == ["done"]
    assert [e.details["result"] for e in support_events("plan_approved")] == ["refused"]


@pytest.mark.django_db(transaction=True)
def test_change_the_sync_account_of_an_active_integration(google_sandbox, client):
    google_sandbox.seed(D, users=8, groups=1, members_per_group=3, admins=2)
    organization = OrganizationFactory(name="Acme", slug="acme", primary_domain=D)
    admin_ = AdminFactory(organization=organization, email=f"admin@{D}")
    services.integration_start_install(organization=organization, acting_user=admin_)
    services.integration_finalize(
        organization=organization, sync_account=admin_, acting_user=admin_
    )
    sync_run_execute(run_id=SyncRun.objects.get(organization=organization).pk)
    second = User.objects.get(email=f"admin2@{D}")
    member = User.objects.filter(organization=organization, google_is_admin=False).first()
    client.force_login(SupportFactory())

    act(client, Integration, "change_sync_account", [organization.integration.pk],
        post="yes", email=member.email)
    integration = Integration.objects.get(organization=organization)
    assert integration.sync_account == admin_
    assert "This account cannot access the G Suite Directory." in messages_of(client)[0]

    act(client, Organization, "change_sync_account", [organization.pk],
        post="yes", email=second.email)
    integration.refresh_from_db()
    assert (integration.state, integration.sync_account) == ("active", second)
    events = support_events("sync_account_changed")
    assert [(e.details["result"], e.details["email"]) for e in events] == [
        ("refused", member.email),
        ("done", second.email),
    ]
    assert events.last().details["previous"] == admin_.email


# --- without Google ------------------------------------------------------------------------------


@pytest.fixture
def active():
    organization = OrganizationFactory(name="Acme", primary_domain=D)
    admin_ = AdminFactory(organization=organization, email=f"admin@{D}")
    IntegrationFactory(
        organization=organization, state=Integration.State.ACTIVE, sync_account=admin_
    )
    return organization, admin_


@pytest.mark.django_db
def test_change_the_sync_account_while_waiting_for_a_g_suite_admin(support_client):
    organization = OrganizationFactory(name="Acme", primary_domain=D)
    asker, first, second = AdminFactory.create_batch(3, organization=organization)
    integration = integration_request_admin(
        organization=organization, colleague=first, acting_user=asker
    )
    old_token = integration.request_token

    act(support_client, Organization, "change_sync_account", [organization.pk],
        post="yes", email=second.email)

    integration.refresh_from_db()
    assert integration.sync_account == second
    assert integration.request_token != old_token  # the old link stops working
    assert EmailLog.objects.filter(template="sync_request", recipient=second.email).exists()
    assert support_events("sync_account_changed").get().details["result"] == "done"


@pytest.mark.django_db
def test_reset_a_stuck_sync_only_when_its_lease_expired(support_client, active):
    organization, _admin = active
    now = timezone.now()
    stuck = sync_run_create(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=stuck.pk).update(status="running", started_at=now, attempt=1)
    holder = f"run-{stuck.pk}@worker:42:abcd"

    # A live holder: the worker renewed its lease a moment ago.
    assert lock_claim(organization_id=organization.pk, holder=holder)
    act(support_client, Organization, "reset_sync", [organization.pk], post="yes")
    assert SyncLock.objects.get(organization=organization).holder == holder
    stuck.refresh_from_db()
    assert stuck.status == SyncRun.Status.RUNNING

    # The worker died: its lease expired.
    SyncLock.objects.filter(organization=organization).update(expires_at=now - timedelta(minutes=5))
    page = act(support_client, Organization, "reset_sync", [organization.pk])
    assert "lease expired" in page.content.decode()
    act(support_client, Organization, "reset_sync", [organization.pk], post="yes")

    lock = SyncLock.objects.get(organization=organization)
    assert (lock.holder, lock.expires_at) == ("", None)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error_class) == (SyncRun.Status.FAILED, "Reset")
    assert [(e.details["result"], e.details.get("runs")) for e in support_events(
        "integration_reset"
    )] == [("refused", None), ("done", [stuck.pk])]


@pytest.mark.django_db
def test_resend_a_failed_email(support_client, active, django_capture_on_commit_callbacks):
    organization, admin_ = active
    (failed,) = email_logs_create(
        template="test_email",
        to=admin_.email,
        context={"requested_by": "support"},
        organization=organization,
    )
    EmailLog.objects.filter(pk=failed.pk).update(status="failed", last_error="SMTP 554")

    with django_capture_on_commit_callbacks() as callbacks:
        act(support_client, EmailLog, "resend", [failed.pk])
    copy = EmailLog.objects.exclude(pk=failed.pk).get()
    assert (copy.status, copy.recipient, copy.subject) == ("queued", admin_.email, failed.subject)
    assert len(callbacks) == 1  # the delivery task, after commit
    email_log_deliver(email_log_id=copy.pk, final_attempt=False)  # what the task does
    copy.refresh_from_db()
    assert copy.status == EmailLog.Status.SENT
    assert mail.outbox[-1].subject == failed.subject
    failed.refresh_from_db()
    assert failed.status == EmailLog.Status.FAILED  # the record of what happened stays

    act(support_client, EmailLog, "resend", [copy.pk])  # sent: nothing to resend
    assert EmailLog.objects.count() == 2
    assert [e.details["result"] for e in support_events("email_resent")] == ["done", "refused"]
    assert support_events("email_resent").first().details["original"] == failed.pk


@pytest.mark.django_db
def test_deactivate_and_restore_a_person(support_user, support_client, active):
    organization, _admin = active
    client = Client()
    jane = UserFactory(organization=organization, email=f"jane@{D}")
    seats_reconcile(organization=organization)
    assert PersonLicense.objects.get(person=jane).state == PersonLicense.State.LICENSED
    client.force_login(jane)
    assert client.get(reverse("home")).status_code == 200

    confirm = act(support_client, User, "deactivate_people", [jane.pk])
    assert confirm.status_code == 200 and jane.email in confirm.content.decode()
    act(support_client, User, "deactivate_people", [jane.pk], post="yes")

    jane.refresh_from_db()
    assert jane.status == User.Status.DEACTIVATED
    assert client.get(reverse("home")).status_code == 302  # her session has ended
    assert PersonLicense.objects.get(person=jane).state == PersonLicense.State.UNLICENSED
    assert AuditEvent.objects.get(action="person.deactivated").acting_user == support_user

    act(support_client, User, "restore_people", [jane.pk], post="yes")
    jane.refresh_from_db()
    assert jane.status == User.Status.ACTIVE
    assert PersonLicense.objects.get(person=jane).state == PersonLicense.State.LICENSED
    assert [e.details["result"] for e in support_events("person_deactivated")] == ["done"]
    assert [e.details["result"] for e in support_events("person_restored")] == ["done"]
    assert support_events("person_restored").get().organization == organization


@pytest.mark.django_db
def test_the_last_admin_who_can_sign_in_is_never_deactivated(support_client, active):
    _organization, admin_ = active
    act(support_client, User, "deactivate_people", [admin_.pk], post="yes")
    admin_.refresh_from_db()
    assert admin_.status == User.Status.ACTIVE
    (event,) = support_events("person_deactivated")
    assert event.details["result"] == "refused"
    assert "last Hearth admin" in event.details["message"]


@pytest.mark.django_db
def test_no_sync_is_queued_for_an_integration_that_cannot_sync(support_client):
    connected_never = OrganizationFactory(name="Initech")
    failed_finalize = OrganizationFactory(name="Umbrella")
    IntegrationFactory(organization=failed_finalize, state=Integration.State.ERROR)

    act(support_client, Organization, "sync_now", [connected_never.pk, failed_finalize.pk])

    assert not SyncRun.objects.exists()
    assert [e.details["message"] for e in support_events("sync_started")] == [
        "Initech: G Suite sync is not connected, so there is nothing to sync. The customer "
        "connects it from the Integrations tab.",
        "Umbrella: G Suite sync is in error, no sync account, so there is nothing to "
        "sync. The customer connects it from the Integrations tab.",
    ]


@pytest.mark.django_db
def test_actions_are_offered_only_to_those_who_may_run_them(client, active):
    organization, _admin = active
    viewer = SupportFactory()
    viewer.groups.first().permissions.remove(
        *viewer.groups.first().permissions.filter(codename="run_actions")
    )
    client.force_login(viewer)
    listing = client.get(changelist_url(Organization)).content.decode()
    assert "sync_now" not in listing
    act(client, Organization, "sync_now", [organization.pk])
    assert not SyncRun.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="support.").exists()


# --- real-time sync ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_renew_the_push_channels_now(synced, client):
    from googlesandbox.models import PushChannel as ChannelAtGoogle
    from integrations.models import PushChannel
    from integrations.realtime.channels import push_channels_ensure

    support = SupportFactory()
    client.force_login(support)
    assert push_channels_ensure(integration=synced.integration) == 6
    old = set(PushChannel.objects.values_list("channel_id", flat=True))

    page = client.get(admin_url(synced.organization))
    assert "Starting, 6 channels live" in page.content.decode()
    act(client, Organization, "renew_push_channels", [synced.organization.pk])

    live = PushChannel.objects.filter(stopped_at=None)
    assert live.count() == 6 and not live.filter(channel_id__in=old).exists()
    assert not ChannelAtGoogle.objects.filter(channel_id__in=old, stopped_at=None).exists()
    (event,) = support_events("push_channels_renewed")
    assert (event.acting_user, event.details["result"], event.details["opened"]) == (
        support,
        "done",
        6,
    )
    assert "6 push channels opened" in messages_of(client)[0]


@pytest.mark.django_db
def test_renewing_push_channels_of_an_organization_not_syncing_is_refused(support_client):
    organization = OrganizationFactory()
    act(support_client, Organization, "renew_push_channels", [organization.pk])
    (event,) = support_events("push_channels_renewed")
    assert event.details["result"] == "refused"
    assert "no push channels to renew" in event.details["message"]
