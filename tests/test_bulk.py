"""config.bulk: plain rows written with COPY get what a new model instance would have."""

from django.contrib.auth.hashers import is_password_usable

from audit.models import AuditEvent
from config.bulk import records_insert
from tests.organizations.factories import OrganizationFactory
from usermanagement import services as directory
from usermanagement.models import User


def test_records_insert_fills_defaults_and_auto_now(db):
    organization = OrganizationFactory()
    records_insert(
        AuditEvent,
        [
            {"organization_id": organization.pk, "action": "test.first"},
            {"organization_id": organization.pk, "action": "test.second"},
        ],
    )
    events = list(AuditEvent.objects.filter(organization=organization).order_by("pk"))
    assert [e.action for e in events] == ["test.first", "test.second"]
    assert all(e.created_at is not None for e in events)  # auto_now_add
    assert all(e.details == {} and e.target_repr == "" for e in events)  # defaults


def test_people_created_in_bulk_are_like_people_created_one_by_one(db):
    organization = OrganizationFactory()
    record = {
        "google_id": "1001",
        "google_etag": '"e1"',
        "google_state": "active",
        "status": User.Status.ACTIVE,
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "aliases": ["g@example.com"],
        "org_unit_path": "/",
        "title": "",
        "department": "",
        "phone": "",
        "manager_email": "",
        "photo_url": "",
        "google_is_admin": False,
        "google_archived": False,
        "google_created_at": None,
        "google_last_login_at": None,
    }
    second = {**record, "google_id": "1002", "email": "alan@example.com", "aliases": []}

    pks = directory.people_create_synced(organization=organization, records=[record, second])

    people = [User.objects.get(pk=pk) for pk in pks]
    assert [p.email for p in people] == ["grace@example.com", "alan@example.com"]
    assert {p.organization_id for p in people} == {organization.pk}  # a common value
    grace = people[0]
    assert grace.aliases == ["g@example.com"]
    assert grace.role == User.Role.MEMBER and not grace.is_staff and not grace.is_superuser
    assert grace.date_joined is not None and grace.google_synced_at is not None
    assert grace.is_active  # generated from the status
    assert not is_password_usable(grace.password)
    assert grace.password != people[1].password  # unusable, and not the same for everyone
