"""Change sync account? on a running integration, against the sandbox."""

import pytest
from django.urls import reverse

from access.roles import person_admin_grant
from integrations import services
from integrations.models import Integration, SyncRun
from integrations.sync.runs import sync_run_now
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_g_suite_admin_makes_their_account_the_sync_account(client, google_sandbox):
    google_sandbox.seed("acme.example", users=12, groups=0, admins=2)
    organization = OrganizationFactory(primary_domain="acme.example")
    admin = AdminFactory(organization=organization, email="admin@acme.example")
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    sync_run_now(organization=organization, trigger=SyncRun.Trigger.COMMAND)
    second = User.objects.get(organization=organization, email="admin2@acme.example")
    member = User.objects.filter(organization=organization, google_is_admin=False).first()
    person_admin_grant(organization=organization, person=second, acting_user=admin)
    person_admin_grant(organization=organization, person=member, acting_user=admin)
    url = reverse("usermanagement:gsuite_sync_account")

    client.force_login(member)  # a Hearth admin, not a G Suite admin: told whom to ask
    page = client.get(url).content.decode()
    assert "not a G Suite admin" in page and "admin2@acme.example" in page
    client.force_login(second)
    response = client.post(url, follow=True)
    assert "admin2@acme.example is now the sync account" in response.content.decode()
    integration = Integration.objects.get(organization=organization)
    assert integration.sync_account == second
    assert integration.state == Integration.State.ACTIVE
