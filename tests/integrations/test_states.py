"""The integration's state machine (docs/sync.md) without Google: every transition audited."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from integrations import services, state
from integrations.errors import IntegrationStateError, SyncAllUsersTooSoon
from integrations.models import Integration, SyncRun
from notifications.models import EmailLog
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Integration.State


@pytest.fixture
def organization():
    return OrganizationFactory(name="Acme", primary_domain="acme.example")


@pytest.fixture
def admin(organization):
    return AdminFactory(organization=organization, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def colleague(organization):
    return AdminFactory(organization=organization, first_name="Grace", last_name="Hopper")


def actions(organization):
    return list(
        AuditEvent.objects.filter(organization=organization)
        .filter(action__startswith="integration.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_new_organization_starts_not_started(organization):
    integration = state.integration_get_or_create(organization=organization)
    assert integration.state == State.NOT_STARTED
    assert state.integration_get_or_create(organization=organization).pk == integration.pk
    assert integration.sync_interval_minutes == 15
    assert integration.flatten_nested_groups is True


def test_path_a_makes_the_acting_admin_the_sync_account(organization, admin):
    integration = services.integration_start_install(organization=organization, acting_user=admin)
    assert integration.state == State.INSTALLING
    assert integration.sync_account == admin
    assert actions(organization) == ["integration.install_started"]
    event = AuditEvent.objects.get(action="integration.install_started")
    assert event.acting_user == admin
    assert event.details["sync_account"] == admin.email


def test_path_b_waits_for_the_colleague_and_emails_a_link(organization, admin, colleague):
    integration = services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=admin
    )
    assert integration.state == State.WAITING_FOR_ADMIN
    assert integration.sync_account == colleague
    assert integration.requested_by == admin
    assert len(integration.request_token) >= 32

    log = EmailLog.objects.get(template="sync_request")
    assert log.recipient == colleague.email
    assert "Ada Lovelace" in log.body_text
    assert f"/integrations/g-suite/finalize/{integration.request_token}/" in log.body_text
    assert "https://hearth.test/" in log.body_text
    assert services.integration_by_request_token(token=integration.request_token) == integration
    assert actions(organization) == ["integration.requested"]


def test_changing_the_sync_account_rotates_the_link(organization, admin, colleague):
    first = services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=admin
    )
    old_token = first.request_token
    third = AdminFactory(organization=organization)

    changed = services.integration_change_sync_account(
        organization=organization, colleague=third, acting_user=admin
    )
    assert changed.sync_account == third
    assert changed.request_token != old_token
    assert services.integration_by_request_token(token=old_token) is None
    assert services.integration_by_request_token(token=changed.request_token) == changed
    assert list(
        EmailLog.objects.filter(template="sync_request")
        .order_by("id")
        .values_list("recipient", flat=True)
    ) == [colleague.email, third.email]
    assert actions(organization) == ["integration.requested", "integration.sync_account_changed"]


def test_only_a_hearth_admin_of_the_organization_can_be_asked(organization, admin):
    member = UserFactory(organization=organization)
    stranger = AdminFactory()
    for person in (member, stranger):
        with pytest.raises(IntegrationStateError):
            services.integration_request_admin(
                organization=organization, colleague=person, acting_user=admin
            )
    assert not EmailLog.objects.exists()


def test_change_sync_account_needs_an_outstanding_request(organization, admin, colleague):
    with pytest.raises(IntegrationStateError):
        services.integration_change_sync_account(
            organization=organization, colleague=colleague, acting_user=admin
        )


def test_path_a_withdraws_an_outstanding_request(organization, admin, colleague):
    requested = services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=admin
    )
    services.integration_start_install(organization=organization, acting_user=admin)
    assert services.integration_by_request_token(token=requested.request_token) is None


def test_disconnect_keeps_data_and_stops_schedules(organization, admin):
    Integration.objects.create(
        organization=organization,
        state=State.ACTIVE,
        google_customer_id="C0123",
        sync_account=admin,
    )
    person = UserFactory(organization=organization, google_id="1001")
    integration = services.integration_disconnect(organization=organization, acting_user=admin)
    assert integration.state == State.DISCONNECTED
    assert integration.google_customer_id is None
    person.refresh_from_db()
    assert person.status == person.Status.ACTIVE
    from integrations.tasks import sync_schedule_due

    assert sync_schedule_due() == []
    assert actions(organization) == ["integration.disconnected"]


def test_sync_all_users_once_per_rolling_day(organization, admin):
    Integration.objects.create(organization=organization, state=State.ACTIVE)
    run = services.sync_all_users_start(organization=organization, acting_user=admin)
    assert run.trigger == SyncRun.Trigger.SYNC_ALL
    assert run.status == SyncRun.Status.QUEUED
    with pytest.raises(SyncAllUsersTooSoon) as refused:
        services.sync_all_users_start(organization=organization, acting_user=admin)
    assert refused.value.allowed_at == run.created_at + services.SYNC_ALL_USERS_PERIOD
    assert "can be used again at" in str(refused.value)
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=run.created_at - services.SYNC_ALL_USERS_PERIOD
    )
    assert services.sync_all_users_allowed_at(organization=organization) is None
    services.sync_all_users_start(organization=organization, acting_user=admin)


def test_sync_all_users_needs_an_active_integration(organization, admin):
    with pytest.raises(IntegrationStateError):
        services.sync_all_users_start(organization=organization, acting_user=admin)


def test_schedule_enqueues_only_due_organizations(organization, admin):
    from integrations.tasks import sync_schedule_due

    Integration.objects.create(organization=organization, state=State.ACTIVE)
    other = OrganizationFactory()
    Integration.objects.create(organization=other, state=State.INSTALLING)
    first = sync_schedule_due()
    assert [run.organization_id for run in first] == [organization.pk]
    # queued and not yet done: no pile-up
    assert sync_schedule_due() == []
    SyncRun.objects.update(status=SyncRun.Status.SUCCEEDED)
    assert sync_schedule_due() == []  # interval not elapsed
    SyncRun.objects.update(created_at=first[0].created_at - services.SYNC_ALL_USERS_PERIOD)
    assert len(sync_schedule_due()) == 1


def test_emails_are_not_sent_before_commit(organization, admin, colleague):
    services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=admin
    )
    assert mail.outbox == []
