"""Who may sign in (password or Google) and the reason given when not."""

import pytest
from django.urls import reverse

from access.signin import sign_in_refusal
from licenses import services as seats
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory, UserFactory
from usermanagement.selectors import person_for_google_sub

pytestmark = pytest.mark.django_db


def test_google_sub_matches_the_person_not_archived_first():
    organization = OrganizationFactory()
    old = UserFactory(organization=organization, google_id="sub-1", status="archived")
    assert person_for_google_sub(sub="sub-1") == old
    UserFactory(organization=organization, google_id="sub-2")
    assert person_for_google_sub(sub="unknown") is None
    assert person_for_google_sub(sub="") is None


def test_reasons():
    organization = OrganizationFactory(seats_purchased=1)
    admin = AdminFactory(organization=organization)
    synced = UserFactory(organization=organization, google_id="g-1")
    assert sign_in_refusal(person=admin) is None  # not counted yet, not from Google: allowed
    assert sign_in_refusal(person=synced).reason == "unlicensed"  # from Google, not counted
    seats.seats_reconcile(organization=organization)
    refusal = sign_in_refusal(person=synced)
    assert refusal.reason == "unlicensed" and refusal.position == 1
    assert list(refusal.admins) == [admin]
    deactivated = UserFactory(organization=organization, status="deactivated")
    assert sign_in_refusal(person=deactivated).reason == "deactivated"
    archived = UserFactory(organization=organization, status="archived")
    assert sign_in_refusal(person=archived).reason == "archived"


def test_a_synced_hearth_admin_not_yet_counted_is_let_in_to_look_at_the_sync():
    organization = OrganizationFactory(seats_purchased=5)
    adopted_admin = AdminFactory(organization=organization, google_id="g-admin")
    synced_member = UserFactory(organization=organization, google_id="g-member")

    assert sign_in_refusal(person=adopted_admin) is None
    assert sign_in_refusal(person=synced_member).reason == "unlicensed"


def test_password_sign_in_of_a_person_without_a_seat_shows_the_explanation(client):
    organization = OrganizationFactory(seats_purchased=1)
    AdminFactory(organization=organization, first_name="Ada", last_name="Admin")
    member = UserFactory(organization=organization)
    seats.seats_reconcile(organization=organization)
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD}
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "No Hearth seat for you yet" in html and "number 1" in html and "Ada Admin" in html
    assert "_auth_user_id" not in client.session
    assert "has no free Hearth seat" in html  # the seats are all taken


def test_a_person_without_a_seat_while_seats_are_free_is_not_told_there_are_none(client):
    organization = OrganizationFactory(seats_purchased=10)
    AdminFactory(organization=organization, first_name="Ada", last_name="Admin")
    member = UserFactory(organization=organization)
    seats.seats_reconcile(organization=organization)
    seats.license_unassign(organization=organization, people=[member], acting_user=None)

    response = client.post(
        reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD}
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert "has no free" not in html
    assert "you have no Hearth seat at the moment" in html and "can give you one" in html
