"""The audit log in the support console: filterable, searchable, never writable."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def events():
    acme, globex = OrganizationFactory.create_batch(2)
    ada = UserFactory(organization=acme, email="ada@acme.example")
    return [
        audit_record(organization=acme, acting_user=ada, action="integration.finalized"),
        audit_record(
            organization=globex,
            acting_user=None,
            action="user.deactivated",
            target=ada,
            details={"note": "<b>bold</b>"},
        ),
    ]


def test_list_filters_and_search(staff_client, events):
    url = reverse("admin:audit_auditevent_changelist")

    response = staff_client.get(url)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [events[1], events[0]]

    response = staff_client.get(url, {"action__exact": "integration.finalized"})
    assert list(response.context["cl"].result_list) == [events[0]]

    response = staff_client.get(url, {"organization__id__exact": events[1].organization_id})
    assert list(response.context["cl"].result_list) == [events[1]]

    response = staff_client.get(url, {"q": "ada@acme"})
    assert response.context["cl"].result_count == 2  # as actor, and as target


def test_the_detail_page_is_read_only(staff_client, events):
    response = staff_client.get(reverse("admin:audit_auditevent_change", args=[events[1].pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert "&lt;b&gt;bold&lt;/b&gt;" in content


def test_nothing_can_be_added_changed_or_deleted(staff_client, events):
    event = events[0]
    responses = [
        staff_client.get(reverse("admin:audit_auditevent_add")),
        staff_client.post(reverse("admin:audit_auditevent_add"), {"action": "x.y"}),
        staff_client.post(
            reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "x.y"}
        ),
        staff_client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert AuditEvent.objects.count() == 2
    event.refresh_from_db()
    assert event.action == "integration.finalized"


def test_the_delete_action_is_not_offered(staff_client, events):
    response = staff_client.get(reverse("admin:audit_auditevent_changelist"))
    assert "delete_selected" not in response.content.decode()
