"""User Management in a real browser (Playwright + Debian Chromium) against the Google sandbox.

Hearth runs on pytest-django's live server, the sandbox on its own; Acme is connected and
synced through the real engine. Covered: Sync All Users with its live progress bar and the
second click refused within 24 hours; the scope preview; approving a held plan; Sign in with
Google for a synced person and the explanation for one without a seat; seats assigned and
unassigned one by one and in bulk, "no seats left", and the waiting line filling freed seats in
order. Screenshots: test-artifacts/um-*.png.
"""

import re
import threading

import pytest
from django.db import connection

from integrations import services
from integrations.models import SyncRun
from integrations.sync.runs import sync_run_execute, sync_run_now
from licenses.models import PersonLicense
from tests.conftest import screenshot
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory
from usermanagement.models import Group, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "acme.example"


class Acme:
    def __init__(self, sandbox, organization, admin):
        self.sandbox, self.organization, self.admin = sandbox, organization, admin

    def sync(self) -> SyncRun:
        run = sync_run_now(organization=self.organization, trigger=SyncRun.Trigger.SCHEDULE)
        assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.HELD), run.error_message
        return run

    def people(self):
        return User.objects.filter(organization=self.organization)


def connect(sandbox, *, users: int, seats: int) -> Acme:
    sandbox.seed(DOMAIN, users=users, groups=3, members_per_group=6, admins=1)
    organization = OrganizationFactory(
        name="Acme Corp", primary_domain=DOMAIN, seats_purchased=seats
    )
    admin = AdminFactory(
        organization=organization, email=f"admin@{DOMAIN}", first_name="Ada", last_name="Admin"
    )
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    SyncRun.objects.filter(organization=organization).delete()  # the wizard's queued first sync
    acme = Acme(sandbox, organization, admin)
    acme.sync()
    return acme


@pytest.fixture
def acme(google_sandbox) -> Acme:
    return connect(google_sandbox, users=30, seats=25)


def sign_in(page, live_server, email: str = f"admin@{DOMAIN}") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def open_tab(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/panel/users/groups/")
    page.get_by_role("list", name="User Management sections").get_by_role(
        "link", name=name
    ).click()


def flash(page) -> str:
    return page.locator(".messages").inner_text()


def confirm(page, expected: str = "") -> str:
    """The confirm step of a destructive action: check what it says, then confirm."""
    step = page.get_by_test_id("confirm-step")
    step.wait_for()
    text = step.inner_text()
    assert expected in text, text
    step.get_by_role("button").first.click()
    return text


# --- G Suite Settings ---------------------------------------------------------------------------


def test_sync_all_users_shows_live_progress_and_is_refused_again_within_a_day(
    live_server, page, acme
):
    sign_in(page, live_server)
    open_tab(page, live_server, "G Suite Settings")
    page.get_by_role("heading", name="Integration").wait_for()
    assert page.get_by_test_id("integration-state").inner_text() == "Active"
    screenshot(page, "um-settings")

    page.get_by_role("button", name="Sync All Users").click()
    progress = page.get_by_test_id("sync-progress")
    progress.wait_for()
    assert progress.get_attribute("data-status") == "queued"
    assert page.get_by_role("progressbar", name="Sync progress").is_visible()
    screenshot(page, "um-sync-all-users-progress")

    # The worker's part, in a thread of this process (its own database connection).
    (run,) = SyncRun.objects.filter(organization=acme.organization, trigger="sync-all")

    def work():
        try:
            sync_run_execute(run_id=run.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)
    # htmx polling replaces the bar with the result, without a reload
    page.get_by_test_id("sync-progress").get_by_text("Sync All Users finished").wait_for()
    # ... and the history below follows (it reloads itself when the run finishes)
    page.get_by_test_id("sync-history").locator("tbody tr").first.get_by_text(
        "Succeeded"
    ).wait_for()
    screenshot(page, "um-sync-all-users-finished")

    page.reload()
    button = page.get_by_role("button", name="Sync All Users")
    assert button.is_disabled()
    next_time = page.get_by_test_id("sync-all-next").inner_text()
    # in the organization's time zone, named
    assert re.search(r"Available again at \d+ \w+ \d{4}, \d\d:\d\d \(UTC\)", next_time), (
        next_time
    )
    history = page.get_by_test_id("sync-history")
    assert "Sync All Users" in history.inner_text()
    screenshot(page, "um-sync-all-users-refused")
    # the run's page lists its changes
    history.get_by_role("link", name="Details").first.click()
    page.get_by_role("heading", name=re.compile("^Sync All Users of")).wait_for()
    screenshot(page, "um-sync-run")


def test_scope_change_is_previewed_with_license_impact_before_saving(live_server, page, acme):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/panel/users/g-suite-settings/")
    page.get_by_role("link", name="Change scope…").click()
    page.get_by_label("Only chosen organizational units").check()
    included = page.get_by_role("group", name="Organizational units to sync")
    included.get_by_label("/Engineering", exact=True).check()
    included.get_by_label("/Sales", exact=True).check()
    page.get_by_role("button", name="Preview the change").click()
    preview = page.get_by_test_id("scope-preview")
    preview.wait_for()
    in_scope = acme.people().filter(
        status="active", google_id__isnull=False
    ).filter(
        org_unit_path__regex=r"^/(Engineering|Sales)(/|$)"
    ).count()
    synced = acme.people().filter(status="active", google_id__isnull=False).count()
    leaving = int(page.get_by_test_id("preview-leaving").inner_text().lstrip("\u2212"))
    # the suspended ones are not synced as active: compare with Google's active people
    assert leaving >= synced - in_scope - 1
    assert "seat" in page.get_by_test_id("preview-seats").inner_text()
    screenshot(page, "um-scope-preview")
    page.get_by_role("button", name="Save this scope").click()
    assert "Sync scope saved" in flash(page)
    assert "/Engineering, /Sales" in page.get_by_role("heading", name="Who is synced").locator(
        ".."
    ).inner_text()
    acme.organization.integration.refresh_from_db()
    assert acme.organization.integration.org_units_included == ["/Engineering", "/Sales"]


def test_held_plan_shows_who_would_be_removed_and_is_approved(live_server, page, acme):
    services.integration_settings_update(
        organization=acme.organization, acting_user=acme.admin, deactivation_threshold=3
    )
    leaving = list(
        acme.people()
        .filter(status="active", role="member")
        .order_by("email")
        .values_list("email", flat=True)[:5]
    )
    for email in leaving:
        acme.sandbox.ops.user_delete(email=email)
    run = acme.sync()
    assert run.status == SyncRun.Status.HELD
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/panel/users/g-suite-settings/")
    plan = page.get_by_test_id("held-plan")
    plan.wait_for()
    assert "would remove 5 people" in plan.inner_text()
    screenshot(page, "um-held-plan")
    plan.get_by_role("link", name="Review the removals").click()
    review = page.get_by_test_id("held-removals")
    for email in leaving:
        assert email in review.inner_text()
    page.get_by_role("button", name=re.compile("^Approve: remove 5 people")).click()
    confirm(page, "Approving removes 5 people")
    assert "Approved: 5 people" in flash(page)
    assert acme.people().filter(email__in=leaving, status="archived").count() == 5
    page.goto(f"{live_server.url}/panel/users/g-suite-settings/")
    assert not page.get_by_test_id("held-plan").count()
    screenshot(page, "um-held-plan-approved")


# --- Sign in with Google ------------------------------------------------------------------------


def google_sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Google").click()
    continue_button = page.get_by_role("button", name="Continue")
    chooser = page.get_by_role("heading", name="Choose an account")
    # wait for whichever page comes: counting the button right after the click raced the
    # navigation, and a slow machine then waited for the chooser on the Continue page
    continue_button.or_(chooser).first.wait_for()
    if continue_button.count():
        continue_button.click()
    chooser.wait_for()
    page.get_by_label(f"Search accounts of {DOMAIN}").fill(email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=re.compile(re.escape(email))).first.click()


def test_synced_person_signs_in_with_google_and_one_without_a_seat_is_told_why(
    live_server, page, chromium, acme
):
    licensed = (
        PersonLicense.objects.filter(
            organization=acme.organization, state="licensed", person__role="member"
        )
        .select_related("person")
        .order_by("person__email")
        .first()
        .person
    )
    google_sign_in(page, live_server, licensed.email)
    page.get_by_test_id("signed-in-person").wait_for()
    assert page.get_by_test_id("signed-in-person").inner_text() == licensed.display_name
    assert "/accounts/" not in page.url
    screenshot(page, "um-google-signin-member")

    waiting = (
        PersonLicense.objects.filter(organization=acme.organization, waiting_since__isnull=False)
        .select_related("person")
        .order_by("waiting_since", "person_id")[1]
        .person
    )
    other = chromium.new_context(viewport={"width": 1280, "height": 860}).new_page()
    google_sign_in(other, live_server, waiting.email)
    refused = other.get_by_test_id("signin-refused")
    refused.wait_for()
    assert refused.get_attribute("data-reason") == "unlicensed"
    assert other.get_by_test_id("waiting-position").inner_text() == "number 2"
    assert f"admin@{DOMAIN}" in other.get_by_test_id("admins-to-ask").inner_text()
    assert not other.get_by_test_id("signed-in-person").count()
    screenshot(other, "um-google-signin-unlicensed")
    other.context.close()


# --- seats --------------------------------------------------------------------------------------


def test_seats_single_and_bulk_no_seats_left_and_the_waiting_line_in_order(
    live_server, page, google_sandbox
):
    acme = connect(google_sandbox, users=60, seats=25)
    organization = acme.organization
    licensed = lambda: PersonLicense.objects.filter(  # noqa: E731
        organization=organization, state="licensed"
    ).count()
    assert licensed() == 25
    sign_in(page, live_server)
    open_tab(page, live_server, "Licenses")
    assert page.get_by_test_id("seats-used").inner_text() == "25"
    line = page.get_by_test_id("waiting-line")
    first_waiting = line.locator("tbody tr").first.inner_text()
    screenshot(page, "um-licenses-full")

    # single: no seat left for the first in line
    assert "No seat free" in line.locator("tbody tr").first.inner_text()

    # bulk unassign a group, then assigning the same group again works; a bigger one does not
    group = (
        Group.objects.filter(organization=organization)
        .order_by("email")
        .first()
    )
    members = group.memberships.filter(user__isnull=False, user__license__state="licensed")
    freed = members.exclude(user__role="admin").count()
    page.get_by_label("Everyone in a group").select_option(str(group.pk))
    page.get_by_label("Everyone in a group").locator("..").get_by_role(
        "button", name="Unassign seats", exact=True
    ).click()
    confirm(page, "will lose their seat")
    message = flash(page)
    assert f"Seat unassigned from {freed} " in message
    if group.memberships.filter(user__role="admin").exists():
        assert "kept their seat" in message
    assert licensed() == 25 - freed
    screenshot(page, "um-licenses-unassigned-group")

    # the freed seats go to the waiting line in order
    line_before = list(
        PersonLicense.objects.filter(organization=organization, waiting_since__isnull=False)
        .order_by("waiting_since", "person_id")
        .values_list("person_id", flat=True)
    )
    page.get_by_role("button", name=re.compile("to the waiting line")).click()
    assert f"{freed} people from the waiting line got a seat" in flash(page)
    assert licensed() == 25
    newly = set(
        PersonLicense.objects.filter(
            organization=organization, state="licensed", person_id__in=line_before
        ).values_list("person_id", flat=True)
    )
    assert newly == set(line_before[:freed])
    head = page.get_by_test_id("waiting-line").locator("tbody tr").first.inner_text()
    assert head != first_waiting
    screenshot(page, "um-licenses-line-filled")

    # single: free one seat, then give it to the first in line with its own button
    page.goto(f"{live_server.url}/panel/users/people/{line_before[0]}/")
    page.get_by_role("button", name="Unassign seat").click()
    confirm(page, "1 person will lose their seat")
    assert "Seat unassigned from 1 person." in flash(page)
    open_tab(page, live_server, "Licenses")
    head_row = page.get_by_test_id("waiting-line").locator("tbody tr").first
    head_email = head_row.locator(".small").first.inner_text()
    head_row.get_by_role("button", name="Assign seat").click()
    assert "Seat assigned to 1 person." in flash(page)
    assert PersonLicense.objects.get(person__email=head_email).state == "licensed"
    assert licensed() == 25

    # bulk assign an org unit while no seat is free: a clear message, nobody assigned
    page.get_by_label("Everyone in an organizational unit").select_option("/Engineering")
    page.get_by_label("Everyone in an organizational unit").locator("..").get_by_role(
        "button", name="Assign seats", exact=True
    ).click()
    message = flash(page)
    assert "No seats left" in message or "Not enough seats" in message, message
    assert licensed() == 25
    screenshot(page, "um-licenses-no-seats-left")


# --- people -------------------------------------------------------------------------------------


def test_find_a_person_among_thousands_and_manage_their_seat(live_server, page):
    organization = OrganizationFactory(name="Big Corp", primary_domain="big.example")
    admin = AdminFactory(
        organization=organization, email="admin@big.example", first_name="Ada", last_name="Admin"
    )
    User.objects.bulk_create(
        User(
            organization=organization,
            email=f"person{n:05d}@big.example",
            first_name=f"Person{n}",
            last_name=f"Number{n:05d}",
            google_id=f"g{n}",
            org_unit_path="/Sales" if n % 3 else "/Engineering",
        )
        for n in range(3000)
    )
    needle = User.objects.create(
        organization=organization,
        email="zoe.quartermaine@big.example",
        first_name="Zoë",
        last_name="Quartermaine",
        google_id="g-zoe",
        aliases=["zq@big.example"],
        org_unit_path="/Engineering/Platform",
        title="Staff Engineer",
    )
    organization.seats_purchased = 3001
    organization.save()
    from licenses.services import license_policy_update

    license_policy_update(
        organization=organization,
        acting_user=admin,
        auto_assign=False,
        auto_assign_org_units=[],
        release_after_days=0,
    )
    sign_in(page, live_server, admin.email)
    page.goto(f"{live_server.url}/panel/users/")
    assert page.get_by_test_id("people-count").inner_text() == "3,002" or (
        page.get_by_test_id("people-count").inner_text() == "3002"
    )
    screenshot(page, "um-people-list")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Search by name, email or alias").press_sequentially("quarterm", delay=40)
    page.get_by_test_id("people").get_by_text("zoe.quartermaine@big.example").wait_for()
    assert page.get_by_test_id("people-count").inner_text() == "1"
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the rows only
    assert "q=quarterm" in page.url
    screenshot(page, "um-people-search")
    # by alias, too
    page.get_by_label("Search by name, email or alias").fill("zq@big")
    page.wait_for_url(re.compile(r"q=zq%40big"))
    page.get_by_test_id("people").get_by_text("zoe.quartermaine@big.example").wait_for()

    # bulk (a selection of one) from the list: assign
    page.get_by_label(f"Select {needle.display_name}").check()
    page.get_by_role("button", name="Assign seats", exact=True).click()
    assert "Seat assigned to 1 person." in flash(page)
    assert "q=zq%40big" in page.url  # back on the same search

    # single from the person's page: unassign
    page.get_by_role("link", name="Zoë Quartermaine").click()
    page.get_by_test_id("managed-by-google").wait_for()
    assert "Licensed" in page.get_by_test_id("person-seat").inner_text()
    screenshot(page, "um-person")
    page.get_by_role("button", name="Unassign seat").click()
    confirm(page, "1 person will lose their seat")
    assert "Seat unassigned from 1 person." in flash(page)
    assert "Unlicensed" in page.get_by_test_id("person-seat").inner_text()

    # filters: Engineering (sub-units included) and sorting by email descending
    page.goto(f"{live_server.url}/panel/users/?org_unit=/Engineering&sort=-email")
    first_row = page.get_by_test_id("people").locator("tbody tr").first.inner_text()
    assert "zoe.quartermaine@big.example" in first_row
    screenshot(page, "um-people-filtered")


# --- Hearth admins ------------------------------------------------------------------------------


def test_hearth_admins_make_invite_revoke_and_always_one(live_server, page, acme):
    colleague = acme.people().filter(role="member", status="active").order_by("email").first()
    sign_in(page, live_server)
    open_tab(page, live_server, "Hearth admins")
    admins = page.get_by_test_id("admins")
    assert "The last admin who can sign in" in admins.inner_text()
    page.get_by_label("Email address").fill(colleague.email)
    page.get_by_role("button", name="Add admin").click()
    assert f"{colleague.display_name} is now a Hearth admin." in flash(page)
    page.get_by_label("Email address").fill(f"new.colleague@{DOMAIN}")
    page.get_by_role("button", name="Add admin").click()
    assert f"Invitation sent to new.colleague@{DOMAIN}" in flash(page)
    assert f"new.colleague@{DOMAIN}" in page.get_by_role("list").last.inner_text()
    screenshot(page, "um-admins")
    row = page.get_by_test_id("admins").locator("tr", has_text=colleague.email)
    row.get_by_role("button", name="Revoke admin").click()
    confirm(page, colleague.email)
    assert f"{colleague.display_name} is no longer a Hearth admin." in flash(page)
    assert "The last admin who can sign in" in page.get_by_test_id("admins").inner_text()
