"""Step 2 against the sandbox without a browser: the other failures (temporary, unknown account,
a Workspace already connected elsewhere) read as plain messages, never a stack trace; the page
works with and without htmx."""

import pytest
from django.urls import reverse

from integrations import services
from integrations.models import Integration
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "acme.example"


@pytest.fixture
def installing(google_sandbox, client):
    """Path A started by admin@acme.example, Hearth installed in the sandbox (whose second
    super admin is admin2@acme.example)."""
    google_sandbox.seed(DOMAIN, users=5, admins=2, install=True)
    organization = OrganizationFactory(primary_domain=DOMAIN)
    admin = AdminFactory(organization=organization, email=f"admin@{DOMAIN}")
    services.integration_start_install(organization=organization, acting_user=admin)
    client.force_login(admin)
    return organization, admin


def test_google_down_reads_as_temporary_on_the_full_page(client, installing, google_sandbox):
    google_sandbox.ops.faults_set(domain=DOMAIN, error_rates={"503": 1.0})

    response = client.post(reverse("integrations:step_2"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html  # no htmx: the whole page, still at Step 2
    assert "G Suite is temporarily unavailable." in html
    assert "This is usually temporary: please try again in a few minutes." in html
    assert 'aria-current="step"' in html and "Retry Step 2" in html
    assert "Traceback" not in html and "HttpError" not in html


def test_htmx_gets_only_the_step_2_panel_and_a_redirect_on_success(client, installing):
    organization, _ = installing

    response = client.post(reverse("integrations:step_2"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("integrations:done")
    assert Integration.objects.get(organization=organization).state == Integration.State.ACTIVE
    done = client.get(reverse("integrations:done")).content.decode()
    assert "Congratulations, G Suite user synchronization has been set up!" in done


def test_htmx_error_swaps_the_panel_only(client, installing, google_sandbox):
    google_sandbox.ops.set_api_access(domain=DOMAIN, enabled=False)

    response = client.post(reverse("integrations:step_2"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="step-2-panel"' in html
    assert "The API access has been disabled in the G Suite Admin Panel settings" in html


def test_an_account_google_does_not_know_is_said_plainly(client, google_sandbox):
    google_sandbox.seed(DOMAIN, users=5, admins=1, install=True)
    organization = OrganizationFactory(primary_domain=DOMAIN)
    ghost = AdminFactory(organization=organization, email=f"ghost@{DOMAIN}")
    services.integration_start_install(organization=organization, acting_user=ghost)
    client.force_login(ghost)

    html = client.post(reverse("integrations:step_2")).content.decode()

    assert "G Suite does not recognise the sync account." in html
    assert "Choose another account" in html
    assert "invalid_grant" not in html


def test_a_workspace_connected_to_another_organization_is_refused(client, installing):
    organization, _ = installing
    other = OrganizationFactory()
    other_admin = AdminFactory(organization=other, email=f"admin2@{DOMAIN}")
    # The same Workspace customer, connected first by another organization.
    services.integration_start_install(organization=other, acting_user=other_admin)
    services.integration_finalize(
        organization=other, sync_account=other_admin, acting_user=other_admin
    )

    html = client.post(reverse("integrations:step_2")).content.decode()

    assert "This G Suite account is already connected to another organization." in html
    # a failed check during setup stays in the wizard
    assert Integration.objects.get(organization=organization).state == Integration.State.INSTALLING
