"""integration_finalize through the sandbox: the three headlines from sandbox state, and success."""

import pytest

from audit.models import AuditEvent
from integrations import services
from integrations.errors import (
    ApiAccessDisabled,
    CustomerAlreadyConnected,
    DirectoryAccessDenied,
    NotInstalled,
)
from integrations.models import Integration, SyncRun
from notifications.models import EmailLog
from organizations.selectors import domain_owner, email_domain_blocked
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

DOMAIN = "acme.example"


@pytest.fixture
def acme(google_sandbox):
    google_sandbox.seed(DOMAIN, users=3, groups=1, members_per_group=2, admins=1, install=False)
    organization = OrganizationFactory(name="Acme", primary_domain=DOMAIN)
    admin = AdminFactory(organization=organization, email=f"admin@{DOMAIN}")
    services.integration_start_install(organization=organization, acting_user=admin)
    return google_sandbox, organization, admin


def finalize(organization, admin):
    return services.integration_finalize(
        organization=organization, sync_account=admin, acting_user=admin
    )


def test_not_installed(acme):
    _sandbox, organization, admin = acme
    with pytest.raises(NotInstalled) as failure:
        finalize(organization, admin)
    assert failure.value.headline == "Hearth has not been properly installed in G Suite."
    assert failure.value.fix == "Please go back to Step 1."
    integration = Integration.objects.get(organization=organization)
    # a failure before activation keeps the setup where it was (nothing scheduled, nobody
    # emailed), with the error for Step 2 to show
    assert integration.state == Integration.State.INSTALLING
    assert integration.last_error_headline == failure.value.headline
    assert AuditEvent.objects.filter(action="integration.finalize_failed").count() == 1


def test_api_access_disabled(acme):
    sandbox, organization, admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    sandbox.ops.set_api_access(domain=DOMAIN, enabled=False)
    with pytest.raises(ApiAccessDisabled) as failure:
        finalize(organization, admin)
    assert failure.value.headline == (
        "The API access has been disabled in the G Suite Admin Panel settings"
    )
    assert failure.value.fix == "Please enable it and retry Step 2."


def test_account_without_directory_rights(acme):
    sandbox, organization, _admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    sandbox.ops.user_add(email=f"bob@{DOMAIN}")
    bob = AdminFactory(organization=organization, email=f"bob@{DOMAIN}")
    with pytest.raises(DirectoryAccessDenied) as failure:
        finalize(organization, bob)
    assert failure.value.headline == "This account cannot access the G Suite Directory."
    assert failure.value.fix == (
        "Either choose another account or add the correct rights in G Suite Admin Panel."
    )


def test_success_activates_and_starts_the_first_sync(acme):
    sandbox, organization, admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    integration = finalize(organization, admin)
    assert integration.state == Integration.State.ACTIVE
    assert integration.sync_account == admin
    assert integration.google_customer_id == sandbox.ops.show(DOMAIN)["customer_id"]
    assert integration.domain == DOMAIN
    run = SyncRun.objects.get(organization=organization)
    assert (run.trigger, run.status) == (SyncRun.Trigger.WIZARD, SyncRun.Status.QUEUED)


def test_finalize_claims_the_domain_and_disconnect_releases_it(acme):
    sandbox, organization, admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    finalize(organization, admin)
    other = OrganizationFactory(name="Globex", slug="globex", primary_domain="globex.example")
    assert domain_owner(DOMAIN) == organization
    assert email_domain_blocked(email=f"someone@{DOMAIN}", organization=other)
    assert not email_domain_blocked(email=f"someone@{DOMAIN}", organization=organization)

    services.integration_disconnect(organization=organization, acting_user=admin)

    assert domain_owner(DOMAIN) is None


def test_path_b_success_emails_the_asker(acme):
    sandbox, organization, admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    colleague = AdminFactory(organization=organization, email=f"admin2@{DOMAIN}")
    sandbox.ops.user_add(email=f"admin2@{DOMAIN}", is_admin=True)
    services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=admin
    )
    finalize(organization, colleague)
    assert EmailLog.objects.filter(template="setup_completed", recipient=admin.email).count() == 1


def test_one_customer_one_organization(acme):
    sandbox, organization, admin = acme
    sandbox.install(DOMAIN, delay_seconds=0)  # installed a while ago
    finalize(organization, admin)
    other = OrganizationFactory(primary_domain="acme-two.example")
    other_admin = AdminFactory(organization=other, email=f"admin@{DOMAIN}".replace("admin", "x"))
    # the same Google admin (same Workspace) tried from another organization
    with pytest.raises(CustomerAlreadyConnected):
        services.integration_finalize(
            organization=other, sync_account=admin, acting_user=other_admin
        )
    assert Integration.objects.get(organization=other).state == Integration.State.NOT_STARTED
