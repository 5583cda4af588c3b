"""Inviting a Hearth admin by email and accepting: services and pages (Django test client)."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from invitations.models import Invitation
from invitations.services import InvitationError, invitation_accept, invitation_send
from notifications.models import EmailLog
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a sturdy new passphrase 42"


def _link(log: EmailLog) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", log.body_text).group(0)


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_sending_emails_a_one_time_link_and_records_who_invited(settings):
    settings.SITE_URL = "https://hearth.test"
    admin = AdminFactory(first_name="Ada", last_name="Lovelace")

    invitation = invitation_send(
        organization=admin.organization, email="grace@Corp.example", acting_user=admin
    )

    assert invitation.email == "grace@corp.example"
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert invitation.token not in invitation.token_hash  # only the hash is stored
    (log,) = EmailLog.objects.filter(template="admin_invitation")
    assert log.recipient == "grace@corp.example"
    assert log.subject == (
        f"Ada Lovelace invited you to be a Hearth admin of {admin.organization.name}"
    )
    assert _link(log) == f"https://hearth.test/invitations/{invitation.token}/"
    assert f'href="https://hearth.test/invitations/{invitation.token}/"' in log.body_html
    event = AuditEvent.objects.get(action="invitation.sent")
    assert (event.acting_user, event.organization) == (admin, admin.organization)


def test_accepting_creates_a_verified_admin_who_can_sign_in(client):
    admin = AdminFactory()
    invitation = invitation_send(
        organization=admin.organization, email="grace@corp.example", acting_user=admin
    )
    url = reverse("invitations:accept", kwargs={"token": invitation.token})

    page = client.get(url)
    assert page.status_code == 200
    assert "grace@corp.example" in page.content.decode()

    response = client.post(
        url,
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    person = User.objects.get(email="grace@corp.example")
    assert (person.organization, person.role, person.full_name) == (
        admin.organization,
        User.Role.ADMIN,
        "Grace Hopper",
    )
    assert person.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=person).verified
    assert client.get(reverse("panel_overview")).status_code == 200  # signed in as an admin
    invitation.refresh_from_db()
    assert invitation.accepted_user == person
    # The link works once.
    assert client.get(url).status_code == 404


def test_accepting_promotes_the_existing_member_with_that_address():
    admin = AdminFactory()
    member = UserFactory(organization=admin.organization, first_name="Kept")
    invitation = invitation_send(
        organization=admin.organization, email=member.email.upper(), acting_user=admin
    )

    person = invitation_accept(
        token=invitation.token, password=NEW_PASSWORD, first_name="", last_name=""
    )

    assert person.pk == member.pk
    assert (person.role, person.first_name) == (User.Role.ADMIN, "Kept")
    assert User.objects.filter(organization=admin.organization).count() == 2


def test_a_newer_invitation_replaces_the_earlier_link(client):
    admin = AdminFactory()
    first = invitation_send(organization=admin.organization, email="g@x.example", acting_user=admin)
    second = invitation_send(
        organization=admin.organization, email="g@x.example", acting_user=admin
    )

    old = client.get(reverse("invitations:accept", kwargs={"token": first.token}))
    assert old.status_code == 404
    assert "replaced by a newer one" in old.content.decode()
    assert (
        client.get(reverse("invitations:accept", kwargs={"token": second.token})).status_code == 200
    )


def test_expired_and_unknown_links_say_why(client):
    admin = AdminFactory()
    invitation = invitation_send(
        organization=admin.organization, email="g@x.example", acting_user=admin
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    expired = client.get(reverse("invitations:accept", kwargs={"token": invitation.token}))
    unknown = client.get(reverse("invitations:accept", kwargs={"token": "not-a-token"}))

    assert "has expired" in expired.content.decode()
    assert "not valid" in unknown.content.decode()
    with pytest.raises(InvitationError):
        invitation_accept(
            token=invitation.token, password=NEW_PASSWORD, first_name="G", last_name="H"
        )


def test_people_of_another_organization_and_admins_cannot_be_invited():
    admin = AdminFactory()
    stranger = UserFactory()
    colleague = AdminFactory(organization=admin.organization)

    with pytest.raises(InvitationError, match="This address can't be invited here"):
        invitation_send(organization=admin.organization, email=stranger.email, acting_user=admin)
    with pytest.raises(InvitationError, match="already a Hearth admin"):
        invitation_send(organization=admin.organization, email=colleague.email, acting_user=admin)
    assert not Invitation.objects.exists()


def test_a_weak_or_mismatched_password_is_refused_on_the_page(client):
    admin = AdminFactory()
    invitation = invitation_send(
        organization=admin.organization, email="g@x.example", acting_user=admin
    )
    url = reverse("invitations:accept", kwargs={"token": invitation.token})

    weak = client.post(
        url, {"first_name": "G", "last_name": "H", "password1": "123", "password2": "123"}
    )
    mismatch = client.post(
        url,
        {"first_name": "G", "last_name": "H", "password1": NEW_PASSWORD, "password2": "other"},
    )

    assert weak.status_code == 200 and "too short" in weak.content.decode()
    assert "differ" in mismatch.content.decode()
    assert not User.objects.filter(email="g@x.example").exists()


def test_the_invite_page_is_for_admins_and_returns_to_the_wizard(client):
    admin = AdminFactory()
    member = UserFactory(organization=admin.organization)
    url = reverse("invitations:create")

    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, {"email": "g@x.example"}).status_code == 403

    client.force_login(admin)
    response = client.post(
        url, {"email": "g@x.example", "next": "/panel/integrations/g-suite/ask/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/panel/integrations/g-suite/ask/"
    assert Invitation.objects.get().invited_by == admin
    # An outside "next" is ignored.
    response = client.post(url, {"email": "h@x.example", "next": "https://evil.example/"})
    assert response["Location"] == url


def test_the_invite_form_is_csrf_protected():
    from django.test import Client

    admin = AdminFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(reverse("invitations:create"), {"email": "g@x.example"}).status_code == 403
    assert not Invitation.objects.exists()


def test_signing_in_after_accepting_uses_the_new_password(client):
    admin = AdminFactory()
    invitation = invitation_send(
        organization=admin.organization, email="g@x.example", acting_user=admin
    )
    invitation_accept(token=invitation.token, password=NEW_PASSWORD, first_name="G", last_name="H")
    client.logout()
    assert client.login(email="g@x.example", password=NEW_PASSWORD)
    assert not client.login(email="g@x.example", password=TEST_PASSWORD)
