"""The wizard when a check fails during setup (issue 16, problems 1 and 7), through Django's
client against the sandbox: the error stays in the wizard — on Step 2 and on the card — with
the help article's words; the stepper does not tick Step 1 when Google does not see the
installation; nothing is scheduled and nobody emailed."""

import re

import pytest
from django.urls import reverse

from integrations import services
from integrations.models import Integration, SyncRun
from integrations.tasks import sync_schedule_due
from notifications.models import EmailLog
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "acme.example"
NOT_INSTALLED = "Hearth has not been properly installed in G Suite."


@pytest.fixture
def path_b(google_sandbox, client):
    """Ada asked Grace (a G Suite admin) to set up the sync; Hearth is not installed yet."""
    google_sandbox.seed(DOMAIN, users=5, groups=0, admins=2, install=False)
    organization = OrganizationFactory(name="Acme", primary_domain=DOMAIN)
    ada = AdminFactory(organization=organization, email=f"admin@{DOMAIN}", first_name="Ada")
    grace = AdminFactory(organization=organization, email=f"admin2@{DOMAIN}", first_name="Grace")
    services.integration_request_admin(organization=organization, colleague=grace, acting_user=ada)
    EmailLog.objects.all().delete()
    return organization, ada, grace


def step(html: str, key: str) -> str:
    """The stepper's item for one step ("Step 1 · Marketplace")."""
    items = re.findall(r'<li class="wizard-step is-(\w+)".*?</li>', html, re.S)
    labels = re.findall(r'<li class="wizard-step is-\w+".*?<span>([^<]+)', html, re.S)
    return dict(zip(labels, items, strict=True))[key]


def test_finalize_before_the_marketplace_stays_on_step_2_and_the_card(client, path_b):
    organization, ada, grace = path_b
    client.force_login(grace)
    html = client.post(reverse("integrations:step_2")).content.decode()
    assert NOT_INSTALLED in html and "Please go back to Step 1." in html
    assert "unauthorized_client" not in html
    # Step 1 is where the fix is: not ticked as done
    assert step(html, "Step 1 · Marketplace") == "attention"
    assert step(html, "Step 2 · Finalize") == "current"
    assert "(not done: G Suite does not see the installation)" in html

    integration = Integration.objects.get(organization=organization)
    assert integration.state == Integration.State.WAITING_FOR_ADMIN
    assert sync_schedule_due() == []
    assert not SyncRun.objects.exists() and not EmailLog.objects.exists()

    # coming back later: Step 2 and the card still say what failed
    assert NOT_INSTALLED in client.get(reverse("integrations:step_2")).content.decode()
    card = client.get(reverse("integrations:home")).content.decode()
    assert "Ready to finalize" in card and "Needs attention" not in card
    assert f"The last check did not pass: {NOT_INSTALLED}" in card
    # the asker sees it on their card too, with the same words
    client.force_login(ada)
    card = client.get(reverse("integrations:home")).content.decode()
    assert "Waiting for <bdi>Grace" in card and f"tried to finalize: {NOT_INSTALLED}" in card


def test_after_the_install_the_retry_finalizes_and_clears_the_error(
    client, path_b, google_sandbox
):
    organization, _ada, grace = path_b
    client.force_login(grace)
    client.post(reverse("integrations:step_2"))
    google_sandbox.install(DOMAIN, delay_seconds=0)
    response = client.post(reverse("integrations:step_2"))
    assert response["Location"] == reverse("integrations:done")
    integration = Integration.objects.get(organization=organization)
    assert (integration.state, integration.last_error_headline) == ("active", "")
    done = client.get(reverse("integrations:done")).content.decode()
    assert step(done, "Step 1 · Marketplace") == "done"


def test_other_setup_errors_keep_step_1_ticked(client, path_b, google_sandbox):
    _organization, _ada, grace = path_b
    google_sandbox.install(DOMAIN, delay_seconds=0)
    google_sandbox.ops.set_api_access(domain=DOMAIN, enabled=False)
    client.force_login(grace)
    html = client.post(reverse("integrations:step_2")).content.decode()
    assert "The API access has been disabled in the G Suite Admin Panel settings" in html
    assert step(html, "Step 1 · Marketplace") == "done"
    assert 'data-testid="api-access-link"' in html
