"""Fault matrix: Google failing as it really does, at seeded, reproducible moments.

A directory of a few thousand people is first synced cleanly; then Google changes (people
join, are suspended, deleted, renamed; members move) and the next run meets errors at random
pages and member listings: 429, 503, timeouts, 403 quotaExceeded and userRateLimitExceeded.
The faulty run must succeed (the client retries what is transient) and reach exactly the state
a fault-free run reaches — checked by turning the faults off and syncing again: that run must
change nothing. No removal is ever wrong. Access revoked or admin rights removed mid-run fail
the run without a single removal, and the run after the fix converges.
"""

import pytest

from integrations.google import client as google_client_module
from integrations.models import SyncChange, SyncRun
from usermanagement.models import Group, GroupMembership, User

D = "acme.example"
REMOVALS = ["archive", "deactivate", "group_delete", "member_remove"]
FAULTS = {
    "429 and 503": {"429": 0.08, "503": 0.08},
    # (each call draws its fault: at 3% a run of ~75 calls met none about one time in eight)
    "timeouts": {"timeout": 0.1},
    "quotaExceeded": {"quotaExceeded": 0.08},
    "userRateLimitExceeded": {"userRateLimitExceeded": 0.08},
    "all at once": {"429": 0.04, "503": 0.04, "quotaExceeded": 0.04, "timeout": 0.01},
}
# How the client tallies each injected kind on the run (SyncRun.api_failures).
TALLIED_AS = {
    "429": "rateLimitExceeded",
    "503": "backendError",
    "timeout": "timeout",
    "quotaExceeded": "quotaExceeded",
    "userRateLimitExceeded": "userRateLimitExceeded",
}


def snapshot(organization):
    people = sorted(
        User.objects.filter(organization=organization).values_list(
            "google_id", "email", "status", "first_name", "last_name", "org_unit_path", "title"
        ),
        key=str,
    )
    groups = sorted(
        Group.objects.filter(organization=organization).values_list("google_id", "name")
    )
    members = sorted(
        GroupMembership.objects.filter(organization=organization).values_list(
            "group__google_id", "member_google_id", "role", "direct"
        )
    )
    return people, groups, members


def google_changes(ops, organization):
    """A day of changes in Google: joiners, leavers, suspensions, renames, moves."""
    people = list(
        User.objects.filter(organization=organization, role=User.Role.MEMBER)
        .order_by("email")
        .values_list("email", flat=True)
    )
    for number in range(15):
        ops.user_add(email=f"joiner{number}@{D}")
    for email in people[:6]:
        ops.user_delete(email=email)
    for email in people[6:12]:
        ops.user_suspend(email=email)
    for email in people[12:18]:
        ops.user_update(email=email, title="Renamed in Google")
    groups = list(Group.objects.filter(organization=organization).values_list("email", flat=True))
    for group_email, member_email in zip(groups[:10], people[30:40], strict=True):
        ops.member_add(group_email=group_email, member_email=member_email)


@pytest.fixture
def large(connected, settings):
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1
    settings.GOOGLE_RETRY_ATTEMPTS = 12
    connected.sandbox.seed(D, users=2500, groups=60, members_per_group=30, admins=1, seed=5)
    connected.ops.faults_set(domain=D, timeout_seconds=2)
    first = connected.sync()
    assert first.status == SyncRun.Status.SUCCEEDED, first.error_message
    return connected


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAULTS))
def test_a_faulty_run_reaches_the_state_of_a_fault_free_run(large, name):
    google_changes(large.ops, large.organization)
    large.ops.faults_set(domain=D, error_rates=FAULTS[name], seed=17)

    faulty = large.sync()

    assert faulty.status == SyncRun.Status.SUCCEEDED, faulty.error_message
    after_faults = snapshot(large.organization)
    large.ops.faults_set(domain=D, error_rates={})
    check = large.sync()
    assert check.status == SyncRun.Status.SUCCEEDED
    # a fault-free run finds nothing left to do: the faulty one reached the same state
    assert check.counts == {}, check.counts
    assert snapshot(large.organization) == after_faults
    injected = {TALLIED_AS[kind] for kind in FAULTS[name]}
    assert injected & set(faulty.api_failures), f"no fault was met: {faulty.api_failures}"
    # and the only removals were Google's own: 6 deleted, 6 suspended
    removed = SyncChange.objects.filter(run=faulty, kind__in=["archive", "deactivate"])
    assert sorted(removed.values_list("kind", flat=True)) == ["archive"] * 6 + ["deactivate"] * 6


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["access revoked", "admin rights removed"])
def test_access_lost_mid_run_removes_nothing_and_the_next_run_converges(large, monkeypatch, cut):
    google_changes(large.ops, large.organization)
    before = snapshot(large.organization)
    original_members = google_client_module.GoogleClient.members

    def members_then_cut(self, group_key):
        # the cut happens while the members are being read, after every users page
        if cut == "access revoked":
            large.ops.set_api_access(domain=D, enabled=False)
        else:
            large.ops.user_revoke_admin(email=large.admin.email)
        return original_members(self, group_key)

    monkeypatch.setattr(google_client_module.GoogleClient, "members", members_then_cut)
    failed = large.sync()

    assert failed.status == SyncRun.Status.FAILED
    assert not SyncChange.objects.filter(run=failed, kind__in=REMOVALS, applied=True).exists()
    people_before = {row[0]: row[2] for row in before[0]}
    people_now = {row[0]: row[2] for row in snapshot(large.organization)[0]}
    assert all(
        people_now[gid] == status for gid, status in people_before.items() if status == "active"
    ), "someone lost access while the run failed"

    monkeypatch.setattr(google_client_module.GoogleClient, "members", original_members)
    large.ops.set_api_access(domain=D, enabled=True)
    large.ops.user_make_admin(email=large.admin.email)
    recovered = large.sync()
    assert recovered.status == SyncRun.Status.SUCCEEDED, recovered.error_message
    assert large.sync().counts == {}


def test_a_spent_daily_quota_fails_the_run_at_once_with_a_clear_note(connected):
    connected.sync()
    connected.ops.faults_set(domain=D, error_rates={"dailyLimitExceeded": 1.0})

    run = connected.sync()

    assert run.status == SyncRun.Status.FAILED
    assert run.error_class == "GoogleDailyLimitReached"
    assert run.api_calls == 1  # not retried
    assert "daily limit" in run.error_message
    assert connected.integration.state == "active"  # nobody has to act: it resumes by itself
