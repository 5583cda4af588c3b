"""audit_record / audit_record_many: who did what to which object, appended with the change."""

import datetime
import uuid

import pytest
from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def admin_user(organization):
    return AdminFactory(organization=organization, email="ada@acme.example")


def test_an_event_records_actor_target_and_details(organization, admin_user):
    person = UserFactory(organization=organization, email="bob@acme.example")
    when = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    run_id = uuid.UUID("12345678-1234-5678-1234-567812345678")

    event = audit_record(
        organization=organization,
        acting_user=admin_user,
        action="user.deactivated",
        target=person,
        details={"reason": "left", "at": when, "run": run_id},
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.organization == organization
    assert event.acting_user == admin_user
    assert event.acting_user_repr == "ada@acme.example"
    assert event.action == "user.deactivated"
    assert (event.target_type, event.target_id, event.target_repr) == (
        "usermanagement.user",
        str(person.pk),
        "bob@acme.example",
    )
    # Datetimes and UUIDs are stored as JSON strings.
    assert event.details == {
        "reason": "left",
        "at": "2024-05-01T12:00:00Z",
        "run": "12345678-1234-5678-1234-567812345678",
    }
    assert event.created_at is not None


def test_the_system_and_vendor_level_events_have_no_user_or_organization():
    event = audit_record(organization=None, acting_user=None, action="sync.started")
    assert event.acting_user is None
    assert event.organization is None
    assert str(event) == "sync.started by system"
    assert (event.target_type, event.target_id, event.details) == ("", "", {})


@pytest.mark.parametrize("action", ["deactivated", "User.Deactivated", "user deactivated", "user."])
def test_actions_must_be_dotted_lowercase(action):
    with pytest.raises(ValueError, match="dotted lowercase"):
        audit_record(organization=None, acting_user=None, action=action)


def test_unsaved_targets_are_refused(organization):
    with pytest.raises(ValueError, match="saved"):
        audit_record(
            organization=organization,
            acting_user=None,
            action="user.created",
            target=User(email="new@acme.example"),
        )


def test_the_event_rolls_back_with_the_change_it_describes(organization):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(organization=organization, acting_user=None, action="seats.changed")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def test_many_targets_are_recorded_in_one_insert(
    organization, admin_user, django_assert_num_queries
):
    people = UserFactory.create_batch(5, organization=organization)

    with django_assert_num_queries(1):
        events = audit_record_many(
            organization=organization,
            acting_user=None,
            action="user.deactivated",
            targets=people,
            details_by_target={people[0]: {"reason": "suspended in Google"}},
        )

    assert len(events) == 5
    stored = {event.target_id: event for event in AuditEvent.objects.all()}
    assert set(stored) == {str(person.pk) for person in people}
    assert stored[str(people[0].pk)].details == {"reason": "suspended in Google"}
    assert stored[str(people[1].pk)].details == {}
    assert all(event.acting_user is None for event in stored.values())


def test_no_targets_means_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert (
            audit_record_many(
                organization=None, acting_user=None, action="user.deactivated", targets=[]
            )
            == []
        )


def test_events_read_newest_first(organization):
    first = audit_record(organization=organization, acting_user=None, action="sync.started")
    second = audit_record(organization=organization, acting_user=None, action="sync.finished")
    assert list(AuditEvent.objects.all()) == [second, first]
