"""sync_user / sync_group: one person or one group through the full sync's plan/apply path
(what real-time sync runs on a push or an activity-feed event)."""

import pytest

from integrations.models import SyncChange, SyncRun
from integrations.sync.engine import sync_group, sync_user
from licenses.models import PersonLicense
from usermanagement.models import Group, GroupMembership, User

Kind = SyncChange.Kind
D = "acme.example"


@pytest.fixture
def synced(connected):
    """Acme after its first full sync."""
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    return connected


def _run(acme) -> SyncRun:
    return SyncRun.objects.create(
        organization=acme.organization,
        trigger=SyncRun.Trigger.PUSH,
        status=SyncRun.Status.RUNNING,
    )


def test_a_new_person_is_created_with_a_seat_and_nobody_else_is_touched(synced):
    synced.ops.user_add(email=f"new.hire@{D}", given_name="New", family_name="Hire")
    before = User.objects.filter(organization=synced.organization).count()

    run = sync_user(run=_run(synced), user_key=f"new.hire@{D}")

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts == {"create": 1, "seat_assign": 1}
    person = synced.person(f"new.hire@{D}")
    assert (person.first_name, person.last_name) == ("New", "Hire")
    assert PersonLicense.objects.get(person=person).state == PersonLicense.State.LICENSED
    assert User.objects.filter(organization=synced.organization).count() == before + 1
    assert synced.changes(run, Kind.CREATE).get().object_repr == f"new.hire@{D}"


def test_a_renamed_person_is_found_by_google_id_and_updated(synced):
    synced.ops.user_add(email=f"old.name@{D}")
    sync_user(run=_run(synced), user_key=f"old.name@{D}")
    person = synced.person(f"old.name@{D}")
    synced.ops.user_rename(email=f"old.name@{D}", new_email=f"new.name@{D}")

    run = sync_user(run=_run(synced), user_key=person.google_id)

    person.refresh_from_db()
    assert person.email == f"new.name@{D}"
    assert f"old.name@{D}" in person.aliases
    assert run.counts == {"update": 1}


def test_a_suspended_person_is_deactivated_and_a_deleted_one_archived(synced):
    suspended, deleted = (
        User.objects.filter(organization=synced.organization, google_is_admin=False)
        .exclude(google_id=None)
        .order_by("email")[:2]
    )
    synced.ops.user_suspend(email=suspended.email)
    synced.ops.user_delete(email=deleted.email)
    groups_of_deleted = GroupMembership.objects.filter(member_google_id=deleted.google_id).count()
    groups_of_suspended = GroupMembership.objects.filter(
        member_google_id=suspended.google_id
    ).count()
    assert groups_of_deleted

    sync_user(run=_run(synced), user_key=suspended.google_id)
    run = sync_user(run=_run(synced), user_key=deleted.google_id)

    suspended.refresh_from_db()
    deleted.refresh_from_db()
    assert suspended.status == User.Status.DEACTIVATED
    assert deleted.status == User.Status.ARCHIVED
    # an archived person's seat frees; Google took them out of their groups, and so does Hearth
    # (a suspended person stays in theirs, as in Google)
    assert run.counts == {"archive": 1, "seat_release": 1, "member_remove": groups_of_deleted}
    assert not GroupMembership.objects.filter(member_google_id=deleted.google_id).exists()
    assert (
        GroupMembership.objects.filter(member_google_id=suspended.google_id).count()
        == groups_of_suspended
    )


def test_a_seat_freed_by_one_person_goes_to_the_first_waiting_in_the_same_run(synced):
    organization = synced.organization
    licensed = PersonLicense.objects.filter(
        organization=organization, state=PersonLicense.State.LICENSED
    )
    organization.seats_purchased = licensed.count()  # every seat taken
    organization.save(update_fields=["seats_purchased"])
    synced.ops.user_add(email=f"waiting@{D}")
    arrival = sync_user(run=_run(synced), user_key=f"waiting@{D}")
    assert arrival.counts == {"create": 1}
    newcomer = synced.person(f"waiting@{D}")
    assert PersonLicense.objects.get(person=newcomer).waiting_since is not None
    leaving = licensed.filter(person__role=User.Role.MEMBER, person__google_is_admin=False)
    leaving = leaving.order_by("person__email").first().person
    synced.ops.user_delete(email=leaving.email)

    run = sync_user(run=_run(synced), user_key=leaving.google_id)

    assert run.counts["archive"] == 1
    assert (run.counts["seat_release"], run.counts["seat_assign"]) == (1, 1)
    assert PersonLicense.objects.get(person=newcomer).state == PersonLicense.State.LICENSED
    assert PersonLicense.objects.get(person=leaving).state == PersonLicense.State.UNLICENSED


def test_a_person_asked_about_by_address_and_deleted_in_google_frees_their_seat(synced):
    """The support console's "re-sync this person" may name someone by address; archived in
    the run, they no longer hold that address, and their seat must still be released."""
    leaving = (
        User.objects.filter(
            organization=synced.organization,
            google_is_admin=False,
            license__state=PersonLicense.State.LICENSED,
        )
        .exclude(google_id=None)
        .order_by("email")
        .first()
    )
    synced.ops.user_delete(email=leaving.email)

    run = sync_user(run=_run(synced), user_key=leaving.email)

    leaving.refresh_from_db()
    assert leaving.status == User.Status.ARCHIVED
    assert run.counts["seat_release"] == 1
    assert PersonLicense.objects.get(person=leaving).state == PersonLicense.State.UNLICENSED


def test_a_new_group_comes_with_its_members(synced):
    people = User.objects.filter(organization=synced.organization).exclude(google_id=None)
    first, second = people.order_by("email")[:2]
    synced.ops.group_add(email=f"launch@{D}", name="Launch")
    synced.ops.member_add(group_email=f"launch@{D}", member_email=first.email, role="OWNER")
    synced.ops.member_add(group_email=f"launch@{D}", member_email=second.email)

    run = sync_group(run=_run(synced), group_key=f"launch@{D}")

    assert run.status == SyncRun.Status.SUCCEEDED
    group = Group.objects.get(organization=synced.organization, email=f"launch@{D}")
    assert group.name == "Launch"
    roles = dict(
        GroupMembership.objects.filter(group=group, direct=True).values_list("user_id", "role")
    )
    assert roles == {first.pk: "owner", second.pk: "member"}
    assert run.counts == {"group_create": 1, "member_add": 2}


def test_a_group_deleted_in_google_is_deleted_with_its_memberships(synced):
    group = Group.objects.filter(organization=synced.organization).order_by("email").last()
    assert GroupMembership.objects.filter(group=group).exists()
    synced.ops.group_delete(email=group.email)

    run = sync_group(run=_run(synced), group_key=group.google_id)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert not Group.objects.filter(pk=group.pk).exists()
    assert not GroupMembership.objects.filter(group_id=group.pk).exists()
    assert Group.objects.filter(organization=synced.organization).count() == 2
