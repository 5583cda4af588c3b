"""Invitations never cross into another organization (issue 11, repro 4 and item 7).

Organization B inviting an address of a domain organization A connected would, once Google adds
that person to A, stall A's sync. And the invitation form must not tell B anything about A:
an address A already has and an address of A's connected domain are refused with one neutral
message, the same queries, no email and no trace.
"""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invitations.models import Invitation
from invitations.services import InvitationError, invitation_accept, invitation_send
from notifications.models import EmailLog
from organizations.services import domains_claim
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db

NEUTRAL = "This address can't be invited here."
PASSWORD = "a sturdy new passphrase 42"


@pytest.fixture
def acme():
    """Organization A: its Workspace was connected for acme.example."""
    organization = OrganizationFactory(name="Acme Corporation", primary_domain="acme.example")
    domains_claim(organization=organization, domains=["acme.example"], acting_user=None)
    return organization


@pytest.fixture
def globex_admin():
    """An admin of organization B."""
    return AdminFactory(organization__name="Globex", organization__primary_domain="globex.example")


def _error_of(response) -> str:
    found = re.search(
        r'<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', response.content.decode()
    )
    assert found, "the form shows no error"
    return html.unescape(found.group(1))


def test_another_organization_cannot_invite_an_address_of_a_connected_domain(acme, globex_admin):
    with pytest.raises(InvitationError) as refused:
        invitation_send(
            organization=globex_admin.organization,
            email="dual@ACME.example",
            acting_user=globex_admin,
        )

    assert refused.value.message.startswith(NEUTRAL)
    assert not Invitation.objects.exists()
    assert not EmailLog.objects.exists()


def test_the_owner_invites_addresses_of_its_own_domain(acme):
    admin = AdminFactory(organization=acme)

    invitation = invitation_send(organization=acme, email="new@acme.example", acting_user=admin)

    assert invitation.organization == acme


def test_the_form_says_the_same_whether_the_address_is_taken_or_its_domain_connected(
    client, acme, globex_admin
):
    """B cannot tell "A has this person" from "A connected this domain": same words, same
    queries; neither A's name nor "another organization" appears."""
    UserFactory(organization=acme, email="known@acme.example")
    UserFactory(organization=acme, email="acme.person@elsewhere.example")
    client.force_login(globex_admin)
    url = reverse("invitations:create")

    pages, query_counts = {}, {}
    for email in ("known@acme.example", "nobody@acme.example", "acme.person@elsewhere.example"):
        with CaptureQueriesContext(connection) as queries:
            pages[email] = client.post(url, {"email": email})
        query_counts[email] = len(queries)

    errors = {email: _error_of(page) for email, page in pages.items()}
    assert len(set(errors.values())) == 1, errors
    assert next(iter(errors.values())).startswith(NEUTRAL)
    assert len(set(query_counts.values())) == 1, query_counts
    for page in pages.values():
        assert page.status_code == 200
        text = page.content.decode()
        assert "another organization" not in text
        assert "Acme Corporation" not in text
        assert "already" not in text
    assert not Invitation.objects.exists()
    assert not EmailLog.objects.exists()


def test_an_invitation_sent_before_the_domain_was_connected_can_no_longer_be_accepted(
    client, globex_admin
):
    invitation = invitation_send(
        organization=globex_admin.organization, email="dual@acme.example", acting_user=globex_admin
    )
    acme = OrganizationFactory(name="Acme Corporation", primary_domain="acme.example")
    domains_claim(organization=acme, domains=["acme.example"], acting_user=None)

    with pytest.raises(InvitationError) as refused:
        invitation_accept(token=invitation.token, password=PASSWORD, first_name="D", last_name="U")
    page = client.post(
        reverse("invitations:accept", kwargs={"token": invitation.token}),
        {"first_name": "D", "last_name": "U", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert "can no longer be accepted" in refused.value.message
    assert page.status_code == 404
    assert "can no longer be accepted" in page.content.decode()
    assert "Acme" not in page.content.decode()
    assert not User.objects.filter(email="dual@acme.example").exists()
    # The invitation page itself already says so, before a password is chosen.
    opened = client.get(reverse("invitations:accept", kwargs={"token": invitation.token}))
    assert opened.status_code == 404
    assert "can no longer be accepted" in opened.content.decode()


def test_accepting_as_a_person_of_another_organization_says_nothing_about_it(globex_admin):
    invitation = invitation_send(
        organization=globex_admin.organization, email="later@x.example", acting_user=globex_admin
    )
    UserFactory(email="later@x.example", organization__name="Initech")

    with pytest.raises(InvitationError) as refused:
        invitation_accept(token=invitation.token, password=PASSWORD, first_name="L", last_name="A")

    assert "can no longer be accepted" in refused.value.message
    assert "another organization" not in refused.value.message
