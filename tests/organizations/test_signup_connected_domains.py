"""Sign-up never creates an organization on a domain another organization owns (issue 11).

A connected domain belongs to the organization whose Workspace was connected for it; signing up
with an address there would create a second organization whose people collide with the owner's
sync. The refusal names nobody: it reads the same whether the domain was connected or is the
domain another organization signed up with, so the public sign-up page cannot be used to find
out which companies use Hearth.
"""

import html
import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from organizations.models import Organization
from organizations.services import domains_claim
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

pytestmark = pytest.mark.django_db

NEUTRAL = "This address can't be used to create an organization."


def _sign_up(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "organization_name": "Newco",
            "email": email,
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )


def _email_error(response) -> str:
    content = response.content.decode()
    found = re.search(r'id="id_email-errors"[^>]*>(.*?)</div>', content, re.S) or re.search(
        r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', content, re.S
    )
    assert found, "the sign-up page shows no error"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.fixture
def acme():
    """Signed up with acme.example; its Workspace was connected for acme.com as well."""
    organization = OrganizationFactory(name="Acme Corporation", primary_domain="acme.example")
    domains_claim(
        organization=organization,
        domains={"acme.example": "primary", "acme.com": "alias"},
        acting_user=None,
    )
    return organization


def test_sign_up_with_an_address_of_a_connected_domain_is_refused(client, acme):
    response = _sign_up(client, "founder@ACME.com")

    assert response.status_code == 200
    assert _email_error(response).startswith(NEUTRAL)
    assert list(Organization.objects.all()) == [acme]


def test_the_refusal_is_the_same_for_a_connected_domain_and_a_signed_up_one(client, acme):
    OrganizationFactory(name="Initech", primary_domain="initech.example")

    errors = {
        email: _email_error(_sign_up(client, email))
        for email in ("a@acme.com", "b@acme.example", "c@initech.example")
    }

    assert len(set(errors.values())) == 1, errors
    message = next(iter(errors.values()))
    assert message.startswith(NEUTRAL)
    for word in ("Acme", "Initech", "acme.", "initech.", "already"):
        assert word not in message
    assert Organization.objects.count() == 2


def test_a_domain_nobody_owns_still_signs_up(client, acme):
    response = _sign_up(client, "founder@newco.example")

    assert response.status_code == 302
    assert Organization.objects.filter(primary_domain="newco.example").exists()


def test_a_signed_in_person_cannot_add_an_address_of_another_organizations_domain(client, acme):
    """allauth's e-mail page would otherwise let a person of organization B attach (and make
    primary) an address of A's connected domain — the same collision by another door."""
    person = AdminFactory()
    client.force_login(person)

    refused = client.post(reverse("account_email"), {"email": "dual@acme.com", "action_add": ""})
    allowed = client.post(
        reverse("account_email"), {"email": "me@elsewhere.example", "action_add": ""}
    )

    assert refused.status_code == 200
    assert "This address can't be used here." in html.unescape(refused.content.decode())
    assert "Acme" not in refused.content.decode()
    assert allowed.status_code == 302
    assert set(EmailAddress.objects.filter(user=person).values_list("email", flat=True)) == {
        person.email,
        "me@elsewhere.example",
    }


def test_the_owner_adds_addresses_of_its_own_domain(client, acme):
    admin = AdminFactory(organization=acme)
    client.force_login(admin)

    response = client.post(reverse("account_email"), {"email": "alt@acme.com", "action_add": ""})

    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=admin, email="alt@acme.com").exists()
