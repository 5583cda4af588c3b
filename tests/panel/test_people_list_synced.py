"""The first People list shows synced people with their org unit, in constant queries."""

import pytest

from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement import services as directory
from usermanagement.models import User

pytestmark = pytest.mark.django_db


def test_people_list_shows_org_units_in_constant_queries(client, django_assert_max_num_queries):
    organization = OrganizationFactory()
    admin = AdminFactory(organization=organization)
    for n in range(60):
        UserFactory(organization=organization, org_unit_path=f"/Unit{n % 3}")
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        response = client.get("/panel/users/")
    assert response.status_code == 200
    assert "/Unit1" in response.content.decode()


def test_status_change_is_set_based_and_ends_sessions(django_assert_max_num_queries):
    organization = OrganizationFactory()
    people = [UserFactory(organization=organization) for _ in range(5)]
    hashes = {p.pk: p.get_session_auth_hash() for p in people}
    with django_assert_max_num_queries(3):
        directory.people_status_change(
            organization=organization,
            changes=[(p, User.Status.DEACTIVATED, "suspended") for p in people],
            acting_user=None,
            reason="test",
        )
    for person in User.objects.filter(pk__in=hashes):
        assert person.status == User.Status.DEACTIVATED
        assert person.get_session_auth_hash() != hashes[person.pk]
