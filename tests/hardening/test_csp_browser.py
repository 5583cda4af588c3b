"""The Content-Security-Policy in a real browser: Hearth's main pages work under it and
Chromium reports no violation (an inline script, handler or style, eval, a form posted or an
image loaded from elsewhere would each be refused and reported on the console).

One walk through the product as its people use it: sign-in and "Sign in with Google" as far as
Google's account chooser (the form's redirect to Google is what form-action must allow), the
connect wizard's Path A with a finalize error swapped in by htmx and focused, the Marketplace
tab (the sandbox's pages, which have no CSP), the first sync's live progress, User Management's
people list with its interactive search and "select all", G Suite settings, seats, and the
support console with an email preview.
"""

import re

import pytest

from integrations.models import SyncRun
from integrations.sync.runs import sync_run_execute
from notifications.models import EmailLog
from tests.conftest import screenshot
from tests.integrations.test_wizard_browser import (
    NOT_INSTALLED,
    card,
    expect_error,
    finalize,
    install_in_marketplace,
    open_integrations,
    sign_in,
)
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "acme.example"


class Violations(list):
    """CSP violations and script errors reported by the browser, on every page and tab."""

    def watch(self, context):
        context.on("console", self._console)
        context.on("weberror", lambda error: self.append(f"page error: {error.error}"))
        return context

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.append(f"{message.page.url if message.page else '?'}: {text}")


@pytest.fixture
def violations(page):
    found = Violations()
    found.watch(page.context)
    return found


def test_the_main_pages_run_under_the_csp_without_a_violation(
    live_server, page, chromium, google_sandbox, violations
):
    google_sandbox.seed(DOMAIN, users=20, groups=2, members_per_group=4, admins=1, install=False)
    organization = OrganizationFactory(name="Acme Corp", primary_domain=DOMAIN, seats_purchased=15)
    admin = AdminFactory(
        organization=organization, email=f"admin@{DOMAIN}", first_name="Ada", last_name="Admin"
    )

    # Sign in with Google: the confirmation form's redirect reaches Google's account chooser.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Google").click()
    if page.get_by_role("button", name="Continue").count():
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Choose an account").wait_for()

    # The wizard, Path A: Step 2 fails first (not installed): htmx swaps the error in and
    # hearth.js focuses it; then the Marketplace tab, and Step 2 again.
    sign_in(page, live_server, admin.email)
    open_integrations(page, live_server)
    card(page).get_by_role("link", name="Install").click()
    page.get_by_role("button", name="I am a G Suite admin").click()
    page.get_by_role("link", name="Continue to Step 2").click()
    page.evaluate("window.notReloaded = true")
    finalize(page)
    expect_error(page, NOT_INSTALLED, "Please go back to Step 1.")
    assert page.evaluate("window.notReloaded") is True  # swapped by htmx, not a page load
    assert page.evaluate("document.activeElement.dataset.testid") == "finalize-error"
    screenshot(page, "csp-step-2-error")
    page.get_by_role("link", name="Go back to Step 1").click()
    install_in_marketplace(page, admin.email, "csp-marketplace")
    page.get_by_role("link", name="Continue to Step 2").click()
    finalize(page)
    page.get_by_text("Deploying the accounts of your domain").wait_for()

    # The first sync's progress, polled by htmx until it has finished.
    (run,) = SyncRun.objects.filter(organization=organization, status=SyncRun.Status.QUEUED)
    sync_run_execute(run_id=run.pk)
    page.get_by_text("The first sync has finished").wait_for()

    # User Management: the interactive search swaps the rows; "select all" selects them.
    page.get_by_role("link", name="Go to User Management").click()
    page.get_by_role("heading", name="User Management").wait_for()
    page.get_by_label("Search by name, email or alias").press_sequentially("admin", delay=30)
    page.wait_for_url(re.compile(r"q=admin"))
    page.get_by_test_id("people").get_by_text(admin.email).wait_for()
    page.get_by_label("Select everyone on this page").check()
    boxes = page.locator("#people input[name=person]")
    assert boxes.count() >= 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    screenshot(page, "csp-people")
    page.get_by_role("button", name="Assign seats", exact=True).click()
    page.wait_for_url(re.compile(r"q=admin"))  # back on the same search (hearth.js)
    for name, path in {
        "gsuite-settings": "/panel/users/g-suite-settings/",
        "licenses": "/panel/users/licenses/",
        "overview": "/panel/",
    }.items():
        page.goto(live_server.url + path)
        page.locator("main").wait_for()
        screenshot(page, f"csp-{name}")

    # The support console (Django's admin), with an email's HTML preview.
    email = EmailLog.objects.create(
        recipient=f"jane@{DOMAIN}", template="test_email", subject="Test", body_text="Hello",
        body_html='<p style="color:#b3411f">Hello</p>',
    )
    staff = StaffFactory()
    support = violations.watch(
        chromium.new_context(viewport={"width": 1280, "height": 860})
    ).new_page()
    support.goto(f"{live_server.url}/support/login/")
    support.get_by_label("Email").fill(staff.email)
    support.get_by_label("Password").fill(TEST_PASSWORD)
    support.get_by_role("button", name="Log in").click()
    support.get_by_role("heading", name="Organizations, people, syncs and emails").wait_for()
    for path in (
        "/support/organizations/organization/",
        f"/support/organizations/organization/{organization.pk}/change/",
        "/support/integrations/syncrun/",
        f"/support/integrations/syncrun/{run.pk}/change/",
        "/support/notifications/emaillog/",
        f"/support/notifications/emaillog/{email.pk}/change/",
    ):
        support.goto(live_server.url + path)
        support.locator("#content").wait_for()
    screenshot(support, "csp-support-email")
    support.context.close()

    assert violations == []
