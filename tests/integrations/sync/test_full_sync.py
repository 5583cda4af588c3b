"""Full syncs through the sandbox (real client, real HTTP, PostgreSQL): each kind of change."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import SyncChange, SyncRun
from integrations.sync import apply, engine
from usermanagement.models import Group, GroupMembership

User = get_user_model()
Kind = SyncChange.Kind
D = "acme.example"


def test_first_sync_adopts_the_admin_who_signed_up(connected):
    admin_pk = connected.admin.pk
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert run.counts["adopt"] == 1
    assert run.counts["create"] == 11
    admin = connected.person(f"admin@{D}")
    assert admin.pk == admin_pk
    assert admin.google_id and admin.google_is_admin
    assert User.objects.filter(organization=connected.organization).count() == 12
    assert Group.objects.filter(organization=connected.organization).count() == 3
    # seed: the first group contains the second (nested) → inherited rows exist
    assert GroupMembership.objects.filter(direct=False).exists()


def test_each_kind_of_change_is_reflected_with_its_sync_change(connected):
    ops = connected.ops
    connected.sync()
    ops.user_add(email=f"new.person@{D}", given_name="New", family_name="Person")
    ops.user_add(email=f"renamed@{D}")
    ops.user_add(email=f"field@{D}")
    ops.user_add(email=f"susp@{D}")
    ops.user_add(email=f"gone@{D}")
    ops.group_add(email=f"team@{D}", name="Team")
    ops.group_add(email=f"sub@{D}", name="Sub")
    connected.sync()
    assert connected.person(f"new.person@{D}").first_name == "New"

    ops.user_rename(email=f"renamed@{D}", new_email=f"renamed2@{D}")
    ops.user_update(email=f"field@{D}", title="CTO", department="Tech", org_unit_path="/Sales")
    ops.user_suspend(email=f"susp@{D}")
    ops.user_delete(email=f"gone@{D}")
    ops.user_make_admin(email=f"field@{D}")
    ops.group_rename(email=f"team@{D}", name="The Team")
    ops.member_add(group_email=f"team@{D}", member_email=f"field@{D}", role="OWNER")
    ops.member_add(group_email=f"team@{D}", member_email=f"sub@{D}")
    ops.member_add(group_email=f"sub@{D}", member_email=f"susp@{D}")
    ops.member_add(group_email=f"team@{D}", member_email="partner@elsewhere.example")
    renamed_pk = connected.person(f"renamed@{D}").pk
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message

    renamed = User.objects.get(pk=renamed_pk)
    assert renamed.email == f"renamed2@{D}"
    assert f"renamed@{D}" in renamed.aliases
    update = connected.changes(run, Kind.UPDATE).get(object_repr=f"renamed2@{D}")
    assert update.diff["email"] == [f"renamed@{D}", f"renamed2@{D}"]

    field = connected.person(f"field@{D}")
    assert (field.title, field.department, field.org_unit_path) == ("CTO", "Tech", "/Sales")
    assert field.google_is_admin is True
    assert field.role == User.Role.MEMBER  # Hearth role is Hearth's
    diff = connected.changes(run, Kind.UPDATE).get(object_repr=f"field@{D}").diff
    assert diff["title"] == ["", "CTO"]
    assert diff["google_is_admin"] == [False, True]

    suspended = connected.person(f"susp@{D}")
    assert suspended.status == User.Status.DEACTIVATED
    assert connected.changes(run, Kind.DEACTIVATE).get().object_repr == f"susp@{D}"
    gone = User.objects.get(organization=connected.organization, email=f"gone@{D}")
    assert gone.status == User.Status.ARCHIVED
    assert connected.changes(run, Kind.ARCHIVE).get().object_repr == f"gone@{D}"

    team = Group.objects.get(email=f"team@{D}")
    assert team.name == "The Team"
    assert connected.changes(run, Kind.GROUP_UPDATE).get().diff["name"] == ["Team", "The Team"]
    members = {m.member_email: m for m in team.memberships.all()}
    assert members[f"field@{D}"].role == "owner"
    assert members["partner@elsewhere.example"].member_type == "external"
    assert not User.objects.filter(email="partner@elsewhere.example").exists()
    assert members[f"sub@{D}"].member_type == "group"
    # nested: susp (a member of sub) is an inherited member of team
    assert members[f"susp@{D}"].direct is False
    adds = set(connected.changes(run, Kind.MEMBER_ADD).values_list("object_repr", flat=True))
    assert f"field@{D} in team@{D}" in adds
    assert f"partner@elsewhere.example in team@{D}" in adds

    # next: unsuspend, undelete, member remove, group delete, admin revoked
    ops.user_unsuspend(email=f"susp@{D}")
    ops.user_undelete(email=f"gone@{D}")
    ops.member_remove(group_email=f"team@{D}", member_email=f"field@{D}")
    ops.group_delete(email=f"sub@{D}")
    ops.user_revoke_admin(email=f"field@{D}")
    run = connected.sync()
    assert connected.person(f"susp@{D}").status == User.Status.ACTIVE
    assert User.objects.get(pk=gone.pk).status == User.Status.ACTIVE
    assert set(connected.changes(run, Kind.RESTORE).values_list("object_repr", flat=True)) == {
        f"susp@{D}",
        f"gone@{D}",
    }
    assert connected.changes(run, Kind.GROUP_DELETE).get().object_repr == f"sub@{D}"
    assert not Group.objects.filter(email=f"sub@{D}").exists()
    removed = set(connected.changes(run, Kind.MEMBER_REMOVE).values_list("object_repr", flat=True))
    assert any(r.endswith(f"in team@{D}") for r in removed)
    assert not team.memberships.filter(member_email=f"field@{D}").exists()
    # susp was inherited through sub only: gone with sub
    assert not team.memberships.filter(member_email=f"susp@{D}").exists()
    assert connected.person(f"field@{D}").google_is_admin is False


def test_an_address_reused_after_a_deletion_is_a_new_person(connected):
    ops = connected.ops
    ops.user_add(email=f"jane@{D}", given_name="Jane", family_name="Old")
    connected.sync()
    old = connected.person(f"jane@{D}")
    ops.user_delete(email=f"jane@{D}")
    ops.user_add(email=f"jane@{D}", given_name="Jane", family_name="New")
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    old.refresh_from_db()
    assert old.status == User.Status.ARCHIVED
    new = connected.person(f"jane@{D}")
    assert new.pk != old.pk
    assert new.last_name == "New"
    assert new.google_id != old.google_id
    assert connected.changes(run, Kind.CREATE).get().object_repr == f"jane@{D}"


def test_dry_run_writes_nothing_but_the_run(connected):
    counts_before = (
        User.objects.count(),
        Group.objects.count(),
        GroupMembership.objects.count(),
    )
    run = connected.sync(mode=SyncRun.Mode.DRY_RUN)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts["create"] == 11
    assert not SyncChange.objects.exists()
    assert counts_before == (
        User.objects.count(),
        Group.objects.count(),
        GroupMembership.objects.count(),
    )
    assert connected.person(f"admin@{D}").google_id is None


def test_a_resync_with_nothing_changed_writes_no_rows(connected):
    connected.sync()
    with CaptureQueriesContext(connection) as queries:
        run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts == {}
    tables = ("usermanagement_user", "usermanagement_group", "usermanagement_groupmembership")
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
        and any(f'"{table}"' in q["sql"] for table in tables)
    ]
    assert writes == []


def test_people_in_many_groups_keep_every_membership_past_the_lookup_cap(
    connected, monkeypatch
):
    """At 100,000 people each re-sync deleted and re-added ~600 memberships: once the member
    lookup map passed its cap it was emptied after the batch's missing ids were chosen, so the
    people it already knew looked unknown and their memberships were dropped."""
    monkeypatch.setattr(engine, "MEMBERS_BATCH", 1)  # one group's members per lookup
    monkeypatch.setattr(apply, "MEMBER_LOOKUP_KEPT", 2)
    groups = list(connected.sandbox.domain(D).groups.order_by("email"))
    everywhere = f"member.everywhere@{D}"
    connected.ops.user_add(email=everywhere)
    for group in groups:
        connected.ops.member_add(group_email=group.email, member_email=everywhere)

    first = connected.sync()
    again = connected.sync()

    assert first.status == again.status == SyncRun.Status.SUCCEEDED
    person = connected.person(everywhere)
    assert GroupMembership.objects.filter(user=person).count() == len(groups)
    assert again.counts == {}


def test_the_sync_account_follows_its_rename(connected):
    connected.sync()
    connected.ops.user_rename(email=f"admin@{D}", new_email=f"boss@{D}")
    connected.sync()
    assert connected.integration.sync_account.email == f"boss@{D}"
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message


def test_scope_excluded_org_unit_leaves(connected):
    connected.sync()
    connected.ops.user_add(email=f"seller@{D}", org_unit_path="/Sales/East")
    connected.sync()
    from integrations import services

    services.integration_settings_update(
        organization=connected.organization, acting_user=None, org_units_excluded=["/Sales"]
    )
    run = connected.sync()
    seller = User.objects.get(organization=connected.organization, email=f"seller@{D}")
    assert seller.status == User.Status.ARCHIVED
    assert f"seller@{D}" in set(
        connected.changes(run, Kind.ARCHIVE).values_list("object_repr", flat=True)
    )


def test_the_last_admin_is_never_deactivated(connected):
    connected.sync()
    connected.ops.user_add(email=f"admin9@{D}", is_admin=True)
    connected.sync()
    connected.ops.user_suspend(email=f"admin@{D}")
    # the sync account must still work: use another Google admin as sync account
    from integrations.models import Integration

    Integration.objects.filter(pk=connected.integration.pk).update(
        sync_account=connected.person(f"admin9@{D}")
    )
    run = connected.sync()
    admin = connected.person(f"admin@{D}")
    assert admin.status == User.Status.ACTIVE
    assert admin.google_state == "suspended"
    kept = connected.changes(run, Kind.KEPT).get()
    assert "last Hearth admin" in kept.diff["reason"]
    again = connected.sync()
    assert again.counts == {}
