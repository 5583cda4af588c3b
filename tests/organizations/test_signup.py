import pytest
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import Organization
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db


def _sign_up(client, *, organization_name="Initech", email="peter@initech.example"):
    return client.post(
        reverse("account_signup"),
        {
            "organization_name": organization_name,
            "email": email,
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )


def test_signup_creates_the_organization_and_its_first_admin(client):
    response = _sign_up(client)

    assert response.status_code == 302
    organization = Organization.objects.get()
    assert (organization.name, organization.slug, organization.primary_domain) == (
        "Initech",
        "initech",
        "initech.example",
    )
    person = User.objects.get()
    assert person.role == User.Role.ADMIN
    assert person.organization == organization
    assert AuditEvent.objects.filter(
        organization=organization, action="organization.created"
    ).exists()


def test_signup_refuses_a_domain_that_already_has_an_organization(client):
    existing = AdminFactory(organization__primary_domain="initech.example").organization

    response = _sign_up(client, organization_name="Initech again", email="bill@initech.example")

    assert response.status_code == 200
    assert "This address can&#x27;t be used to create an organization." in response.content.decode()
    assert existing.name not in response.content.decode()  # neutral: names nobody
    assert Organization.objects.count() == 1


def test_admin_signs_in_with_email_and_password_and_lands_in_the_panel(client):
    admin = AdminFactory()

    response = client.post(
        reverse("account_login"), {"login": admin.email, "password": TEST_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("panel_overview")
    assert admin.organization.name in response.content.decode()


def test_member_is_refused_the_admin_panel(client):
    member = UserFactory()
    client.force_login(member)

    assert client.get(reverse("panel_overview")).status_code == 403
    assert client.get(reverse("person_list")).status_code == 403


def test_deactivated_person_cannot_sign_in_and_is_told_why(client):
    person = UserFactory(status=User.Status.DEACTIVATED)

    response = client.post(
        reverse("account_login"), {"login": person.email, "password": TEST_PASSWORD}
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 403
    assert "Your account is deactivated" in response.content.decode()
