"""The Integrations tab and the wizard pages that need no answer from Google (Django test client):
who may see them, the card in each state, Path B's request and its link, Change sync account?,
disconnect, CSRF. The finalize check against the sandbox is in test_wizard_browser.py."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations import services
from integrations.models import Integration
from notifications.models import EmailLog
from tests.usermanagement.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

WIZARD_URLS = [
    "integrations:home",
    "integrations:install",
    "integrations:ask",
    "integrations:change",
    "integrations:step_1",
    "integrations:step_2",
    "integrations:done",
    "integrations:progress",
    "integrations:disconnect",
]


def _card(response) -> str:
    html = response.content.decode()
    return re.search(r'data-testid="gsuite-card" data-state="(\w+)"', html).group(1)


def _finalize_link(log: EmailLog) -> str:
    url = re.search(r"https?://\S+/g-suite/finalize/\S+/", log.body_text).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize("url_name", WIZARD_URLS)
def test_members_are_refused_and_visitors_sent_to_sign_in(client, url_name):
    member = UserFactory()
    url = reverse(url_name)

    assert client.get(url).status_code == 302
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code in (403, 405)


def test_the_tab_appears_in_the_panel_navigation(client):
    client.force_login(AdminFactory())
    html = client.get(reverse("panel_overview")).content.decode()
    assert f'href="{reverse("integrations:home")}"' in html


def test_a_new_organization_sees_install_and_the_question(client):
    admin = AdminFactory()
    client.force_login(admin)

    home = client.get(reverse("integrations:home"))
    assert _card(home) == "not_started"
    assert f'href="{reverse("integrations:install")}"' in home.content.decode()

    question = client.get(reverse("integrations:install")).content.decode()
    assert "Are you a G Suite administrator?" in question
    assert "I am a G Suite admin" in question
    assert "Ask a G Suite admin" in question
    # Steps of the wizard are reached through Install, not before.
    assert client.get(reverse("integrations:step_1"))["Location"] == reverse("integrations:home")


def test_path_a_start_makes_the_admin_the_sync_account_and_opens_step_1(client, settings):
    settings.GOOGLE_MARKETPLACE_URL = "http://sandbox.test/marketplace/hearth"
    admin = AdminFactory()
    client.force_login(admin)

    response = client.post(reverse("integrations:start"))

    assert response["Location"] == reverse("integrations:step_1")
    integration = Integration.objects.get(organization=admin.organization)
    assert (integration.state, integration.sync_account) == (Integration.State.INSTALLING, admin)
    step_1 = client.get(reverse("integrations:step_1")).content.decode()
    assert (
        "If you already have installed Hearth in the G Suite Marketplace, you can skip this step."
        in step_1
    )
    marketplace = reverse("integrations:marketplace")
    assert re.search(
        rf'<a [^>]*href="{marketplace}" target="_blank" rel="noopener">Open G Suite Marketplace',
        step_1,
    )
    # the link notes when the admin left for the Marketplace, then goes there
    opened = client.get(marketplace)
    assert opened["Location"] == "http://sandbox.test/marketplace/hearth"
    assert Integration.objects.get(organization=admin.organization).marketplace_opened_at
    step_2 = client.get(reverse("integrations:step_2")).content.decode()
    assert "Finalize G Suite sync" in step_2
    assert _card(client.get(reverse("integrations:home"))) == "installing"


def test_path_b_lists_only_this_organizations_admins(client):
    admin = AdminFactory()
    colleague = AdminFactory(organization=admin.organization)
    member = UserFactory(organization=admin.organization)
    stranger = AdminFactory()
    client.force_login(admin)

    html = client.get(reverse("integrations:ask")).content.decode()

    assert colleague.email in html
    assert "Make sure your colleague is a G Suite administrator" in html
    assert f"{reverse('invitations:create')}?next={reverse('integrations:ask')}" in html
    for absent in (member.email, stranger.email):
        assert absent not in html
    # Posting someone else's id is refused like an unknown choice.
    response = client.post(reverse("integrations:ask"), {"colleague": stranger.pk})
    assert response.status_code == 200
    assert "Choose one of the listed colleagues." in response.content.decode()
    assert not Integration.objects.filter(state=Integration.State.WAITING_FOR_ADMIN).exists()


def test_path_b_request_email_link_and_who_may_follow_it(client):
    admin = AdminFactory(first_name="Ada", last_name="Asker")
    colleague = AdminFactory(organization=admin.organization, first_name="Gus", last_name="Admin")
    third = AdminFactory(organization=admin.organization)
    client.force_login(admin)

    response = client.post(reverse("integrations:ask"), {"colleague": colleague.pk})

    assert response["Location"] == reverse("integrations:home")
    home = client.get(reverse("integrations:home")).content.decode()
    assert "Waiting for <bdi>Gus Admin</bdi>" in home
    assert "Change sync account?" in home
    (log,) = EmailLog.objects.filter(template="sync_request")
    assert log.recipient == colleague.email
    assert "Ada Asker asked you to set up the G Suite integration" in log.body_text
    link = _finalize_link(log)
    assert "/help/g-suite-integration/" in log.body_text

    # The colleague lands on the card in Finalize state.
    client.force_login(colleague)
    landed = client.get(link, follow=True)
    assert landed.redirect_chain[-1][0] == reverse("integrations:home")
    html = landed.content.decode()
    assert "Ada Asker</bdi></strong> asked you to set up" in html
    assert f'href="{reverse("integrations:step_1")}">Finalize</a>' in html
    assert client.get(reverse("integrations:step_1")).status_code == 200

    # Anyone else is told whose request it is, and cannot take the wizard over.
    client.force_login(third)
    other = client.get(link)
    assert other.status_code == 403
    assert "This request is for Gus Admin" in other.content.decode()
    assert client.get(reverse("integrations:step_2")).status_code == 403

    # Another organization's admin does not learn that the link exists.
    client.force_login(AdminFactory())
    assert client.get(link).status_code == 404


def test_change_sync_account_kills_the_old_link(client):
    admin = AdminFactory()
    first = AdminFactory(organization=admin.organization)
    second = AdminFactory(organization=admin.organization, first_name="Second", last_name="One")
    client.force_login(admin)
    client.post(reverse("integrations:ask"), {"colleague": first.pk})
    old_link = _finalize_link(EmailLog.objects.get(recipient=first.email))

    change = client.get(reverse("integrations:change")).content.decode()
    assert first.email in change and "Change sync account" in change
    client.post(reverse("integrations:change"), {"colleague": second.pk})

    new_link = _finalize_link(EmailLog.objects.get(recipient=second.email))
    home = client.get(reverse("integrations:home")).content.decode()
    assert "Waiting for <bdi>Second One</bdi>" in home
    client.force_login(first)
    refused = client.get(old_link)
    assert refused.status_code == 404
    assert "This link no longer works" in refused.content.decode()
    client.force_login(second)
    assert client.get(new_link)["Location"] == reverse("integrations:home")


def test_the_error_card_shows_headline_fix_and_the_way_back(client):
    admin = AdminFactory()
    services.integration_start_install(organization=admin.organization, acting_user=admin)
    Integration.objects.filter(organization=admin.organization).update(
        state=Integration.State.ERROR,
        activated_at=timezone.now(),
        last_error_headline="Hearth has not been properly installed in G Suite.",
        last_error_fix="Please go back to Step 1.",
    )
    client.force_login(admin)

    home = client.get(reverse("integrations:home")).content.decode()
    step_2 = client.get(reverse("integrations:step_2")).content.decode()

    for html in (home, step_2):
        assert "Hearth has not been properly installed in G Suite." in html
        assert "Please go back to Step 1." in html
        assert "Retry Step 2" in html
        assert "Go back to Step 1" in html


@pytest.mark.parametrize("state", ["error", "installing"])
def test_the_api_access_error_links_to_where_api_access_is_enabled(client, settings, state):
    """Its fix is to enable API access and retry Step 2: Step 1 would not help (issue 16)."""
    settings.GOOGLE_API_ACCESS_URL = "https://admin.example/{domain}/api-controls"
    admin = AdminFactory()
    services.integration_start_install(organization=admin.organization, acting_user=admin)
    Integration.objects.filter(organization=admin.organization).update(
        state=state,
        activated_at=timezone.now() if state == "error" else None,
        last_error_headline="The API access has been disabled in the G Suite Admin Panel settings",
        last_error_fix="Please enable it and retry Step 2.",
    )
    client.force_login(admin)
    link = f"https://admin.example/{admin.organization.primary_domain}/api-controls"
    for url in (reverse("integrations:home"), reverse("integrations:step_2")):
        html = client.get(url).content.decode()
        # the help article's words, unchanged; the fix only gains a link
        assert "The API access has been disabled in the G Suite Admin Panel settings" in html
        assert "Please enable it and retry Step 2." in html
        assert link in html
        assert "Go back to Step 1" not in html
        assert "Retry Step 2" in html or "Finalize" in html


def test_disconnect_asks_for_confirmation_and_keeps_people(client):
    admin = AdminFactory()
    people = UserFactory.create_batch(3, organization=admin.organization)
    services.integration_start_install(organization=admin.organization, acting_user=admin)
    Integration.objects.filter(organization=admin.organization).update(
        state=Integration.State.ACTIVE
    )
    client.force_login(admin)

    confirmation = client.get(reverse("integrations:disconnect"))
    assert "Disconnect G Suite?" in confirmation.content.decode()
    assert Integration.objects.get().state == Integration.State.ACTIVE

    client.post(reverse("integrations:disconnect"))

    assert Integration.objects.get().state == Integration.State.DISCONNECTED
    home = client.get(reverse("integrations:home"))
    assert _card(home) == "disconnected"
    assert f'href="{reverse("integrations:install")}">Install</a>' in home.content.decode()
    assert all(type(p).objects.filter(pk=p.pk, status="active").exists() for p in people)


@pytest.mark.parametrize(
    "url_name",
    ["integrations:start", "integrations:ask", "integrations:step_2", "integrations:disconnect"],
)
def test_every_form_is_csrf_protected(url_name):
    admin = AdminFactory()
    colleague = AdminFactory(organization=admin.organization)
    services.integration_start_install(organization=admin.organization, acting_user=admin)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post(reverse(url_name), {"colleague": colleague.pk})

    assert response.status_code == 403
    assert Integration.objects.get().state == Integration.State.INSTALLING


def test_the_help_article_is_public_and_uses_the_product_name(client, settings):
    settings.PRODUCT_NAME = "Beacon"
    html = client.get("/help/g-suite-integration/").content.decode()
    assert "Beacon has not been properly installed in G Suite." in html
    assert "Happeo" not in html
    assert "Click on <strong>Finalize G Suite sync</strong>" in html
