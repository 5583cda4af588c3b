"""Seats without Google: reconcile, the waiting line, manual assign/unassign, alerts, audit."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from access.signin import sign_in_refusal
from audit.models import AuditEvent
from licenses import selectors, services
from licenses.models import PersonLicense, SeatAlert
from notifications.models import EmailLog
from tests.dbstats import sequential_reads
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import User

pytestmark = pytest.mark.django_db


def _people(organization, count, *, start=None, **fields):
    start = start or timezone.now() - timedelta(days=1)
    return [
        UserFactory(organization=organization, date_joined=start + timedelta(minutes=i), **fields)
        for i in range(count)
    ]


def _licensed(organization) -> set[int]:
    return set(
        PersonLicense.objects.filter(organization=organization, state="licensed").values_list(
            "person_id", flat=True
        )
    )


def _auto_assign_off(organization) -> None:
    """Only Hearth admins join the waiting line; seats are given by hand."""
    services.license_policy_update(
        organization=organization,
        acting_user=organization.admin,
        auto_assign=False,
        auto_assign_org_units=[],
        release_after_days=0,
    )


@pytest.fixture
def org():
    organization = OrganizationFactory(seats_purchased=5)
    admin = AdminFactory(organization=organization, date_joined=timezone.now() - timedelta(days=9))
    organization.admin = admin
    return organization


def test_reconcile_gives_seats_in_arrival_order_and_lines_up_the_rest(org):
    people = _people(org, 7)
    result = services.seats_reconcile(organization=org)
    # the admin who signed up arrived first
    assert _licensed(org) == {org.admin.pk, *[p.pk for p in people[:4]]}
    assert sorted(result.assigned) == sorted(_licensed(org))
    positions = selectors.waiting_positions(organization=org, person_ids=[p.pk for p in people])
    assert positions == {people[4].pk: 1, people[5].pk: 2, people[6].pk: 3}
    usage = selectors.seats_usage(organization=org)
    assert (usage.used, usage.total, usage.waiting, usage.exhausted) == (5, 5, 3, True)
    assigned_events = AuditEvent.objects.filter(action="license.assigned", acting_user=None)
    assert assigned_events.count() == 5


def test_seats_given_a_chunk_at_a_time_still_follow_the_line(org, monkeypatch):
    monkeypatch.setattr(services, "ASSIGN_CHUNK", 2)
    people = _people(org, 7)
    result = services.seats_reconcile(organization=org)
    assert result.assigned == [org.admin.pk, *[p.pk for p in people[:4]]]  # in line order
    assert _licensed(org) == set(result.assigned)
    assert AuditEvent.objects.filter(action="license.assigned").count() == 5


def test_freed_seats_go_to_the_earliest_waiting_in_the_same_pass(org):
    people = _people(org, 9)
    services.seats_reconcile(organization=org)
    leaving = people[:2]
    User.objects.filter(pk__in=[p.pk for p in leaving]).update(status=User.Status.ARCHIVED)
    result = services.seats_reconcile(organization=org)
    assert sorted(result.released) == sorted(p.pk for p in leaving)
    assert sorted(result.assigned) == sorted([people[4].pk, people[5].pk])
    assert selectors.waiting_positions(organization=org, person_ids=[people[6].pk]) == {
        people[6].pk: 1
    }


def test_reconcile_queries_do_not_grow_with_people(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(organization, people: int) -> int:
        _people(organization, people)
        with CaptureQueriesContext(connection) as captured:
            services.seats_reconcile(organization=organization)
        return len(captured)

    org.seats_purchased = 20
    org.save()
    many = queries_for(org, 60)
    small = OrganizationFactory(seats_purchased=2)
    AdminFactory(organization=small)
    few = queries_for(small, 3)
    # both runs: rows created, seats given, line formed, "exhausted" emailed
    assert many == few
    assert many <= 25


def test_a_pass_over_named_people_looks_at_them_only_and_fills_the_seats_they_free(org):
    """What a one-person sync run does (a push or activity-feed refresh): its own people's
    seats, then the line if they freed a seat — the rest of the organization is the last
    full pass's (a 100,000-person organization's seats are not read on every notification)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = _people(org, 7)
    services.seats_reconcile(organization=org)  # admin + people 0-3 licensed, 4-6 waiting
    leaving, unseen = people[0], people[1]
    User.objects.filter(pk__in=[leaving.pk, unseen.pk]).update(status=User.Status.ARCHIVED)

    result = services.seats_reconcile(organization=org, people=[leaving.pk])

    assert result.released == [leaving.pk]
    assert result.assigned == [people[4].pk]  # the line is the organization's: first waiting
    assert unseen.pk in _licensed(org)  # not named: left as it was

    with CaptureQueriesContext(connection) as captured:
        quiet = services.seats_reconcile(organization=org, people=[people[2].pk])
    assert (quiet.created, quiet.released, quiet.assigned) == (0, [], [])
    # its savepoint, the lock, the policy, then one look per step at the named person — no
    # count of the seats, no look at the line or the alerts
    assert len(captured) <= 8, [q["sql"] for q in captured]

    full = services.seats_reconcile(organization=org)
    assert full.released == [unseen.pk]
    assert full.assigned == [people[5].pk]


def test_a_new_hearth_admin_gets_a_free_seat_at_once_when_auto_assign_is_off(org):
    """Admins always join the line. Before, the next sync pass lined a new admin up; a push
    refresh now reconciles only the people it names, so the role change does it itself."""
    from access.roles import person_admin_grant, person_admin_revoke

    _auto_assign_off(org)
    person, waiting = _people(org, 2)
    services.seats_reconcile(organization=org)
    assert person.pk not in _licensed(org)
    assert PersonLicense.objects.get(person=person).waiting_since is None  # members wait not

    person_admin_grant(organization=org, person=person, acting_user=org.admin)

    assert person.pk in _licensed(org)  # a free seat (5 bought, 1 used): given at once
    services.license_unassign(organization=org, acting_user=org.admin, people=[person])
    person_admin_grant(organization=org, person=waiting, acting_user=org.admin)
    person_admin_revoke(organization=org, person=waiting, acting_user=org.admin)
    assert PersonLicense.objects.get(person=waiting).state == "licensed"  # revoking keeps it


def test_grace_period_keeps_the_seat_until_it_ends(org):
    policy = services.license_policy_get(organization=org)
    policy.release_after_days = 3
    policy.save()
    person = _people(org, 1)[0]
    services.seats_reconcile(organization=org)
    User.objects.filter(pk=person.pk).update(status=User.Status.DEACTIVATED)
    services.seats_reconcile(organization=org)
    assert person.pk in _licensed(org)
    services.seats_reconcile(organization=org, now=timezone.now() + timedelta(days=4))
    assert person.pk not in _licensed(org)


def test_auto_assign_only_for_chosen_org_units(org):
    services.license_policy_update(
        organization=org,
        acting_user=org.admin,
        auto_assign=True,
        auto_assign_org_units=["/Sales"],
        release_after_days=0,
    )
    sales = _people(org, 1, google_id="g-sales", org_unit_path="/Sales/East")[0]
    tech = _people(org, 1, google_id="g-tech", org_unit_path="/Tech")[0]
    services.seats_reconcile(organization=org)
    licenses = {lic.person_id: lic for lic in PersonLicense.objects.filter(organization=org)}
    assert licenses[sales.pk].state == "licensed"
    assert licenses[tech.pk].state == "unlicensed" and licenses[tech.pk].waiting_since is None


def test_manual_assign_is_all_or_nothing_when_seats_run_out(org):
    _auto_assign_off(org)
    people = _people(org, 6)
    services.seats_reconcile(organization=org)
    # auto-assign is off, but Hearth admins always get a seat: they must be able to sign in
    assert _licensed(org) == {org.admin.pk}
    with pytest.raises(services.SeatsExhausted) as error:
        services.license_assign(organization=org, acting_user=org.admin, people=people[:5])
    assert "only 4 seats are free" in error.value.message
    assert _licensed(org) == {org.admin.pk}
    result = services.license_assign(organization=org, acting_user=org.admin, people=people[:4])
    assert len(result.assigned) == 4
    event = (
        AuditEvent.objects.filter(action="license.assigned", acting_user=org.admin)
        .order_by("pk")
        .last()
    )
    assert event.details == {"reason": "assigned by an admin"}
    with pytest.raises(services.SeatsExhausted, match="No seats left"):
        services.license_assign(organization=org, acting_user=org.admin, people=people[4:5])


def test_unassign_keeps_a_licensed_admin_and_does_not_refill_from_the_line(org):
    people = _people(org, 6)
    services.seats_reconcile(organization=org)
    with pytest.raises(services.LicenseError, match="at least one admin"):
        services.license_unassign(organization=org, acting_user=org.admin, people=[org.admin])
    generation = people[0].session_generation
    services.license_unassign(organization=org, acting_user=org.admin, people=[people[0]])
    people[0].refresh_from_db()
    assert people[0].session_generation == generation + 1
    row = PersonLicense.objects.get(person=people[0])
    assert row.state == "unlicensed" and row.unassigned_by_admin and row.waiting_since is None
    assert sign_in_refusal(person=people[0]).reason == "unlicensed"
    assert sign_in_refusal(person=people[1]) is None
    # The next pass gives the freed seat to the line, not back to the unassigned person.
    result = services.seats_reconcile(organization=org, acting_user=org.admin)
    assert result.assigned == [people[4].pk]


def test_alerts_email_once_per_crossing(org):
    org.seats_purchased = 10
    org.save()
    _people(org, 8)  # 9 with the admin: 90%
    services.seats_reconcile(organization=org)
    assert EmailLog.objects.filter(template="seats_90_percent").count() == 1
    services.seats_reconcile(organization=org)
    assert EmailLog.objects.filter(template="seats_90_percent").count() == 1
    _people(org, 3)
    services.seats_reconcile(organization=org)
    assert EmailLog.objects.filter(template="seats_exhausted").count() == 1
    services.seats_reconcile(organization=org)
    assert EmailLog.objects.filter(template="seats_exhausted").count() == 1
    # more seats: the crossing is over, a new one emails again
    services.seats_purchased_set(organization=org, seats=20, acting_user=None)
    assert not selectors.seat_alerts_open(organization=org)
    services.seats_purchased_set(organization=org, seats=12, acting_user=None)
    assert EmailLog.objects.filter(template="seats_exhausted").count() == 2
    log = EmailLog.objects.filter(template="seats_exhausted").order_by("pk").last()
    assert log.recipient == org.admin.email
    assert "All 12 Hearth seats" in log.body_text
    assert SeatAlert.objects.filter(organization=org, cleared_at__isnull=True).count() == 2


def test_group_and_org_unit_selection(org):
    from usermanagement.models import Group, GroupMembership

    _auto_assign_off(org)
    org.seats_purchased = 50
    org.save()
    members = _people(org, 3)
    others = _people(org, 2, org_unit_path="/Ops")
    group = Group.objects.create(organization=org, google_id="grp1", email="team@x.example")
    for i, person in enumerate(members):
        GroupMembership.objects.create(
            organization=org,
            group=group,
            member_type="user",
            member_google_id=f"m{i}",
            user=person,
            direct=i != 0,
        )
    admin = {org.admin.pk}
    services.license_assign(organization=org, acting_user=org.admin, group=group)
    assert _licensed(org) == admin | {p.pk for p in members}
    services.license_assign(organization=org, acting_user=org.admin, org_unit="/Ops")
    assert _licensed(org) == admin | {p.pk for p in members + others}
    services.license_unassign(organization=org, acting_user=org.admin, group=group)
    assert _licensed(org) == admin | {p.pk for p in others}
    foreign = Group.objects.create(
        organization=OrganizationFactory(), google_id="g2", email="x@y.example"
    )
    with pytest.raises(services.LicenseError):
        services.license_assign(organization=org, acting_user=org.admin, group=foreign)


def test_hourly_task_reconciles_organizations_with_a_grace_period(org):
    from licenses.tasks import seats_grace_release

    policy = services.license_policy_get(organization=org)
    policy.release_after_days = 2
    policy.save()
    person = _people(org, 1)[0]
    services.seats_reconcile(organization=org)
    User.objects.filter(pk=person.pk).update(status=User.Status.DEACTIVATED)
    seats_grace_release()
    row = PersonLicense.objects.get(person=person)
    assert row.state == "licensed" and row.inactive_since is not None  # the grace has begun


def test_first_pass_reads_the_seats_table_by_index_not_once_a_person(org):
    """The first sync's pass creates every row at once. Analyzed while the organization had
    no seats (as after a fresh deployment, or a VACUUM before the first sync), the table looks
    empty to the planner; joined against it, it was re-read whole for every person while the
    statement filled it — quadratic, a minute at 100,000 people. It must be read by index."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE usermanagement_user, licenses_personlicense")
    User.objects.bulk_create(
        User(
            organization=org,
            email=f"arrival{n}@{org.primary_domain}",
            date_joined=timezone.now(),
            password="!",
        )
        for n in range(300)
    )

    scans_before, _rows = sequential_reads("licenses_personlicense")
    result = services.seats_reconcile(organization=org)
    assert result.created == 301
    assert sequential_reads("licenses_personlicense")[0] - scans_before < 10
