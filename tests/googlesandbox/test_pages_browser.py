"""The sandbox's pages in a real browser (Playwright + Debian Chromium) against the live sandbox:
the Marketplace domain install as a person does it, and a walk through the admin console.
Screenshots of each step land in test-artifacts/sandbox-*.png for a person to look at."""

import re

import pytest
from google.auth.exceptions import RefreshError

from googlesandbox import operations
from googlesandbox.pages.cookies import ACCOUNT_COOKIE
from tests.conftest import screenshot as keep_screenshot

pytestmark = [pytest.mark.browser]

ADMIN = "admin@acme.example"


def screenshot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")  # the avatars are images of their own
    keep_screenshot(page, name)


@pytest.fixture
def acme(google_sandbox):
    return google_sandbox.seed(users=240, groups=6, members_per_group=8, install=False).domain


def test_domain_install_in_the_browser(google_sandbox, acme, page):
    with pytest.raises(RefreshError, match="unauthorized_client"):
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()

    page.goto(google_sandbox.url + "/marketplace/hearth")
    page.get_by_role("heading", name="Hearth", exact=True).wait_for()
    screenshot(page, "sandbox-marketplace-1-listing")
    page.get_by_role("button", name="Domain install").click()

    page.get_by_role("heading", name="Choose an account").wait_for()
    screenshot(page, "sandbox-marketplace-2-choose-account")
    page.get_by_role("button", name=re.compile(re.escape(ADMIN))).click()

    page.get_by_role("button", name="Allow").wait_for()
    assert "View users on your domain" in page.content()
    screenshot(page, "sandbox-marketplace-3-consent")
    page.get_by_role("button", name="Allow").click()

    page.get_by_text("Hearth has been installed for everyone at acme.example").wait_for()
    screenshot(page, "sandbox-marketplace-4-done")
    page.get_by_role("button", name="Done").click()

    page.get_by_text("Installed", exact=True).wait_for()
    assert page.get_by_role("button", name="Uninstall").is_visible()
    screenshot(page, "sandbox-marketplace-5-installed")

    # the token endpoint now grants Hearth's service account for the domain
    users = google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    assert len(users["users"]) == 100
    # the browser holds the sandbox's own cookie, and no Django session or CSRF cookie
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert ACCOUNT_COOKIE in names
    assert not names & {"sessionid", "csrftoken"}

    page.get_by_role("button", name="Uninstall").click()
    page.get_by_text("Hearth was uninstalled from acme.example.").wait_for()
    assert page.get_by_role("button", name="Domain install").is_visible()
    assert not operations.is_installed(acme)


def test_a_non_super_admin_is_refused_in_the_browser(google_sandbox, acme, page):
    person = acme.users.filter(is_admin=False, suspended=False).order_by("primary_email").first()
    page.goto(google_sandbox.url + "/marketplace/hearth")
    page.get_by_role("button", name="Domain install").click()
    page.get_by_role("searchbox").fill(person.primary_email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=re.compile(re.escape(person.primary_email))).click()
    page.get_by_role("heading", name="You need to be a super administrator").wait_for()
    screenshot(page, "sandbox-marketplace-refused")
    assert not operations.is_installed(acme)


def test_admin_console_walk(google_sandbox, acme, page):
    base = google_sandbox.url + "/console/acme.example/"
    page.goto(base)
    page.get_by_role("button", name=re.compile(re.escape(ADMIN))).click()
    page.get_by_role("heading", name="Recent admin activity").wait_for()
    screenshot(page, "sandbox-console-1-home")

    page.get_by_role("navigation", name="Admin console").get_by_role("link", name="Users").click()
    page.get_by_role("heading", name="Users", exact=True).wait_for()
    screenshot(page, "sandbox-console-2-users")

    page.get_by_role("link", name="Add new user").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Primary email").fill("grace.hopper")
    page.get_by_label("Job title").fill("Rear Admiral")
    page.get_by_label("Organizational unit").fill("/Engineering")
    screenshot(page, "sandbox-console-3-add-user")
    page.get_by_role("button", name="Add new user").click()
    page.get_by_text("Added grace.hopper@acme.example.").wait_for()
    page.get_by_role("button", name="Suspend user").click()
    page.get_by_text("Suspended grace.hopper@acme.example.").wait_for()
    screenshot(page, "sandbox-console-4-user")
    assert operations.user_find("grace.hopper@acme.example").suspended

    page.get_by_role("navigation", name="Admin console").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Engineering").first.click()
    page.get_by_label("User or group email").fill("grace.hopper@acme.example")
    page.get_by_role("button", name="Add to group").click()
    page.get_by_text("Added grace.hopper@acme.example to engineering@acme.example.").wait_for()
    screenshot(page, "sandbox-console-5-group")

    page.get_by_role("navigation", name="Admin console").get_by_role(
        "link", name="Settings"
    ).click()
    page.get_by_role("button", name="Turn API access off").click()
    page.get_by_text("API access turned off.").wait_for()
    screenshot(page, "sandbox-console-6-settings")
    acme.refresh_from_db()
    assert acme.api_access is False
