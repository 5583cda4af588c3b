"""User Management pages over HTTP (Django's client): access rules, groups, licenses, admins,
G Suite settings, and the isolation of organizations."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from integrations.models import Integration, SyncChange, SyncRun
from licenses import services as seats
from licenses.models import PersonLicense
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import Group, GroupMembership, User

pytestmark = pytest.mark.django_db

PAGES = [
    "usermanagement:group_list",
    "usermanagement:licenses",
    "usermanagement:admins",
    "usermanagement:gsuite_settings",
    "usermanagement:sync_history",
]


@pytest.fixture
def admin():
    return AdminFactory(organization=OrganizationFactory(seats_purchased=3))


@pytest.fixture
def active(admin):
    return Integration.objects.create(
        organization=admin.organization,
        state=Integration.State.ACTIVE,
        sync_account=admin,
        domain=admin.organization.primary_domain,
    )


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_for_admins_only(client, admin, name):
    member = UserFactory(organization=admin.organization)
    client.force_login(member)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(admin)
    assert client.get(reverse(name)).status_code == 200


def test_group_pages_show_members_direct_and_inherited(client, admin):
    org = admin.organization
    group = Group.objects.create(
        organization=org, google_id="g1", email="team@x.example", name="Team"
    )
    direct, inherited = UserFactory.create_batch(2, organization=org)
    GroupMembership.objects.create(
        organization=org,
        group=group,
        member_type="user",
        member_google_id="1",
        user=direct,
        role="owner",
    )
    GroupMembership.objects.create(
        organization=org,
        group=group,
        member_type="user",
        member_google_id="2",
        user=inherited,
        direct=False,
    )
    GroupMembership.objects.create(
        organization=org,
        group=group,
        member_type="external",
        member_google_id="3",
        member_email="partner@elsewhere.example",
    )
    client.force_login(admin)
    listing = client.get(reverse("usermanagement:group_list")).content.decode()
    assert "Team" in listing
    page = client.get(reverse("usermanagement:group_detail", args=[group.pk])).content.decode()
    assert direct.email in page and inherited.email in page and "partner@elsewhere.example" in page
    assert "Owner" in page and "Inherited" in page
    only_inherited = client.get(
        reverse("usermanagement:group_detail", args=[group.pk]), {"kind": "inherited"}
    ).content.decode()
    assert inherited.email in only_inherited and direct.email not in only_inherited
    other = Group.objects.create(organization=OrganizationFactory(), google_id="g", email="o@o.o")
    assert client.get(reverse("usermanagement:group_detail", args=[other.pk])).status_code == 404


def test_assign_and_unassign_with_a_clear_message_when_seats_run_out(client, admin):
    org = admin.organization
    seats.license_policy_update(
        organization=org,
        acting_user=admin,
        auto_assign=False,
        auto_assign_org_units=[],
        release_after_days=0,
    )
    people = UserFactory.create_batch(4, organization=org)
    client.force_login(admin)
    url = reverse("usermanagement:license_assign")
    # the admin already holds a seat (admins always do while seats remain)
    response = client.post(url, {"person": [admin.pk, people[0].pk]}, follow=True)
    assert "Seat assigned to 1 person." in response.content.decode()
    response = client.post(url, {"person": [p.pk for p in people[1:]]}, follow=True)
    assert "only 1 seat is free" in response.content.decode()
    assert PersonLicense.objects.filter(organization=org, state="licensed").count() == 2
    unassign = reverse("usermanagement:license_unassign")
    # a second thought first: who loses their seat, and nothing changes yet
    asked = client.post(unassign, {"person": [people[0].pk]}).content.decode()
    assert "Unassign seats?" in asked and "1 person will lose their seat" in asked
    assert people[0].email in asked and 'name="confirmed" value="yes"' in asked
    assert PersonLicense.objects.filter(person=people[0], state="licensed").exists()
    response = client.post(
        unassign, {"person": [people[0].pk], "confirmed": "yes"}, follow=True
    )
    assert "Seat unassigned from 1 person." in response.content.decode()
    assert AuditEvent.objects.filter(action="license.unassigned", acting_user=admin).count() == 1
    # another organization's person is ignored, not assigned
    stranger = UserFactory(organization=OrganizationFactory())
    client.post(url, {"person": [stranger.pk]})
    assert not PersonLicense.objects.filter(person=stranger).exists()


def test_admins_make_revoke_invite_and_keep_one(client, admin, mailoutbox):
    org = admin.organization
    member = UserFactory(organization=org)
    client.force_login(admin)
    url = reverse("usermanagement:admins")
    client.post(url, {"email": member.email})
    member.refresh_from_db()
    assert member.role == User.Role.ADMIN
    response = client.post(url, {"email": "new.colleague@" + org.primary_domain}, follow=True)
    assert "Invitation sent to new.colleague@" in response.content.decode()
    revoke = reverse("usermanagement:admin_revoke", args=[member.pk])
    asked = client.post(revoke).content.decode()
    assert "Revoke Hearth admin?" in asked and member.email in asked
    member.refresh_from_db()
    assert member.role == User.Role.ADMIN  # not before it is confirmed
    client.post(revoke, {"confirmed": "yes"})
    member.refresh_from_db()
    assert member.role == User.Role.MEMBER
    response = client.post(
        reverse("usermanagement:admin_revoke", args=[admin.pk]), {"confirmed": "yes"}, follow=True
    )
    assert "last Hearth admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == User.Role.ADMIN


def test_settings_page_sync_all_users_once_a_day(
    client, admin, active, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    page = client.get(reverse("usermanagement:gsuite_settings")).content.decode()
    assert "Sync All Users" in page and "Change sync account?" in page
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("usermanagement:sync_all_users"))
    run = SyncRun.objects.get(organization=admin.organization, trigger="sync-all")
    page = client.get(reverse("usermanagement:gsuite_settings")).content.decode()
    assert "Available again at" in page
    assert reverse("usermanagement:sync_run_progress", args=[run.pk]) in page
    response = client.post(reverse("usermanagement:sync_all_users"), follow=True)
    assert "once a day" in response.content.decode()
    assert SyncRun.objects.filter(trigger="sync-all").count() == 1
    progress = client.get(reverse("usermanagement:sync_run_progress", args=[run.pk]))
    assert b'hx-trigger="every 1s"' in progress.content


def test_held_plan_lists_who_would_be_removed_and_can_be_rejected(client, admin, active):
    org = admin.organization
    victims = UserFactory.create_batch(3, organization=org, google_id=None)
    run = SyncRun.objects.create(
        organization=org,
        trigger="schedule",
        status="held",
        review="pending",
        held_removals=[
            {"type": "user", "pk": v.pk, "kind": "archive", "state": "missing"} for v in victims
        ],
    )
    SyncChange.objects.bulk_create(
        SyncChange(
            run=run,
            kind="archive",
            object_type="user",
            object_id=str(v.pk),
            object_repr=v.email,
            applied=False,
            diff={"google_state": ["active", "missing"]},
        )
        for v in victims
    )
    client.force_login(admin)
    review_url = reverse("usermanagement:sync_plan_review", args=[run.pk])
    # the settings page and the history lead to the review page
    for url in (reverse("usermanagement:gsuite_settings"), reverse("usermanagement:sync_history")):
        assert review_url in client.get(url).content.decode()
    page = client.get(review_url).content.decode()
    for victim in victims:
        assert victim.email in page
    assert "No longer in G Suite, or outside the sync scope" in page  # the reason, in words
    assert "Approve: remove 3 people" in page and "Reject: keep 3 people" in page
    # Reject asks first, stating the count; nothing is decided before the confirmation
    asked = client.post(reverse("usermanagement:sync_plan_reject", args=[run.pk])).content
    assert "Rejecting keeps 3 people" in asked.decode()
    run.refresh_from_db()
    assert run.review == SyncRun.Review.PENDING
    client.post(reverse("usermanagement:sync_plan_reject", args=[run.pk]), {"confirmed": "yes"})
    run.refresh_from_db()
    assert (run.review, run.reviewed_by) == (SyncRun.Review.REJECTED, admin)
    assert User.objects.filter(pk__in=[v.pk for v in victims], status="active").count() == 3


def test_safety_threshold_is_saved_and_an_empty_field_restores_the_default_rule(
    client, admin, active
):
    client.force_login(admin)
    url = reverse("usermanagement:gsuite_safety")

    client.post(url, {"deactivation_threshold": "25"})
    active.refresh_from_db()
    assert active.deactivation_threshold == 25

    page = client.post(url, {"deactivation_threshold": ""}, follow=True).content.decode()
    active.refresh_from_db()
    assert active.deactivation_threshold is None
    assert "set back to the default rule" in page
    changes = AuditEvent.objects.filter(action="integration.settings_changed").order_by("pk")
    assert [e.details["changes"]["deactivation_threshold"] for e in changes] == [
        [None, 25],
        [25, None],
    ]

    for wrong in ("0", "-3", "1.5", "ten", "99999999999999999999", "1000001"):
        response = client.post(url, {"deactivation_threshold": wrong})
        # refused next to the field, in words, with the limits; nothing lost, nothing crashed
        assert response.status_code == 400, wrong
        page = response.content.decode()
        assert "Enter a whole number of people from 1 to 1,000,000" in page, wrong
        active.refresh_from_db()
        assert active.deactivation_threshold is None
