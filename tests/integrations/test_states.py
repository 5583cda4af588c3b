"""The integration's state machine (docs/sync.md) without Google: every transition audited."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils.timezone import now

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


# --- the state machine (integrations.state) ----------------------------------------------------

ALL_STATES = list(State)
# Which states each named transition leaves from (everything else is refused).
EXPECTED_SOURCES = {
    "install_started": {"not_started", "disconnected", "installing", "waiting_for_admin"},
    "admin_requested": {"not_started", "disconnected", "installing"},
    "sync_account_changed": {"waiting_for_admin"},
    "marketplace_opened": {"installing", "waiting_for_admin", "active", "error"},
    "setup_failed": {"not_started", "disconnected", "installing", "waiting_for_admin"},
    "finalized": set(State),
    "sync_failed": {"active", "error"},
    "recovered": {"active", "error"},
    "disconnected": {"installing", "waiting_for_admin", "active", "error"},
}
EXPECTED_TARGETS = {
    "install_started": "installing",
    "admin_requested": "waiting_for_admin",
    "finalized": "active",
    "sync_failed": "error",
    "recovered": "active",
    "disconnected": "disconnected",
}


def test_every_transition_is_named_and_listed():
    assert set(state.TRANSITIONS) == set(EXPECTED_SOURCES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SOURCES))
@pytest.mark.parametrize("source", ALL_STATES)
def test_each_transition_from_each_state_is_allowed_or_refused(name, source):
    integration = Integration(state=source)
    if source in EXPECTED_SOURCES[name]:
        assert state.integration_transition(integration, name) == source
        assert integration.state == EXPECTED_TARGETS.get(name, source)
    else:
        with pytest.raises(IntegrationStateError):
            state.integration_transition(integration, name)
        assert integration.state == source  # refused: nothing changed


def test_illegal_transitions_are_refused_by_the_services(organization, admin, colleague):
    with pytest.raises(IntegrationStateError):
        services.integration_disconnect(organization=organization, acting_user=admin)
    Integration.objects.create(
        organization=organization, state=State.ACTIVE, sync_account=admin, activated_at=now()
    )
    for service in (services.integration_start_install,):
        with pytest.raises(IntegrationStateError):
            service(organization=organization, acting_user=admin)
    with pytest.raises(IntegrationStateError):
        services.integration_request_admin(
            organization=organization, colleague=colleague, acting_user=admin
        )
    assert Integration.objects.get(organization=organization).state == State.ACTIVE
    assert not EmailLog.objects.exists()


def test_install_pending_is_a_sub_state_of_setup_that_ends_by_itself(
    organization, admin, settings
):
    settings.GOOGLE_INSTALL_PATIENCE_SECONDS = 600
    integration = services.integration_start_install(organization=organization, acting_user=admin)
    assert state.integration_phase(integration) == State.INSTALLING
    services.integration_marketplace_opened(organization=organization, acting_user=admin)
    integration.refresh_from_db()
    opened = integration.marketplace_opened_at
    assert state.integration_phase(integration) == state.INSTALL_PENDING
    assert integration.state == State.INSTALLING  # the card and the schedule see installing
    later = opened + timedelta(seconds=601)
    assert state.integration_phase(integration, now=later) == State.INSTALLING
    assert state.install_pending_until(integration, now=later) is None
    assert actions(organization) == [
        "integration.install_started",
        "integration.marketplace_opened",
    ]


def test_a_running_integration_is_never_install_pending(organization, admin):
    integration = Integration.objects.create(
        organization=organization, state=State.ACTIVE, marketplace_opened_at=now()
    )
    assert state.integration_phase(integration) == State.ACTIVE


def test_the_sync_cannot_put_an_integration_in_setup_into_error(organization, admin):
    """Only a running integration's sync moves it to error (and emails once per incident)."""
    from integrations.errors import NotInstalled
    from integrations.sync import notify

    services.integration_start_install(organization=organization, acting_user=admin)
    notify.sync_failed(organization=organization, error=NotInstalled("unauthorized_client"))
    integration = Integration.objects.get(organization=organization)
    assert integration.state == State.INSTALLING
    assert not EmailLog.objects.exists()

    Integration.objects.filter(pk=integration.pk).update(state=State.ACTIVE, activated_at=now())
    notify.sync_failed(organization=organization, error=NotInstalled("unauthorized_client"))
    notify.sync_failed(organization=organization, error=NotInstalled("unauthorized_client"))
    integration.refresh_from_db()
    assert integration.state == State.ERROR
    assert EmailLog.objects.filter(template="sync_failed").count() == 1  # one per incident
    notify.sync_succeeded(organization=organization)
    integration.refresh_from_db()
    assert integration.state == State.ACTIVE
    assert EmailLog.objects.filter(template="sync_recovered").count() == 1


def test_schedule_never_picks_an_integration_in_setup_even_with_an_error(organization, admin):
    from integrations.tasks import sync_next_at, sync_schedule_due

    integration = Integration.objects.create(
        organization=organization,
        state=State.WAITING_FOR_ADMIN,
        last_error_headline="Hearth has not been properly installed in G Suite.",
    )
    assert sync_schedule_due() == []
    assert sync_next_at(integration=integration) is None


def test_a_dry_run_does_not_move_the_schedule(organization, admin):
    from integrations.sync.runs import sync_run_create
    from integrations.tasks import sync_next_at, sync_schedule_due

    integration = Integration.objects.create(organization=organization, state=State.ACTIVE)
    real = sync_run_create(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=real.pk).update(
        status=SyncRun.Status.SUCCEEDED, created_at=now() - timedelta(minutes=20)
    )
    dry = sync_run_create(
        organization=organization, trigger=SyncRun.Trigger.COMMAND, mode=SyncRun.Mode.DRY_RUN
    )
    SyncRun.objects.filter(pk=dry.pk).update(status=SyncRun.Status.SUCCEEDED)
    # the real run 20 minutes ago counts, the dry run a moment ago does not: a sync is due
    assert sync_next_at(integration=integration) <= now()
    (started,) = sync_schedule_due()
    assert started.mode == SyncRun.Mode.FULL
    assert sync_next_at(integration=integration) > now() + timedelta(minutes=14)


@pytest.mark.django_db(transaction=True)
def test_path_b_finalize_before_the_marketplace_stays_in_setup_and_tells_nobody(
    google_sandbox,
):
    """Issue 16, problem 1: the colleague clicks Finalize before installing from the
    Marketplace. The wizard shows the error; no run is scheduled, nobody is emailed."""
    from integrations.errors import NotInstalled
    from integrations.tasks import sync_schedule_due

    google_sandbox.seed("acme.example", users=3, groups=0, admins=2, install=False)
    organization = OrganizationFactory(name="Acme", primary_domain="acme.example")
    asker = AdminFactory(organization=organization, email="admin@acme.example")
    colleague = AdminFactory(organization=organization, email="admin2@acme.example")
    services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=asker
    )
    EmailLog.objects.all().delete()  # the request itself

    with pytest.raises(NotInstalled):
        services.integration_finalize(
            organization=organization, sync_account=colleague, acting_user=colleague
        )
    integration = Integration.objects.get(organization=organization)
    assert integration.state == State.WAITING_FOR_ADMIN
    assert integration.last_error_headline == "Hearth has not been properly installed in G Suite."
    assert integration.last_error_fix == "Please go back to Step 1."
    assert "unauthorized_client" in integration.last_error_detail  # kept for support
    assert state.setup_error_shown(integration)
    assert sync_schedule_due() == []
    assert not SyncRun.objects.filter(organization=organization).exists()
    assert not EmailLog.objects.exists()
    assert "integration.finalize_failed" in actions(organization)


@pytest.mark.django_db(transaction=True)
def test_a_failed_check_of_another_account_leaves_a_running_integration_as_it_is(
    google_sandbox,
):
    from integrations.errors import DirectoryAccessDenied

    google_sandbox.seed("acme.example", users=3, groups=0, admins=1)
    google_sandbox.ops.user_add(email="bob@acme.example")
    organization = OrganizationFactory(name="Acme", primary_domain="acme.example")
    admin = AdminFactory(organization=organization, email="admin@acme.example")
    bob = AdminFactory(organization=organization, email="bob@acme.example")
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    with pytest.raises(DirectoryAccessDenied):
        services.integration_finalize(organization=organization, sync_account=bob, acting_user=bob)
    integration = Integration.objects.get(organization=organization)
    assert (integration.state, integration.sync_account) == (State.ACTIVE, admin)
    assert integration.last_error_headline == ""
