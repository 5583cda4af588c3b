"""A newcomer signs up an organization in a real browser and reaches the admin panel."""

import re

import pytest
from django.core import mail

from organizations.models import Organization
from tests.conftest import screenshot
from usermanagement.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_verify_email_and_reach_the_admin_panel(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Organization name").fill("Globex")
    page.get_by_label("Email").fill("hank@globex.example")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password (again)").fill("a long and unusual passphrase")
    screenshot(page, "signup-form")
    page.get_by_role("button", name="Sign Up").click()

    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    (verification,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", verification.body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("navigation", name="Admin panel").wait_for()
    screenshot(page, "admin-panel-after-signup")
    assert page.get_by_test_id("organization-name").inner_text() == "Globex"
    assert page.get_by_test_id("signed-in-person").inner_text() == "hank@globex.example"
    organization = Organization.objects.get()
    assert organization.primary_domain == "globex.example"
    person = User.objects.get()
    assert (person.organization, person.role) == (organization, User.Role.ADMIN)
