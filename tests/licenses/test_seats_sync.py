"""Seats inside the G Suite sync (the real engine over the sandbox, PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import services
from integrations.models import SyncRun
from integrations.sync.runs import sync_run_now
from licenses.models import PersonLicense
from notifications.models import EmailLog
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "seats.example"


def _sync(organization) -> SyncRun:
    run = sync_run_now(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.SUCCEEDED, (run.error_message, run.note)
    return run


def _licensed(organization):
    return PersonLicense.objects.filter(organization=organization, state="licensed")


@pytest.mark.slow
def test_1000_people_into_600_seats_then_50_archived_free_seats_for_the_earliest_waiting(
    google_sandbox,
):
    google_sandbox.seed(DOMAIN, users=1000, groups=2, members_per_group=5, admins=1)
    organization = OrganizationFactory(name="Seats", primary_domain=DOMAIN, seats_purchased=600)
    admin = AdminFactory(organization=organization, email=f"admin@{DOMAIN}")
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    SyncRun.objects.filter(organization=organization).delete()

    first = _sync(organization)
    active = User.objects.filter(organization=organization, status="active").count()
    assert active > 900  # the seed suspends ~2%
    assert _licensed(organization).count() == 600
    assert first.counts["seat_assign"] == 600
    assert _licensed(organization).filter(person=admin).exists()  # arrived first
    line = list(
        PersonLicense.objects.filter(organization=organization, waiting_since__isnull=False)
        .order_by("waiting_since", "person_id")
        .values_list("person_id", flat=True)
    )
    assert len(line) == active - 600
    assert EmailLog.objects.filter(template="seats_exhausted").count() == 1
    # running out covers the 90% crossing: one email, not two
    assert EmailLog.objects.filter(template="seats_90_percent").count() == 0

    leaving = list(
        _licensed(organization)
        .filter(person__role="member")
        .order_by("person__email")
        .values_list("person__email", flat=True)[:50]
    )
    for email in leaving:
        google_sandbox.ops.user_delete(email=email)

    with CaptureQueriesContext(connection) as captured:
        second = _sync(organization)
    assert second.counts["archive"] == 50
    assert second.counts["seat_release"] == 50
    assert second.counts["seat_assign"] == 50
    assert _licensed(organization).count() == 600
    newly_licensed = set(
        _licensed(organization).filter(person_id__in=line).values_list("person_id", flat=True)
    )
    assert newly_licensed == set(line[:50])
    assert not _licensed(organization).filter(person__email__in=leaving).exists()
    assert EmailLog.objects.filter(template="seats_exhausted").count() == 1
    # one set-based pass: the seat statements do not grow with the 1,000 people
    seat_queries = [q for q in captured.captured_queries if "licenses_" in q["sql"]]
    assert len(seat_queries) <= 15, [q["sql"][:120] for q in seat_queries]
