"""Issue 16 — the admin's experience, over HTTP against a connected organization whose Google is
the sandbox (real syncs through the engine): what each page says, and when.

One test (or a few) per numbered problem of the issue: 2. a dry run is labelled and does not
move the schedule; 3. held-plan review — its own page, reasons, approve / reject with a
confirmation stating the count, nobody's history claiming what did not happen, "kept against G
Suite" and its release; 4. bad input refused in words; 5. no technical text (raw token errors,
field names, ISO times); 6. confirmations and the sync-account warnings; 7. the smaller ones
(schedule shown, group counts, names with bidi controls, CSV export, change sync account while
active).
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from integrations import services
from integrations.models import Integration, SyncChange, SyncRun
from integrations.sync.runs import sync_run_now
from integrations.tasks import sync_next_at
from licenses.models import PersonLicense
from notifications.delivery import email_log_deliver
from notifications.models import EmailLog
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import Group, GroupMembership, User

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "acme.example"
RLO = "\u202e"


class Acme:
    def __init__(self, sandbox, organization, admin):
        self.sandbox, self.organization, self.admin = sandbox, organization, admin

    @property
    def ops(self):
        return self.sandbox.ops

    def sync(self, **kwargs) -> SyncRun:
        kwargs.setdefault("trigger", SyncRun.Trigger.SCHEDULE)
        run = sync_run_now(organization=self.organization, **kwargs)
        assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.HELD), run.error_message
        return run

    def person(self, email: str) -> User:
        return User.objects.exclude(status=User.Status.ARCHIVED).get(
            organization=self.organization, email=email
        )


@pytest.fixture
def acme(google_sandbox, client) -> Acme:
    google_sandbox.seed(DOMAIN, users=30, groups=2, members_per_group=5, admins=1)
    organization = OrganizationFactory(name="Acme", primary_domain=DOMAIN, seats_purchased=100)
    admin = AdminFactory(
        organization=organization, email=f"admin@{DOMAIN}", first_name="Ada", last_name="Admin"
    )
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    SyncRun.objects.filter(organization=organization).delete()  # the wizard's queued first sync
    acme = Acme(google_sandbox, organization, admin)
    acme.sync()
    client.force_login(admin)
    return acme


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def held_plan(acme: Acme, count: int = 12) -> tuple[SyncRun, list[str]]:
    """`count` people deleted in G Suite at once: more than the threshold (10), held."""
    emails = [f"leaver{n}@{DOMAIN}" for n in range(count)]
    for email in emails:
        acme.ops.user_add(email=email)
    acme.sync()
    for email in emails:
        acme.ops.user_delete(email=email)
    run = acme.sync()
    assert run.status == SyncRun.Status.HELD
    return run, emails


# --- 2. a dry run is labelled, and it does not move the schedule ---------------------------------


def test_a_dry_run_is_labelled_everywhere_and_leaves_the_schedule_alone(client, acme):
    acme.ops.user_add(email=f"newcomer@{DOMAIN}")
    integration = Integration.objects.get(organization=acme.organization)
    next_before = sync_next_at(integration=integration)
    dry = acme.sync(trigger=SyncRun.Trigger.COMMAND, mode=SyncRun.Mode.DRY_RUN)
    assert dry.counts.get("create") == 1
    assert not User.objects.filter(email=f"newcomer@{DOMAIN}").exists()  # nothing changed

    history = page(client, reverse("usermanagement:sync_history"))
    row = re.search(r'<tr data-mode="dry-run">.*?</tr>', history, re.S).group(0)
    assert "Dry run" in row and "Nothing changed" in row and "Would have made:" in row
    assert "Started from the command line" in row
    # the scheduled syncs say what they are too
    assert re.search(r'<tr data-mode="full">.*?Full sync.*?Scheduled', history, re.S)

    detail = page(client, reverse("usermanagement:sync_run", args=[dry.pk]))
    assert "Dry run of" in detail
    assert "A dry run changes nothing." in detail and "Would have made" in detail
    assert "0 changes" not in detail

    # the next scheduled sync is still counted from the last real one
    assert sync_next_at(integration=integration) == next_before
    card = page(client, reverse("integrations:home"))
    assert "A full sync every 15 minutes" in card


# --- 3. held-plan review -------------------------------------------------------------------------


def test_held_plan_is_reviewed_on_its_own_page_reached_from_everywhere(client, acme):
    run, emails = held_plan(acme)
    review_url = reverse("usermanagement:sync_plan_review", args=[run.pk])
    reviews_url = reverse("usermanagement:sync_reviews")
    # the card, the settings page, the run's page and the email all lead there
    assert reviews_url in page(client, reverse("integrations:home"))
    assert review_url in page(client, reverse("usermanagement:gsuite_settings"))
    assert review_url in page(client, reverse("usermanagement:sync_run", args=[run.pk]))
    (email,) = EmailLog.objects.filter(template="sync_held")
    assert review_url in email.body_text

    # the history does not count the held removals as done
    history = page(client, reverse("usermanagement:sync_history"))
    assert "Archival held for review 12" in history and "Archived 12" not in history
    review = page(client, review_url)
    assert "Waiting for your review" in review
    for address in emails:
        assert address in review
    assert review.count("Deleted in G Suite") == len(emails)  # each removal with its reason
    assert "Approve: remove 12 people" in review
    # the run's own page does not list a pile of empty "Updated" rows
    detail = page(client, reverse("usermanagement:sync_run", args=[run.pk]))
    assert "Archival held for review" in detail
    assert not re.search(
        r"<td>Updated</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td>\s*"
        r'<td class="small"></td>',
        detail,
    )


def test_approving_asks_first_with_the_count_then_removes(client, acme):
    run, emails = held_plan(acme)
    approve = reverse("usermanagement:sync_plan_approve", args=[run.pk])
    asked = client.post(approve)
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Approve the removals?" in text and "removes 12 people" in text
    assert "Approve: remove 12 people" in text
    assert User.objects.filter(email__in=emails, status=User.Status.ARCHIVED).count() == 0

    client.post(approve, {"confirmed": "yes"})
    assert User.objects.filter(email__in=emails, status=User.Status.ARCHIVED).count() == 12
    run.refresh_from_db()
    assert (run.review, run.reviewed_by) == (SyncRun.Review.APPROVED, acme.admin)
    leaver = User.objects.get(email=emails[0])
    history = page(client, reverse("person_detail", args=[leaver.pk]))
    assert "Archived" in history and "Deleted in G Suite" in history


def test_rejecting_keeps_them_without_claiming_otherwise_and_they_can_be_released(client, acme):
    run, emails = held_plan(acme)
    reject = reverse("usermanagement:sync_plan_reject", args=[run.pk])
    assert "Rejecting keeps 12 people" in client.post(reject).content.decode()
    client.post(reject, {"confirmed": "yes"})
    run.refresh_from_db()
    assert run.review == SyncRun.Review.REJECTED
    kept = User.objects.get(email=emails[0])
    assert kept.status == User.Status.ACTIVE

    # nobody's history claims a change that did not happen
    history = page(client, reverse("person_detail", args=[kept.pk]))
    person_history = history[history.index('data-testid="person-history"') :]
    assert "Archival rejected — kept" in person_history
    assert ">Archived<" not in person_history
    assert "Proposed, not applied" in person_history
    history = page(client, reverse("usermanagement:sync_history"))
    assert "Archival rejected 12" in history and "Archived 12" not in history

    # "kept against G Suite", and the next syncs do not propose them again
    assert acme.sync().status == SyncRun.Status.SUCCEEDED
    reviews = page(client, reverse("usermanagement:sync_reviews"))
    kept_table = reviews[reviews.index('data-testid="kept-people"') :]
    for address in emails:
        assert address in kept_table
    assert "Deleted in G Suite" in kept_table
    assert "Rejected by" in page(client, reverse("usermanagement:sync_plan_review", args=[run.pk]))

    # revisit: release two of them, after a confirmation that says what happens
    release = reverse("usermanagement:sync_kept_release")
    chosen = list(User.objects.filter(email__in=emails[:2]).values_list("pk", flat=True))
    asked = client.post(release, {"person": chosen}).content.decode()
    assert "Release from the review" in asked and "2 people" in asked
    assert User.objects.filter(pk__in=chosen, status=User.Status.ARCHIVED).count() == 0
    client.post(release, {"person": chosen, "confirmed": "yes"})
    assert User.objects.filter(pk__in=chosen, status=User.Status.ARCHIVED).count() == 2
    assert not PersonLicense.objects.filter(person_id__in=chosen, state="licensed").exists()
    reviews = page(client, reverse("usermanagement:sync_reviews"))
    assert emails[0] not in reviews and emails[2] in reviews


def test_rejected_groups_and_memberships_are_kept_and_released_too(client, acme):
    group = Group.objects.filter(organization=acme.organization).first()
    membership = GroupMembership.objects.filter(group__organization=acme.organization).first()
    Group.objects.filter(pk=group.pk).update(kept_since=timezone.now())
    GroupMembership.objects.filter(pk=membership.pk).update(kept_since=timezone.now())
    reviews = page(client, reverse("usermanagement:sync_reviews"))
    assert group.email in reviews and "kept since" in reviews
    client.post(
        reverse("usermanagement:sync_kept_release"),
        {"group": [group.pk], "confirmed": "yes"},
    )
    assert not Group.objects.filter(pk=group.pk).exists()


# --- 4. bad input is refused in words --------------------------------------------------------


def test_auto_license_org_units_are_checked_against_the_directory(client, acme):
    acme.ops.user_add(email=f"seller@{DOMAIN}", org_unit_path="/Sales")
    url = reverse("usermanagement:gsuite_license_policy")
    form = {"auto_assign": "on", "release_after_days": "0"}
    response = client.post(url, {**form, "auto_assign_org_units": "/Nope\n/sales"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "/Nope is not an organizational unit of your G Suite." in text
    assert "/sales is not an organizational unit of your G Suite. Did you mean /Sales?" in text
    response = client.post(url, {**form, "auto_assign_org_units": "/Sales"}, follow=True)
    assert "Auto-license policy saved." in response.content.decode()


def test_release_days_out_of_bounds_is_said_in_words_next_to_the_field(client, acme):
    url = reverse("usermanagement:gsuite_license_policy")
    for wrong in ("366", "-1", "many", ""):
        response = client.post(url, {"release_after_days": wrong, "auto_assign_org_units": ""})
        text = response.content.decode()
        assert response.status_code == 400
        assert "Enter a number of days from 0 to 365." in text
        assert "* release_after_days" not in text and "Ensure this value" not in text


# --- 5. words a customer understands ---------------------------------------------------------


def test_a_failed_run_shows_the_taxonomy_never_the_raw_error(client, acme):
    acme.ops.set_api_access(domain=DOMAIN, enabled=False)
    run = sync_run_now(organization=acme.organization, trigger=SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.FAILED
    crashed = SyncRun.objects.create(
        organization=acme.organization,
        trigger="schedule",
        status="failed",
        error_class="OperationalError",
        error_message="server closed the connection unexpectedly\nTraceback ...",
    )
    for url in (
        reverse("usermanagement:sync_history"),
        reverse("usermanagement:sync_run", args=[run.pk]),
        reverse("usermanagement:sync_run", args=[crashed.pk]),
        reverse("usermanagement:gsuite_settings"),
    ):
        text = page(client, url)
        assert run.error_message not in text
        assert "Domain cannot use apis" not in text and "Traceback" not in text
        assert "server closed the connection" not in text
    history = page(client, reverse("usermanagement:sync_history"))
    assert "The API access has been disabled in the G Suite Admin Panel settings" in history
    assert "The sync stopped before it finished." in history


def test_history_diffs_use_labels_local_times_and_reasons(client, acme):
    Integration.objects.filter(organization=acme.organization).update(time_zone="Europe/Paris")
    person = (
        acme.person(f"user1@{DOMAIN}")
        if User.objects.filter(email=f"user1@{DOMAIN}").exists()
        else User.objects.filter(organization=acme.organization).exclude(pk=acme.admin.pk).first()
    )
    run = SyncRun.objects.create(organization=acme.organization, trigger="schedule")
    SyncChange.objects.create(
        run=run,
        kind="update",
        object_type="user",
        object_id=str(person.pk),
        object_repr=person.email,
        diff={
            "title": ["", "CTO"],
            "google_last_login_at": ["2026-01-15T08:30:00+00:00", "2026-03-01T12:00:00Z"],
            "google_is_admin": [False, True],
            "notes": ["photo_url: not a usable web address, left out"],
        },
    )
    SyncChange.objects.create(
        run=run, kind="update", object_type="user", object_id=str(person.pk), diff={}
    )
    SyncChange.objects.create(
        run=run,
        kind="deactivate",
        object_type="user",
        object_id=str(person.pk),
        diff={"google_state": ["active", "suspended"], "status": ["active", "deactivated"]},
    )
    for url in (
        reverse("usermanagement:sync_run", args=[run.pk]),
        reverse("person_detail", args=[person.pk]),
    ):
        text = page(client, url)
        assert "Job title" in text and "CTO" in text
        assert "Last Google sign-in" in text
        assert "15 Jan 2026, 09:30" in text  # 08:30 UTC in Paris (winter)
        assert "1 Mar 2026, 13:00" in text
        assert "G Suite admin</span>: No → Yes" in text
        assert "Photo: not a usable web address, left out" in text
        assert "Suspended in G Suite" in text and "Changed in G Suite" in text
        assert "Status</span>: Active → Deactivated" in text
        for technical in ("google_last_login_at", "google_is_admin", "2026-01-15T", "<code>"):
            assert technical not in text
    # no empty rows: the update that changed nothing is not listed
    changes = page(client, reverse("usermanagement:sync_run", args=[run.pk]))
    assert "2 changes" in changes


def test_the_invitation_email_names_the_inviter_once(client, acme):
    nameless = AdminFactory(organization=acme.organization, first_name="", last_name="")
    client.force_login(nameless)
    client.post(reverse("usermanagement:admins"), {"email": f"new.one@{DOMAIN}"})
    log = EmailLog.objects.get(template="admin_invitation")
    assert f"{nameless.email} ({nameless.email})" not in log.body_text
    assert f"{nameless.email} invited you" in log.body_text


# --- 6. a second thought before destructive actions -------------------------------------------


def test_revoking_the_sync_accounts_admin_rights_warns_first(client, acme):
    second = AdminFactory(organization=acme.organization, email=f"second@{DOMAIN}")
    client.force_login(second)
    revoke = reverse("usermanagement:admin_revoke", args=[acme.admin.pk])
    asked = client.post(revoke).content.decode()
    assert "is the G Suite sync account" in asked and "change the sync account first" in asked
    acme.admin.refresh_from_db()
    assert acme.admin.role == User.Role.ADMIN
    # the person's page says so before anyone clicks
    assert "G Suite sync account" in page(client, reverse("person_detail", args=[acme.admin.pk]))
    client.post(revoke, {"confirmed": "yes"})
    acme.admin.refresh_from_db()
    assert acme.admin.role == User.Role.MEMBER


def test_unassigning_the_sync_accounts_seat_warns_first(client, acme):
    unassign = reverse("usermanagement:license_unassign")
    other = User.objects.filter(organization=acme.organization).exclude(pk=acme.admin.pk).first()
    second = AdminFactory(organization=acme.organization)
    client.force_login(second)
    asked = client.post(unassign, {"person": [acme.admin.pk, other.pk]}).content.decode()
    assert "2 people will lose their seat" in asked
    acme.admin.refresh_from_db()  # named as G Suite names them
    assert f"{acme.admin.display_name} is the G Suite sync account" in asked
    assert PersonLicense.objects.filter(person=acme.admin, state="licensed").exists()


def test_disconnect_asks_first(client, acme):
    url = reverse("integrations:disconnect")
    assert "Disconnect G Suite?" in page(client, url)
    assert Integration.objects.get(organization=acme.organization).state == "active"


# --- 7. the smaller ones ---------------------------------------------------------------------


def test_the_schedule_is_shown_on_the_card_and_the_settings_page(client, acme):
    Integration.objects.filter(organization=acme.organization).update(
        sync_interval_minutes=30, time_zone="Asia/Tokyo"
    )
    last = SyncRun.objects.filter(organization=acme.organization).latest("created_at")
    expected = timezone.localtime(
        last.created_at + timedelta(minutes=30),
        timezone=ZoneInfo("Asia/Tokyo"),
    )
    for url in (reverse("integrations:home"), reverse("usermanagement:gsuite_settings")):
        text = page(client, url)
        assert "A full sync every 30 minutes" in text
        assert f"next at {expected:%H:%M}" in text


def test_group_counts_agree_on_every_page(client, acme):
    group = Group.objects.filter(organization=acme.organization).first()
    GroupMembership.objects.create(
        organization=acme.organization,
        group=group,
        member_type="external",
        member_google_id="ext-1",
        member_email="partner@elsewhere.example",
    )
    people = GroupMembership.objects.filter(group=group, member_type="user").count()
    group_list = page(client, reverse("usermanagement:group_list"))
    row = re.search(
        rf"{re.escape(group.email)}</td>\s*<td class=\"text-end\">(\d+)</td>", group_list
    )
    assert int(row.group(1)) == people
    detail = page(client, reverse("usermanagement:group_detail", args=[group.pk]))
    assert f"{people} people" in detail
    licenses = page(client, reverse("usermanagement:licenses"))
    assert f"({people} people)" in licenses


def test_names_with_bidi_controls_are_shown_isolated_and_mailed_clean(client, acme):
    evil = AdminFactory(organization=acme.organization, first_name=f"{RLO}evil", last_name="Name")
    evil.refresh_from_db()
    assert evil.first_name == f"{RLO}evil"  # stored as received
    assert evil.display_name == "evil Name"
    services.integration_sync_account_ask(
        organization=acme.organization, colleague=acme.admin, acting_user=evil
    )
    log = EmailLog.objects.get(template="sync_account_request")
    assert RLO not in log.subject and RLO not in log.body_text and RLO not in log.body_html
    assert "evil Name asked you" in log.subject
    people = page(client, reverse("person_detail", args=[evil.pk]))
    assert RLO not in people and "<bdi>evil Name</bdi>" in people


def test_a_people_row_shows_each_field_escaped_isolated_and_in_the_organizations_zone(client, acme):
    Integration.objects.filter(organization=acme.organization).update(time_zone="Asia/Tokyo")
    person = User.objects.filter(organization=acme.organization).exclude(pk=acme.admin.pk)[0]
    User.objects.filter(pk=person.pk).update(
        first_name=f"{RLO}<b>Bo</b>",
        last_name="O'Hara & Co",
        org_unit_path="/R&D",
        status=User.Status.DEACTIVATED,
        google_is_admin=True,
        google_last_login_at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC),  # 2 Mar in Tokyo
    )
    invited = UserFactory(organization=acme.organization, first_name="", last_name="")
    html = page(client, reverse("person_list"), status="all")
    row = re.search(rf"<tr>(?:(?!</tr>).)*value=\"{person.pk}\".*?</tr>", html, re.S).group(0)
    assert RLO not in row and "<b>" not in row
    assert f'<a href="{reverse("person_detail", args=[person.pk])}">' in row
    assert "<bdi>&lt;b&gt;Bo&lt;/b&gt; O&#x27;Hara &amp; Co</bdi>" in row
    assert "<td>/R&amp;D</td>" in row
    assert '<span class="badge text-bg-warning">Deactivated</span>' in row
    detail = page(client, reverse("person_detail", args=[person.pk]))
    assert '<span class="badge fs-6 text-bg-warning">Deactivated</span>' in detail  # larger
    assert "G Suite admin" in row and "2 Mar 2026" in row
    assert "Invited" not in row  # from Google
    other = re.search(rf"<tr>(?:(?!</tr>).)*value=\"{invited.pk}\".*?</tr>", html, re.S).group(0)
    assert "<bdi>—</bdi>" in other and "Signed up or invited, not from Google" in other
    assert "G Suite admin" not in other and f'aria-label="Select {invited.email}"' in other
    # the rows a filter fetches (htmx) are the same rows
    fragment = client.get(reverse("person_list"), {"status": "all"}, headers={"HX-Request": "true"})
    assert row in fragment.content.decode()


def test_people_export_is_streamed_csv_of_the_current_filter(client, acme):
    person = User.objects.filter(organization=acme.organization).exclude(pk=acme.admin.pk)[0]
    User.objects.filter(pk=person.pk).update(first_name="=HYPERLINK(1)", last_name="Doe")
    response = client.get(reverse("person_export"), {"q": "doe"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Name", "Email", "Org unit"]
    assert len(rows) == 2 and rows[1][1] == person.email
    assert rows[1][0].startswith("'=")  # never a formula in a spreadsheet
    everyone = b"".join(client.get(reverse("person_export")).streaming_content).decode()
    assert (
        len(list(csv.reader(io.StringIO(everyone))))
        == 1
        + User.objects.filter(organization=acme.organization)
        .exclude(status=User.Status.ARCHIVED)
        .count()
    )
    # the People page links to the export with its filter
    assert reverse("person_export") + "?q=doe" in page(client, reverse("person_list"), q="doe")
    client.force_login(UserFactory(organization=acme.organization))
    assert client.get(reverse("person_export")).status_code == 403


def test_change_sync_account_while_active_can_ask_a_colleague(client, acme):
    colleague = AdminFactory(
        organization=acme.organization, email=f"grace@{DOMAIN}", first_name="Grace"
    )
    text = page(client, reverse("usermanagement:gsuite_sync_account"))
    assert "Use my account" in text and "Ask a colleague" in text and colleague.email in text
    # the wizard's *Change sync account?* leads here while the sync runs
    assert client.get(reverse("integrations:change"))["Location"] == reverse(
        "usermanagement:gsuite_sync_account"
    )
    response = client.post(
        reverse("usermanagement:gsuite_sync_account_ask"), {"colleague": colleague.pk}, follow=True
    )
    assert "Request sent to Grace" in response.content.decode()
    log = EmailLog.objects.get(template="sync_account_request")
    assert log.recipient == colleague.email
    assert reverse("usermanagement:gsuite_sync_account") in log.body_text
    email_log_deliver(email_log_id=log.pk, final_attempt=True)
    assert mail.outbox[-1].to == [colleague.email]
    integration = Integration.objects.get(organization=acme.organization)
    assert (integration.state, integration.sync_account) == ("active", acme.admin)
    refused = client.post(reverse("usermanagement:gsuite_sync_account_ask"), {})
    assert refused.status_code == 400
    assert "Choose the colleague who should become the sync account." in refused.content.decode()
