"""The People list's cheap paths: org-unit choices by a loose index scan, deep pages by ids."""

import pytest

from panel import selectors
from panel.views_people import DEFERRED_JOIN_FROM, PEOPLE_PER_PAGE
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import User
from usermanagement.selectors import org_units

pytestmark = pytest.mark.django_db


def test_org_units_are_the_distinct_sorted_units_of_this_organization_only():
    organization, other = OrganizationFactory(), OrganizationFactory()
    for path in ["/Sales", "/Engineering/Platform", "", "/Engineering", "/Sales", "/Zeta"]:
        UserFactory(organization=organization, org_unit_path=path)
    UserFactory(organization=other, org_unit_path="/Elsewhere")

    assert org_units(organization=organization) == [
        "/Engineering",
        "/Engineering/Platform",
        "/Sales",
        "/Zeta",
    ]
    assert org_units(organization=OrganizationFactory()) == []


def test_a_deep_page_shows_the_same_people_as_the_full_query(
    client, django_assert_max_num_queries
):
    organization = OrganizationFactory()
    admin = AdminFactory(organization=organization, last_name="Aaa")
    people = [
        User(
            organization=organization,
            email=f"person{n:05d}@deep.example",
            first_name=f"F{n % 7}",
            last_name=f"L{n % 97:03d}",
            status=User.Status.ARCHIVED if n % 10 == 0 else User.Status.ACTIVE,
            password="!",
        )
        for n in range(DEFERRED_JOIN_FROM + 5 * PEOPLE_PER_PAGE)
    ]
    User.objects.bulk_create(people)
    number = DEFERRED_JOIN_FROM // PEOPLE_PER_PAGE + 2
    expected = list(
        selectors.person_list(organization=organization).values_list("email", flat=True)[
            (number - 1) * PEOPLE_PER_PAGE : number * PEOPLE_PER_PAGE
        ]
    )
    assert len(expected) == PEOPLE_PER_PAGE

    client.force_login(admin)
    with django_assert_max_num_queries(9):
        response = client.get(f"/panel/users/?page={number}")

    assert response.status_code == 200
    shown = [person.email for person in response.context["page"]]
    assert shown == expected
    assert response.context["page"].paginator.count == 1 + sum(
        1 for person in people if person.status != User.Status.ARCHIVED
    )
    body = response.content.decode()
    assert body.index(expected[0]) < body.index(expected[-1])


def test_org_unit_filter_takes_sub_units_and_not_look_alike_units():
    organization = OrganizationFactory()
    for path in ["/Sales", "/Sales/East", "/Sales-Ops", "/SalesX", "/Engineering", ""]:
        UserFactory(organization=organization, org_unit_path=path, email=f"p{path}@u.example")

    def paths(raw: str) -> set[str]:
        filters = selectors.PeopleFilters(org_unit=raw)
        people = selectors.person_list(organization=organization, filters=filters)
        return set(people.values_list("org_unit_path", flat=True))

    assert paths("/Sales") == {"/Sales", "/Sales/East"}
    assert paths("Sales/") == {"/Sales", "/Sales/East"}
    assert paths("/Sales/East") == {"/Sales/East"}
    assert paths("/Nowhere") == set()
    assert paths("/") == {"/Sales", "/Sales/East", "/Sales-Ops", "/SalesX", "/Engineering", ""}
