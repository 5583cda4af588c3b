"""Wrong source: Google answers, but with the wrong directory — nothing is removed.

An empty directory, a different Workspace customer, a trickle of deletions over several runs
(people, groups and memberships): each is held or refused, and nothing is applied.
"""

from integrations.models import Integration, SyncChange, SyncRun
from usermanagement.models import Group, GroupMembership, User

D = "acme.example"


def state(organization):
    return (
        sorted(User.objects.filter(organization=organization).values_list("pk", "status")),
        sorted(Group.objects.filter(organization=organization).values_list("pk", flat=True)),
        sorted(
            GroupMembership.objects.filter(organization=organization).values_list("pk", flat=True)
        ),
    )


def test_an_empty_directory_removes_nothing(connected):
    connected.sandbox.seed(D, users=80, groups=6, members_per_group=8, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    before = state(connected.organization)

    connected.sandbox.seed(D, users=1, groups=0, admins=1, seed=11)  # only the admin left
    run = connected.sync()

    assert run.status == SyncRun.Status.HELD
    assert state(connected.organization) == before
    assert {entry["type"] for entry in run.held_removals} == {"user", "group"}
    assert not SyncChange.objects.filter(
        run=run, applied=True, kind__in=["archive", "deactivate", "group_delete", "member_remove"]
    ).exists()


def test_another_workspace_is_never_read_as_this_one(connected):
    connected.sandbox.seed(D, users=30, groups=2, members_per_group=4, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    before = state(connected.organization)
    # The integration believes it is connected to another customer than the one the sync
    # account reads (an account moved between Workspaces, a connection made for the wrong one).
    Integration.objects.filter(organization=connected.organization).update(
        google_customer_id="C0therOne"
    )

    run = connected.sync()

    assert run.status == SyncRun.Status.FAILED
    assert run.error_class == "WrongCustomer"
    assert state(connected.organization) == before
    assert connected.integration.state == Integration.State.ERROR
    assert connected.integration.last_error_headline.startswith("The sync account now belongs")


def test_groups_and_memberships_trickled_away_are_held_within_a_day(connected):
    connected.sandbox.seed(D, users=60, groups=40, members_per_group=5, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    groups = list(
        Group.objects.filter(organization=connected.organization)
        .order_by("email")
        .values_list("email", flat=True)
    )
    statuses = []
    for round_ in range(5):
        for email in groups[round_ * 4 : round_ * 4 + 4]:
            connected.ops.group_delete(email=email)
        statuses.append(connected.sync().status)

    deleted = 40 - Group.objects.filter(organization=connected.organization).count()
    # 20% of groups or 10, whichever is higher, per rolling day
    assert deleted <= 10
    assert SyncRun.Status.HELD in statuses
