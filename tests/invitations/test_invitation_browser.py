"""In a real browser: from Path B's "invite a new Hearth admin" link to the invited person
choosing a password, then appearing in the list of colleagues to ask."""

import re

import pytest

from notifications.models import EmailLog
from tests.conftest import screenshot
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory
from usermanagement.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("navigation", name="Admin panel").wait_for()


def test_invite_a_g_suite_admin_from_path_b_who_then_accepts(live_server, page, chromium):
    admin = AdminFactory(first_name="Ada", last_name="Asker", organization__name="Acme Corp")
    sign_in(page, live_server, admin.email)
    page.goto(f"{live_server.url}/panel/integrations/g-suite/ask/")
    page.get_by_role("link", name="Invite a new Hearth admin").click()

    page.get_by_label("Email address").fill("grace@acme.example")
    screenshot(page, "invitation-01-invite-form")
    page.get_by_role("button", name="Send invitation").click()

    # Back on Path B, with the confirmation.
    page.get_by_role("heading", name="Ask a G Suite admin").wait_for()
    assert "Invitation sent to grace@acme.example" in page.locator(".messages").inner_text()
    log = EmailLog.objects.get(template="admin_invitation", recipient="grace@acme.example")
    assert "Ada Asker invited you" in log.subject
    link = re.search(r"https?://\S+/invitations/\S+/", log.body_text).group(0)

    invited = chromium.new_context(viewport={"width": 1280, "height": 860}).new_page()
    invited.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    invited.get_by_role("heading", name="Join Acme Corp on Hearth").wait_for()
    invited.get_by_label("First name").fill("Grace")
    invited.get_by_label("Last name").fill("Hopper")
    invited.get_by_label("Password", exact=True).fill("a sturdy new passphrase 42")
    invited.get_by_label("Password (again)").fill("a sturdy new passphrase 42")
    screenshot(invited, "invitation-02-accept")
    invited.get_by_role("button", name="Accept invitation").click()

    invited.get_by_role("navigation", name="Admin panel").wait_for()
    screenshot(invited, "invitation-03-signed-in")
    assert invited.get_by_test_id("signed-in-person").inner_text() == "Grace Hopper"
    grace = User.objects.get(email="grace@acme.example")
    assert (grace.organization, grace.role) == (admin.organization, User.Role.ADMIN)

    page.reload()
    assert page.get_by_label("Grace Hopper (grace@acme.example)").is_visible()
    invited.context.close()
