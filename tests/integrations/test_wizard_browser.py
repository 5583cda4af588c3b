"""The connect wizard in a real browser (Playwright + Debian Chromium), with the Google sandbox
serving Google on its own live server and Hearth on pytest-django's live server.

Each test follows the help article: Path A through the Marketplace tab to the people appearing
in User Management; Path B from the request email to the colleague finalizing; *Change sync
account?*; and each finalize error produced by real sandbox state, shown with its fix, fixed in
the sandbox and retried. The first sync runs in Celery in production; here the enqueued run is
executed by calling the task's service on its id, and queued emails are delivered the same way.
Screenshots of every step land in test-artifacts/wizard-*.png.
"""

import re

import pytest
from django.core import mail

from integrations.models import Integration, SyncRun
from integrations.sync.runs import sync_run_execute
from notifications.delivery import email_log_deliver
from notifications.models import EmailLog
from tests.conftest import screenshot
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory
from usermanagement.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "acme.example"
API_OFF = "The API access has been disabled in the G Suite Admin Panel settings"
NOT_INSTALLED = "Hearth has not been properly installed in G Suite."
NO_DIRECTORY = "This account cannot access the G Suite Directory."


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def acme(google_sandbox):
    """The sandbox domain acme.example (20 people, admin@ a super admin, Hearth not installed)
    and its Hearth organization, whose first Hearth admin is admin@acme.example."""
    google_sandbox.seed(DOMAIN, users=20, groups=2, members_per_group=4, admins=1, install=False)
    organization = OrganizationFactory(name="Acme Corp", primary_domain=DOMAIN)
    admin = AdminFactory(
        organization=organization, email=f"admin@{DOMAIN}", first_name="Ada", last_name="Admin"
    )
    return organization, admin


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in_here(page, email)


def sign_in_here(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def open_integrations(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Admin panel").get_by_role(
        "link", name="Integrations"
    ).click()
    page.get_by_role("heading", name="Integrations", exact=True).wait_for()


def card(page):
    return page.get_by_test_id("gsuite-card")


def install_in_marketplace(page, admin_email: str, shot_prefix: str) -> None:
    """Step 1: *Open G Suite Marketplace* opens a new tab; Domain install, consent, Done."""
    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name="Open G Suite Marketplace").click()
    tab = new_tab.value
    tab.wait_for_load_state()
    screenshot(tab, f"{shot_prefix}-marketplace-listing")
    tab.get_by_role("button", name="Domain install").click()
    chooser = tab.get_by_role("button", name=re.compile(re.escape(admin_email)))
    if chooser.count():  # the emulated Google sign-in: which account are you?
        screenshot(tab, f"{shot_prefix}-marketplace-account")
        chooser.first.click()
    tab.get_by_role("button", name="Allow").wait_for()
    screenshot(tab, f"{shot_prefix}-marketplace-consent")
    tab.get_by_role("button", name="Allow").click()
    tab.get_by_role("button", name="Done").wait_for()
    screenshot(tab, f"{shot_prefix}-marketplace-done")
    # Done goes back to the listing: let that navigation end before the tab is closed (a
    # close racing it once hung Chromium for the whole test timeout)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Done").click()
    tab.wait_for_load_state()
    tab.close()


def finalize(page):
    page.get_by_role("button", name=re.compile(r"^(Finalize G Suite sync|Retry Step 2)$")).click()


def expect_error(page, headline: str, fix: str, way: str = "Go back to Step 1") -> None:
    error = page.get_by_test_id("finalize-error")
    error.wait_for()
    text = error.inner_text()
    assert headline in text and fix in text
    assert "Traceback" not in page.content()
    # The wizard stays on Step 2, with both ways forward: where the fix is, and the retry.
    assert (
        page.locator('.wizard-step[aria-current="step"]').inner_text().endswith("Step 2 · Finalize")
    )
    assert error.get_by_role("link", name=way).first.is_visible()
    assert page.get_by_role("button", name="Retry Step 2").is_visible()


def run_first_sync(organization) -> SyncRun:
    (run,) = SyncRun.objects.filter(organization=organization, status=SyncRun.Status.QUEUED)
    return sync_run_execute(run_id=run.pk)


def deliver_emails() -> None:
    """Do what the email delivery task does for every queued email: send it (to mail.outbox)."""
    for log in EmailLog.objects.filter(status=EmailLog.Status.QUEUED):
        email_log_deliver(email_log_id=log.pk, final_attempt=True)


def local_link(live_server, url: str) -> str:
    return live_server.url + "/" + url.split("://", 1)[1].split("/", 1)[1]


def finalize_link_in(message) -> str:
    return re.search(r"https?://\S+/g-suite/finalize/\S+/", message.body).group(0)


def new_person_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    return context.new_page()


# --- Path A -----------------------------------------------------------------------------------


def test_path_a_marketplace_finalize_and_people_in_user_management(live_server, page, acme):
    organization, admin = acme
    sign_in(page, live_server, admin.email)
    open_integrations(page, live_server)
    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Not connected"
    screenshot(page, "wizard-a-01-integrations")

    card(page).get_by_role("link", name="Install").click()
    page.get_by_role("heading", name="Are you a G Suite administrator?").wait_for()
    screenshot(page, "wizard-a-02-are-you-admin")
    page.get_by_role("button", name="I am a G Suite admin").click()

    page.get_by_role("heading", name="Step 1").wait_for()
    assert page.get_by_test_id("skip-note").inner_text() == (
        "If you already have installed Hearth in the G Suite Marketplace, you can skip this step."
    )
    screenshot(page, "wizard-a-03-step-1")
    install_in_marketplace(page, admin.email, "wizard-a-04")

    page.get_by_role("link", name="Continue to Step 2").click()
    page.get_by_role("heading", name="Step 2").wait_for()
    screenshot(page, "wizard-a-05-step-2")
    finalize(page)

    page.get_by_role(
        "heading", name="Congratulations, G Suite user synchronization has been set up!"
    ).wait_for()
    assert (
        "The G Suite synchronization set up is complete and the accounts in your domain are "
        "being deployed!" in page.locator("main").inner_text()
    )
    screenshot(page, "wizard-a-06-success")
    integration = Integration.objects.get(organization=organization)
    assert (integration.state, integration.sync_account) == (Integration.State.ACTIVE, admin)

    run = run_first_sync(organization)
    assert run.status == SyncRun.Status.SUCCEEDED
    # The success page's progress (htmx polling) notices that the first sync finished.
    page.get_by_text("The first sync has finished").wait_for()
    assert page.get_by_test_id("people-count").inner_text() == str(
        User.objects.filter(organization=organization).exclude(status="archived").count()
    )
    screenshot(page, "wizard-a-07-success-synced")

    page.get_by_role("link", name="Go to User Management").click()
    page.get_by_role("heading", name="User Management").wait_for()
    screenshot(page, "wizard-a-08-user-management")
    synced = User.objects.filter(organization=organization).exclude(pk=admin.pk)
    assert synced.count() >= 15
    body = page.locator("main").inner_text()
    for person in synced.order_by("email")[:5]:
        assert person.email in body

    open_integrations(page, live_server)
    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Active"
    screenshot(page, "wizard-a-09-card-active")


def test_finalize_right_after_install_waits_for_google_and_succeeds_on_its_own(
    live_server, page, acme, google_sandbox
):
    """Google takes 30 s to apply the domain install here; the admin finalizes 5 s after it."""
    organization, admin = acme
    google_sandbox.ops.faults_set(domain=DOMAIN, install_delay_seconds=30)
    sign_in(page, live_server, admin.email)
    open_integrations(page, live_server)
    card(page).get_by_role("link", name="Install").click()
    page.get_by_role("button", name="I am a G Suite admin").click()
    page.get_by_role("heading", name="Step 1").wait_for()
    install_in_marketplace(page, admin.email, "wizard-p")
    page.wait_for_timeout(5_000)
    page.get_by_role("link", name="Continue to Step 2").click()
    finalize(page)

    pending = page.get_by_test_id("install-pending")
    pending.wait_for()
    assert "G Suite may need a few minutes to apply the installation." in pending.inner_text()
    assert "keeps checking on its own" in pending.inner_text()
    assert not page.get_by_test_id("finalize-error").count()
    screenshot(page, "wizard-p-01-install-pending")
    assert Integration.objects.get(organization=organization).state == Integration.State.INSTALLING

    # nobody clicks: the page checks again by itself until Google applied the install
    page.get_by_role(
        "heading", name="Congratulations, G Suite user synchronization has been set up!"
    ).wait_for(timeout=60_000)
    screenshot(page, "wizard-p-02-success-on-its-own")
    assert Integration.objects.get(organization=organization).state == Integration.State.ACTIVE


# --- Path B -----------------------------------------------------------------------------------


def test_path_b_request_email_followed_and_finalized_by_the_colleague(
    live_server, page, chromium, acme
):
    organization, gus = acme  # admin@acme.example: the G Suite super admin
    asker = AdminFactory(
        organization=organization, email=f"ann@{DOMAIN}", first_name="Ann", last_name="Asker"
    )
    sign_in(page, live_server, asker.email)
    open_integrations(page, live_server)
    card(page).get_by_role("link", name="Install").click()
    page.get_by_role("link", name="Ask a G Suite admin").click()
    page.get_by_role("heading", name="Ask a G Suite admin").wait_for()
    assert page.get_by_text("Make sure your colleague is a G Suite administrator").is_visible()
    assert page.get_by_role("link", name="Invite a new Hearth admin").is_visible()
    page.get_by_label("Ada Admin (admin@acme.example)").check()
    screenshot(page, "wizard-b-01-choose-colleague")
    page.get_by_role("button", name="Send request").click()

    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Waiting for Ada Admin"
    assert card(page).get_by_role("link", name="Change sync account?").is_visible()
    screenshot(page, "wizard-b-02-waiting")

    deliver_emails()
    (request_email,) = [m for m in mail.outbox if m.to == [gus.email]]
    assert "Ann Asker asked you to set up the G Suite" in request_email.body
    assert "/help/g-suite-integration/" in request_email.body
    link = local_link(live_server, finalize_link_in(request_email))

    # The colleague follows the link, signs in, and lands on the card in Finalize state.
    colleague = new_person_page(chromium)
    colleague.goto(link)
    sign_in_here(colleague, gus.email)
    card(colleague).get_by_role("link", name="Finalize").wait_for()
    assert "Ann Asker asked you to set up" in card(colleague).inner_text()
    screenshot(colleague, "wizard-b-03-colleague-finalize-card")
    card(colleague).get_by_role("link", name="Finalize").click()
    colleague.get_by_role("heading", name="Step 1").wait_for()
    install_in_marketplace(colleague, gus.email, "wizard-b-04")
    colleague.get_by_role("link", name="Continue to Step 2").click()
    finalize(colleague)
    colleague.get_by_role(
        "heading", name="Congratulations, G Suite user synchronization has been set up!"
    ).wait_for()
    screenshot(colleague, "wizard-b-05-colleague-success")

    integration = Integration.objects.get(organization=organization)
    assert (integration.state, integration.sync_account) == (Integration.State.ACTIVE, gus)
    completed = EmailLog.objects.get(template="setup_completed")
    assert completed.recipient == asker.email
    assert "Ada Admin finalized the G Suite integration you asked for" in completed.body_text
    page.reload()
    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Active"
    colleague.context.close()


def test_change_sync_account_refuses_the_old_link_and_the_new_one_works(
    live_server, page, chromium, acme, google_sandbox
):
    organization, gus = acme
    google_sandbox.install(DOMAIN)
    asker = AdminFactory(organization=organization, email=f"ann@{DOMAIN}", first_name="Ann")
    wrong = AdminFactory(
        organization=organization, email=f"walt@{DOMAIN}", first_name="Walt", last_name="Wrong"
    )
    sign_in(page, live_server, asker.email)
    page.goto(f"{live_server.url}/panel/integrations/g-suite/ask/")
    page.get_by_label("Walt Wrong (walt@acme.example)").check()
    page.get_by_role("button", name="Send request").click()
    card(page).get_by_role("link", name="Change sync account?").click()
    page.get_by_role("heading", name="Change sync account").wait_for()
    screenshot(page, "wizard-c-01-change-sync-account")
    page.get_by_label("Ada Admin (admin@acme.example)").check()
    page.get_by_role("button", name="Send request").click()
    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Waiting for Ada Admin"

    deliver_emails()
    old_link = local_link(
        live_server, finalize_link_in(next(m for m in mail.outbox if m.to == [wrong.email]))
    )
    new_link = local_link(
        live_server, finalize_link_in(next(m for m in mail.outbox if m.to == [gus.email]))
    )
    assert old_link != new_link

    walt = new_person_page(chromium)
    walt.goto(old_link)
    sign_in_here(walt, wrong.email)
    walt.get_by_role("heading", name="This link no longer works").wait_for()
    screenshot(walt, "wizard-c-02-old-link-refused")
    # And following the new link, Walt is told whose request it is.
    walt.goto(new_link)
    walt.get_by_role("heading", name="This request is for Ada Admin").wait_for()
    screenshot(walt, "wizard-c-03-someone-elses-request")
    walt.context.close()

    colleague = new_person_page(chromium)
    colleague.goto(new_link)
    sign_in_here(colleague, gus.email)
    card(colleague).get_by_role("link", name="Finalize").click()
    colleague.get_by_role("link", name="Continue to Step 2").click()  # already installed: skip
    finalize(colleague)
    colleague.get_by_role(
        "heading", name="Congratulations, G Suite user synchronization has been set up!"
    ).wait_for()
    assert Integration.objects.get(organization=organization).sync_account == gus
    colleague.context.close()


# --- Errors -----------------------------------------------------------------------------------


def start_path_a_at_step_2(page, live_server, admin_email: str) -> None:
    sign_in(page, live_server, admin_email)
    open_integrations(page, live_server)
    card(page).get_by_role("link", name="Install").click()
    page.get_by_role("button", name="I am a G Suite admin").click()
    page.get_by_role("link", name="Continue to Step 2").click()
    page.get_by_role("heading", name="Step 2").wait_for()


def expect_success(page) -> None:
    page.get_by_role(
        "heading", name="Congratulations, G Suite user synchronization has been set up!"
    ).wait_for()


def test_api_access_disabled_then_enabled_and_step_2_retried(
    live_server, page, acme, google_sandbox
):
    organization, admin = acme
    google_sandbox.install(DOMAIN)
    google_sandbox.ops.set_api_access(domain=DOMAIN, enabled=False)
    start_path_a_at_step_2(page, live_server, admin.email)

    finalize(page)
    # its fix is in the Admin console, then Step 2 again: the link goes there, not to Step 1
    expect_error(
        page, API_OFF, "Please enable it and retry Step 2.", way=re.compile("Enable API access")
    )
    assert not page.get_by_test_id("finalize-error").get_by_text("Go back to Step 1").count()
    screenshot(page, "wizard-e1-api-access-disabled")
    # The card says the same when the admin comes back later — still in setup, not "error".
    open_integrations(page, live_server)
    assert API_OFF in card(page).get_by_test_id("setup-error").inner_text()
    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Ready to finalize"
    screenshot(page, "wizard-e1-card-setup-error")

    google_sandbox.ops.set_api_access(domain=DOMAIN, enabled=True)
    card(page).get_by_role("link", name="Finalize").click()
    page.get_by_role("link", name="Continue to Step 2").click()
    finalize(page)
    expect_success(page)
    assert Integration.objects.get(organization=organization).state == Integration.State.ACTIVE


def test_not_installed_then_installed_from_step_1_and_retried(live_server, page, acme):
    organization, admin = acme  # the fixture leaves Hearth uninstalled
    start_path_a_at_step_2(page, live_server, admin.email)

    finalize(page)
    expect_error(page, NOT_INSTALLED, "Please go back to Step 1.")
    screenshot(page, "wizard-e2-not-installed")

    page.get_by_test_id("finalize-error").get_by_role("link", name="Go back to Step 1").click()
    page.get_by_role("heading", name="Step 1").wait_for()
    install_in_marketplace(page, admin.email, "wizard-e2")
    page.get_by_role("link", name="Continue to Step 2").click()
    finalize(page)
    expect_success(page)
    assert Integration.objects.get(organization=organization).state == Integration.State.ACTIVE


def test_sync_account_not_an_admin_then_made_admin_and_retried(
    live_server, page, acme, google_sandbox
):
    organization, _ = acme
    google_sandbox.install(DOMAIN)
    google_sandbox.ops.user_add(email=f"nora@{DOMAIN}", given_name="Nora", family_name="Plain")
    nora = AdminFactory(organization=organization, email=f"nora@{DOMAIN}", first_name="Nora")
    start_path_a_at_step_2(page, live_server, nora.email)

    finalize(page)
    expect_error(
        page,
        NO_DIRECTORY,
        "Either choose another account or add the correct rights in G Suite Admin Panel.",
    )
    assert page.get_by_role("link", name="Choose another account").is_visible()
    screenshot(page, "wizard-e3-directory-access-denied")

    google_sandbox.ops.user_make_admin(email=nora.email)
    finalize(page)  # "Retry Step 2"
    expect_success(page)
    integration = Integration.objects.get(organization=organization)
    assert (integration.state, integration.sync_account) == (Integration.State.ACTIVE, nora)


# --- Disconnect -------------------------------------------------------------------------------


def test_disconnect_with_confirmation_keeps_the_people(live_server, page, acme, google_sandbox):
    organization, admin = acme
    google_sandbox.install(DOMAIN)
    start_path_a_at_step_2(page, live_server, admin.email)
    finalize(page)
    expect_success(page)
    run_first_sync(organization)
    people = User.objects.filter(organization=organization).count()

    open_integrations(page, live_server)
    card(page).get_by_role("link", name="Disconnect").click()
    page.get_by_role("heading", name="Disconnect G Suite?").wait_for()
    screenshot(page, "wizard-d-01-confirm")
    page.get_by_role("button", name="Disconnect G Suite").click()

    assert card(page).get_by_test_id("gsuite-status").inner_text() == "Disconnected"
    assert card(page).get_by_role("link", name="Install").is_visible()
    screenshot(page, "wizard-d-02-disconnected")
    assert Integration.objects.get(organization=organization).state == "disconnected"
    assert User.objects.filter(organization=organization).count() == people
