"""The sync against a sandbox as strict as Google: search lag and alias matching, sign-ins that
churn etags, a quota window and a concurrency limit that bind, page tokens that expire,
secondary domains and domain aliases."""

import pytest
from django.db import connection

from googlesandbox.models import AccessToken
from integrations.google.client import GoogleClient
from integrations.models import SyncChange, SyncRun
from organizations.models import ConnectedDomain
from usermanagement.models import GroupMembership, User

D = "acme.example"


def test_search_lag_and_alias_matching_mislead_nobody(connected):
    """Google's search index lags the directory by an hour here and matches aliases: a sync
    that relied on searches would miss the new people and keep the renamed one's old address."""
    connected.ops.faults_set(domain=D, search_lag_seconds=3600, alias_matching=True)
    first = connected.sync()
    assert first.status == SyncRun.Status.SUCCEEDED
    members = list(
        User.objects.filter(organization=connected.organization, role="member")
        .order_by("email")
        .values_list("email", flat=True)
    )
    connected.ops.user_add(email=f"_new.hire@{D}")
    connected.ops.user_add(email=f"zed.new@{D}")
    connected.ops.user_delete(email=members[0])
    connected.ops.user_rename(email=members[1], new_email=f"renamed@{D}")  # old address: alias

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.counts["create"], run.counts["archive"], run.counts["update"]) == (2, 1, 1)
    assert "deactivate" not in run.counts
    people = User.objects.filter(organization=connected.organization)
    assert people.get(email=f"_new.hire@{D}").status == "active"
    assert people.get(email=f"zed.new@{D}").status == "active"
    assert people.get(email=members[0]).status == "archived"
    renamed = people.get(email=f"renamed@{D}")
    assert renamed.status == "active" and members[1] in renamed.aliases
    assert connected.sync().counts == {}


def test_thirty_percent_signing_in_is_not_a_change(connected):
    connected.sandbox.seed(D, users=400, groups=4, members_per_group=10, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    signed_in = connected.sandbox.logins(D, percent=30, seed=4)
    assert len(signed_in) >= 100

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts == {}
    assert not SyncChange.objects.filter(run=run).exists()
    # the new sign-in times are kept, and the new etags: the next run has nothing to refresh
    person = User.objects.get(organization=connected.organization, email=signed_in[0].primary_email)
    # (Google's times are to the millisecond)
    assert person.google_last_login_at == signed_in[0].last_login_time.replace(
        microsecond=signed_in[0].last_login_time.microsecond // 1000 * 1000
    )
    assert person.google_etag == signed_in[0].etag
    again = connected.sync()
    assert again.counts == {} and not SyncChange.objects.filter(run=again).exists()


@pytest.mark.slow
def test_a_quota_bound_sync_finishes_without_an_avoidable_refusal(connected, settings):
    """40 calls a minute and 4 at once: the sync needs ~70 calls, so the window binds."""
    settings.GOOGLE_QUOTA_PER_MINUTE = 40
    connected.sandbox.seed(D, users=300, groups=60, members_per_group=5, admins=1)
    connected.ops.faults_set(domain=D, qpm=40, concurrent_limit=4)

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert run.api_calls > 60
    assert run.duration.total_seconds() > 60  # the window did bind
    # the per-minute quota is never exceeded (Hearth's window is strict), and the concurrency
    # limit — which Google does not announce — costs at most the refusals of finding it
    assert "userRateLimitExceeded" not in run.api_failures
    assert run.api_failures.get("quotaExceeded", 0) <= 2
    assert User.objects.filter(organization=connected.organization).count() == 300


def test_a_page_token_that_expired_mid_listing_restarts_the_listing(connected, monkeypatch):
    connected.sandbox.seed(D, users=1600, groups=2, members_per_group=3, admins=1)
    connected.ops.faults_set(domain=D, page_token_ttl_seconds=600)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    original_pages = GoogleClient.users_pages
    travelled = []

    def pages_with_a_long_pause(self, **kwargs):
        for number, page in enumerate(original_pages(self, **kwargs), start=1):
            yield page
            if number == 2 and not travelled and not kwargs.get("show_deleted"):
                # an hour passes between two pages: the next page's token has expired
                travelled.append(True)
                connected.sandbox.clock_travel(3600)
                connection.close()  # (this runs on the sync's fetching thread)

    monkeypatch.setattr(GoogleClient, "users_pages", pages_with_a_long_pause)
    run = connected.sync()

    assert travelled
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert run.api_failures == {"invalid": 1}
    assert run.counts == {}  # nobody created twice, nobody removed
    assert User.objects.filter(organization=connected.organization).count() == 1600


def test_secondary_domains_and_aliases_sync_like_the_primary_one(connected):
    connected.sandbox.seed(
        D, users=60, groups=6, members_per_group=8, admins=1, secondary_domains=1, domain_aliases=1
    )

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    people = User.objects.filter(organization=connected.organization)
    assert people.count() == 60
    secondary = {email.split("@")[1] for email in people.values_list("email", flat=True)} - {D}
    assert len(secondary) == 1
    # members on the secondary domain are people, never external members
    assert not GroupMembership.objects.filter(
        organization=connected.organization, member_type="external"
    ).exists()
    claimed = dict(
        ConnectedDomain.objects.filter(organization=connected.organization).values_list(
            "domain", "kind"
        )
    )
    assert claimed[D] == "primary"
    assert claimed[secondary.pop()] == "secondary"
    assert "alias" in claimed.values()


def test_runs_of_one_sync_account_share_its_token_until_google_stops_honouring_it(connected):
    """A token serves every run for its hour, as Google means it to: a real-time refresh is one
    users.get, not a token request and a users.get. Removing Hearth from the Marketplace
    voids the token at Google; the next run fails as before, and works again once reinstalled."""
    for _ in range(3):
        assert connected.sync().status == SyncRun.Status.SUCCEEDED
    assert AccessToken.objects.filter(subject_email=f"admin@{D}").count() == 1

    connected.ops.uninstall(domain=D)
    failed = connected.sync()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.error_class == "NotInstalled", failed.error_class

    connected.ops.install(domain=D, delay_seconds=0)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
