"""Who gets what in the support console: support staff see every page and change nothing by
hand; superusers edit only what no service owns; an organization's people never get in."""

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from integrations.models import Integration
from organizations.models import Organization
from support.access import support_group
from support.admin.base import admin_url, changelist_url
from tests.integrations.factories import IntegrationFactory
from tests.organizations.factories import OrganizationFactory
from tests.support.factories import SupportFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory, StaffFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db

# Registered by libraries, holding credentials or access rules: superusers only.
SUPERUSER_ONLY = {"auth.group", "socialaccount.socialapp", "socialaccount.socialtoken",
                  "socialaccount.socialaccount"}


@pytest.fixture
def acme():
    organization = OrganizationFactory(name="Acme", primary_domain="acme.example")
    admin_ = AdminFactory(organization=organization, email="ada@acme.example")
    person = UserFactory(organization=organization, email="jane@acme.example", phone="+1 555 0100")
    integration = IntegrationFactory(
        organization=organization, state=Integration.State.ACTIVE, sync_account=admin_
    )
    return organization, admin_, person, integration


def _registered():
    return sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def test_support_staff_see_every_page_of_the_console(support_client, acme):
    index = support_client.get(reverse("admin:index"))
    assert index.status_code == 200

    for model in _registered():
        label = model._meta.label_lower
        response = support_client.get(changelist_url(model))
        if label in SUPERUSER_ONLY:
            assert response.status_code == 403, label
            assert changelist_url(model) not in index.content.decode()
        else:
            assert response.status_code == 200, label
            assert changelist_url(model) in index.content.decode(), label

    organization, _admin, person, integration = acme
    for obj in (organization, person, integration):
        page = support_client.get(admin_url(obj))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize("which", ["person", "organization", "integration"])
def test_support_staff_get_403_on_editing_or_deleting(support_client, acme, which):
    organization, _admin, person, integration = acme
    obj = {"person": person, "organization": organization, "integration": integration}[which]
    edits = {
        "person": {"email": "new@acme.example", "role": "admin", "status": "archived"},
        "organization": {"name": "Renamed", "slug": "renamed"},
        "integration": {"state": "disconnected", "domain": "evil.example"},
    }[which]

    responses = {
        "change": support_client.post(admin_url(obj), edits),
        "delete page": support_client.get(admin_url(obj, "delete")),
        "delete": support_client.post(admin_url(obj, "delete"), {"post": "yes"}),
        "add page": support_client.get(
            reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add")
        ),
    }

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 403)
    before = {field: getattr(obj, field) for field in edits}
    obj.refresh_from_db()
    assert {field: getattr(obj, field) for field in edits} == before


def test_nobody_deletes_in_bulk(client, acme):
    client.force_login(StaffFactory())  # a superuser
    for model in (Organization, User, Integration):
        assert "delete_selected" not in client.get(changelist_url(model)).content.decode()


def test_a_hearth_admin_never_reaches_the_console(acme):
    _organization, admin_, person, _integration = acme
    login = reverse("admin:login")
    for someone in (admin_, person):
        client = Client()
        client.force_login(someone)
        for url in (reverse("admin:index"), changelist_url(User), admin_url(person)):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(login)

    # Their password does not open the console's sign-in either.
    client = Client()
    response = client.post(login, {"username": admin_.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_outside_the_support_group_see_nothing(acme):
    client = Client()
    client.force_login(UserFactory(organization=None, is_staff=True))
    assert client.get(changelist_url(User)).status_code == 403
    assert client.get(changelist_url(Organization)).status_code == 403


def test_superusers_edit_only_what_no_service_owns(client, acme):
    organization, _admin, person, integration = acme
    client.force_login(StaffFactory())
    seats = organization.seats_purchased

    response = client.post(
        admin_url(organization),
        {
            "name": "Acme Corporation",
            "slug": organization.slug,
            "seats_purchased": 9999,  # read-only: changed by the audited seats action
            "primary_domain": "evil.example",  # read-only: claimed when created
            "connected_domains-TOTAL_FORMS": 0,
            "connected_domains-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organization.refresh_from_db()
    assert organization.name == "Acme Corporation"
    assert organization.seats_purchased == seats
    assert organization.primary_domain == "acme.example"

    # A customer's person and the integration: read-only for superusers too.
    assert client.post(admin_url(person), {"role": "admin"}).status_code == 403
    assert client.post(admin_url(integration), {"state": "disconnected"}).status_code == 403
    assert 'name="_save"' not in client.get(admin_url(person)).content.decode()

    # Vendor staff rows are the superuser's to edit (names, staff flags, groups).
    colleague = SupportFactory()
    page = client.get(admin_url(colleague)).content.decode()
    assert 'name="_save"' in page
    assert 'name="groups"' in page


def test_phone_numbers_are_not_shown_and_password_hashes_never(support_client, acme):
    _organization, _admin, person, _integration = acme
    listing = support_client.get(changelist_url(User)).content.decode()
    page = support_client.get(admin_url(person)).content.decode()
    assert person.email in listing
    for content in (listing, page):
        assert "555 0100" not in content
        assert person.password.split("$")[-1] not in content


def test_library_pages_are_read_only_for_support(support_client, client, acme):
    from django_celery_beat.models import PeriodicTask

    support_page = support_client.get(changelist_url(PeriodicTask)).content.decode()
    assert "run_tasks" not in support_page
    client.force_login(StaffFactory())
    assert "run_tasks" in client.get(changelist_url(PeriodicTask)).content.decode()
    assert SocialApp in admin.site._registry  # there, but not for support (above)


def test_the_support_group_holds_its_two_permissions():
    group = support_group()
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "run_actions",
        "use_console",
    ]
