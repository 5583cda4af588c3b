"""Find and follow: a support user finds a person by email across organizations, opens their
sync changes, and reads on one page why they lost access."""

import pytest

from audit.models import AuditEvent
from integrations.models import Integration, SyncChange, SyncRun
from notifications.models import EmailLog
from notifications.services import email_logs_create
from organizations.models import Organization
from support.admin.base import admin_url, changelist_url
from tests.integrations.factories import IntegrationFactory
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import UserFactory
from usermanagement.models import User

D = "acme.example"


def _results(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
def test_a_person_is_found_by_email_or_alias_across_organizations(support_client):
    acme = OrganizationFactory(name="Acme", primary_domain="acme.example")
    globex = OrganizationFactory(name="Globex", primary_domain="globex.example")
    jane = UserFactory(organization=acme, email="jane@acme.example", aliases=["jd@acme.example"])
    other_jane = UserFactory(organization=globex, email="jane@globex.example")
    UserFactory(organization=globex, email="janet@globex.example", first_name="Janet")
    url = changelist_url(User)

    assert _results(support_client.get(url, {"q": "jane@globex.example"})) == [other_jane]
    assert _results(support_client.get(url, {"q": "JD@acme.example"})) == [jane]
    assert set(_results(support_client.get(url, {"q": "jane@"}))) == {jane, other_jane}
    assert _results(support_client.get(url, {"q": "jane@", "organization": acme.pk})) == [jane]

    # Organizations by name, slug or domain.
    organizations = changelist_url(Organization)
    assert _results(support_client.get(organizations, {"q": "globex.example"})) == [globex]
    assert _results(support_client.get(organizations, {"q": "Acm"})) == [acme]


@pytest.mark.django_db(transaction=True)
def test_their_sync_changes_are_found_under_any_address_they_had(synced, support_client):
    person = (
        User.objects.filter(organization=synced.organization, google_is_admin=False)
        .exclude(google_id=None)
        .order_by("email")
        .first()
    )
    old_email = person.email
    synced.ops.user_rename(email=old_email, new_email=f"jane.new@{D}")
    rename_run = synced.sync()
    person.refresh_from_db()
    assert person.email == f"jane.new@{D}"

    found = _results(support_client.get(changelist_url(SyncChange), {"q": f"jane.new@{D}"}))

    assert {change.kind for change in found} == {"create", "update"}
    assert {change.run for change in found} == {
        SyncRun.objects.filter(organization=synced.organization).order_by("pk").first(),
        rename_run,
    }
    # The same search by the old address finds the same changes (she had it then).
    assert set(_results(support_client.get(changelist_url(SyncChange), {"q": old_email}))) == set(
        found
    )
    # From the person's page, one link leads there; each change links to her and to its run.
    page = support_client.get(admin_url(person)).content.decode()
    assert changelist_url(SyncChange, q=person.email) in page
    listing = support_client.get(changelist_url(SyncChange), {"q": person.email}).content.decode()
    assert admin_url(person) in listing
    assert admin_url(rename_run) in listing


@pytest.mark.django_db(transaction=True)
def test_a_persons_page_tells_why_they_lost_access(synced, support_client):
    jane = (
        User.objects.filter(organization=synced.organization, google_is_admin=False)
        .exclude(google_id=None)
        .order_by("email")
        .first()
    )
    synced.ops.user_suspend(email=jane.email)
    run = synced.sync()
    jane.refresh_from_db()
    assert jane.status == User.Status.DEACTIVATED
    (log,) = email_logs_create(
        template="test_email",
        to=jane.email,
        context={"requested_by": "Ada"},
        organization=synced.organization,
    )
    EmailLog.objects.filter(pk=log.pk).update(status="failed", last_error="SMTP 550 no mailbox")

    response = support_client.get(admin_url(jane))

    page = response.content.decode()
    story = response.context["story"]
    sources = [(entry.source, entry.what) for entry in story]
    assert ("sync", "Deactivated") in sources  # the change, with its run
    assert ("audit", "person.deactivated") in sources
    assert ("audit", "license.released") in sources  # her seat went with it
    assert ("email", f"Email “{log.subject}”") in sources
    assert admin_url(run) in page
    assert "google_state: active → suspended" in page
    assert "SMTP 550 no mailbox" in page
    assert story[0].when >= story[-1].when  # newest first
    deactivation = next(e for e in story if e.what == "Deactivated")
    assert deactivation.run == run and deactivation.problem


@pytest.mark.django_db
def test_an_organizations_page_shows_its_sync_at_a_glance(support_client):
    organization = OrganizationFactory(name="Acme", primary_domain=D)
    integration = IntegrationFactory(
        organization=organization,
        state=Integration.State.ERROR,
        last_error_headline="This account cannot access the G Suite Directory.",
    )
    failed = SyncRun.objects.create(
        organization=organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        status=SyncRun.Status.FAILED,
        error_class="DirectoryAccessDenied",
    )
    AuditEvent.objects.create(
        organization=organization,
        action="integration.sync_failed",
        target_type="integrations.integration",
        target_id=str(integration.pk),
        details={"state": "error"},
    )

    page = support_client.get(admin_url(organization)).content.decode()

    assert "This account cannot access the G Suite Directory." in page
    assert admin_url(failed) in page
    assert "DirectoryAccessDenied" in page
    assert "integration.sync_failed" in page
    assert changelist_url(User, organization=organization.pk) in page
    assert 'value="sync_now"' in page  # the actions, as buttons
