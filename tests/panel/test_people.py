"""The People list and a person's page: search (name, email, alias), filters, sorting, pages,
htmx fragments, and a constant number of queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import SyncChange, SyncRun
from licenses import services as seats
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import Group, GroupMembership, User

pytestmark = pytest.mark.django_db


def _bulk_people(organization, count: int, *, start: int = 0) -> None:
    """Many people in one INSERT (factories would take minutes for 500)."""
    User.objects.bulk_create(
        User(
            organization=organization,
            email=f"p{start + n:05d}@{organization.primary_domain}",
            first_name=f"First{n}",
            last_name=f"Last{n:05d}",
            google_id=f"g{organization.pk}-{start + n}",
            org_unit_path="/Sales" if n % 2 else "/Engineering",
            status="active",
        )
        for n in range(count)
    )


def _queries_for_page(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_queries_per_people_page_are_the_same_for_50_and_500_people(client):
    counts = {}
    for size in (50, 500):
        organization = OrganizationFactory(seats_purchased=size // 2)
        admin = AdminFactory(organization=organization)
        _bulk_people(organization, size)
        Group.objects.create(organization=organization, google_id="g", email="all@x.example")
        seats.seats_reconcile(organization=organization)  # licensed + waiting people on page 1
        client.force_login(admin)
        url = reverse("person_list") + "?sort=-name"  # waiting people first: positions shown
        counts[size] = _queries_for_page(client, url)
        assert (
            _queries_for_page(client, url + "&q=last&license=waiting&org_unit=/Sales&page=2")
            <= counts[size]
        )
        client.logout()
    assert counts[50] == counts[500]
    assert counts[500] <= 9  # 8, and the organization's time zone the page shows times in


def test_search_by_name_email_and_alias_with_filters_and_sorting(client):
    organization = OrganizationFactory(seats_purchased=10)
    admin = AdminFactory(organization=organization, first_name="Ada", last_name="Admin")
    jane = UserFactory(
        organization=organization,
        first_name="Jane",
        last_name="Smith",
        google_id="g-jane",
        aliases=["jsmith@old.example"],
        org_unit_path="/Sales/East",
        google_is_admin=True,
    )
    UserFactory(organization=organization, first_name="John", last_name="Doe", google_id="g-j")
    gone = UserFactory(
        organization=organization, first_name="Old", last_name="Timer", status="archived"
    )
    group = Group.objects.create(organization=organization, google_id="grp", email="t@x.example")
    GroupMembership.objects.create(
        organization=organization, group=group, member_type="user", member_google_id="g-jane",
        user=jane, direct=False,
    )
    client.force_login(admin)
    url = reverse("person_list")

    def names(**params) -> str:
        return client.get(url, params).content.decode()

    assert "Jane" in names(q="SMITH") and "John" not in names(q="SMITH")
    assert "Jane" in names(q="jsmith@old")  # alias
    assert "Jane" in names(q="jane smith")  # full name
    assert "Timer" not in names() and "Timer" in names(status="archived")
    assert gone.email in names(status="all")
    assert "Jane" in names(org_unit="/Sales") and "John" not in names(org_unit="/Sales")
    assert "Jane" in names(group=str(group.pk)) and "John" not in names(group=str(group.pk))
    assert "Ada" in names(source="invited") and "Jane" not in names(source="invited")
    assert "Jane" in names(google_admin="1") and "John" not in names(google_admin="1")
    html = names(sort="-name")
    john = User.objects.get(first_name="John")
    assert html.index(jane.email) < html.index(john.email) < html.index(admin.email)
    html = names(sort="name")
    assert html.index(admin.email) < html.index(john.email) < html.index(jane.email)
    seats.seats_reconcile(organization=organization)
    assert "Jane" in names(license="licensed")
    fragment = client.get(url, {"q": "jane"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "Jane" in fragment


def test_each_row_shows_its_seat_and_the_filters_keep_what_was_chosen(client):
    organization = OrganizationFactory(seats_purchased=2)
    admin = AdminFactory(organization=organization, first_name="Ada", last_name="Admin")
    people = {
        name: UserFactory(organization=organization, first_name=name, last_name="Person")
        for name in ("Lia", "Wes", "Wyn", "Una")
    }
    seats.seats_reconcile(organization=organization)  # Ada and Lia licensed, Wes and Wyn wait
    seats.license_unassign(organization=organization, acting_user=admin, people=[people["Lia"]])
    seats.license_assign(organization=organization, acting_user=admin, people=[people["Wyn"]])
    newcomer = UserFactory(organization=organization, first_name="Neo", last_name="Person")
    group = Group.objects.create(organization=organization, google_id="grp", email="a&b@x.example")
    other = Group.objects.create(organization=organization, google_id="grp2", email="z@x.example")
    people["Una"].org_unit_path = "/R&D"
    people["Una"].save()
    client.force_login(admin)

    html = client.get(reverse("person_list"), {"sort": "name"}).content.decode()

    def row(person) -> str:
        start = html.index(person.email)
        return html[start : html.index("</tr>", start)]

    assert "Licensed" in row(people["Wyn"]) and "Licensed" in row(admin)
    assert "Unlicensed · waiting #1" in row(people["Wes"])  # the line after Wyn got a seat
    assert "Unlicensed</span>" in row(people["Lia"])  # unassigned by an admin: out of the line
    assert "Not counted yet" in row(newcomer)
    filtered = client.get(
        reverse("person_list"), {"group": str(group.pk), "org_unit": "/R&D"}
    ).content.decode()
    assert f'<option value="{group.pk}" selected>a&amp;b@x.example</option>' in filtered
    assert '<option value="/R&amp;D" selected>/R&amp;D</option>' in filtered
    assert f'<option value="{other.pk}">z@x.example</option>' in filtered


def test_person_page_shows_synced_fields_groups_seat_role_and_history(client):
    organization = OrganizationFactory()
    admin = AdminFactory(organization=organization)
    jane = UserFactory(
        organization=organization, google_id="g-jane", title="CTO", org_unit_path="/Tech"
    )
    group = Group.objects.create(organization=organization, google_id="grp", email="t@x.example")
    GroupMembership.objects.create(
        organization=organization, group=group, member_type="user", member_google_id="g-jane",
        user=jane, role="owner",
    )
    run = SyncRun.objects.create(organization=organization, trigger="schedule")
    SyncChange.objects.create(
        run=run, kind="update", object_type="user", object_id=str(jane.pk),
        object_repr=jane.email, diff={"title": ["Engineer", "CTO"]},
    )
    seats.seats_reconcile(organization=organization)
    client.force_login(admin)
    page = client.get(reverse("person_detail", args=[jane.pk])).content.decode()
    assert "Managed by Google" in page and "CTO" in page and "/Tech" in page
    assert "t@x.example" in page and "Owner" in page
    assert "Engineer → CTO" in page
    assert "Licensed" in page and "Make Hearth admin" in page
    other = UserFactory(organization=OrganizationFactory())
    assert client.get(reverse("person_detail", args=[other.pk])).status_code == 404
