"""A support engineer investigates a failed sync in a real browser, under the CSP:
organization → failed run → its error and changes → run a sync → success (screenshots in
test-artifacts/support-*.png).

The ticket: "Acme's new hire does not appear in Hearth." Acme's sync account lost its admin
rights in Google, so the scheduled sync failed; the customer restores them, and support runs a
full sync, which brings the new hire in.
"""

import re

import pytest

from audit.models import AuditEvent
from integrations.models import SyncRun
from integrations.sync.runs import sync_run_execute, sync_run_now
from tests.conftest import screenshot
from tests.hardening.test_csp_browser import Violations
from tests.support.factories import SupportFactory
from tests.usermanagement.factories import TEST_PASSWORD
from usermanagement.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = "acme.example"


def test_investigating_a_failed_sync(live_server, page, synced):
    violations = Violations()
    violations.watch(page.context)
    support = SupportFactory(email="sam@hearth.example")
    synced.ops.user_add(email=f"new.hire@{D}", given_name="Nina", family_name="Hire")
    synced.ops.user_revoke_admin(email=f"admin@{D}")
    failed = sync_run_now(organization=synced.organization, trigger=SyncRun.Trigger.SCHEDULE)
    assert failed.status == SyncRun.Status.FAILED

    # Sign in to the console.
    page.goto(f"{live_server.url}/support/login/")
    page.get_by_label("Email").fill(support.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Organizations, people, syncs and emails").wait_for()

    # Organizations: find Acme; its sync needs attention, with the error's headline.
    page.locator("#content-main #organizations-organization").get_by_role("link").first.click()
    page.locator("#searchbar").fill("acme.example")
    page.locator("#searchbar").press("Enter")
    row = page.locator("#result_list tbody tr").filter(has_text="Acme")
    row.get_by_text("Needs attention").wait_for()
    row.get_by_text("This account cannot access the G Suite Directory.").wait_for()
    screenshot(page, "support-1-organizations")

    # Acme's page: the sync at a glance, and the failed run among the recent ones.
    row.get_by_role("link", name="Acme").click()
    glance = page.get_by_test_id("sync-glance")
    glance.get_by_text("Needs attention").wait_for()
    runs = page.get_by_test_id("recent-runs")
    runs.get_by_text("Failed").first.wait_for()
    screenshot(page, "support-2-organization")

    # The failed run: its error, and what it changed (nothing: a failed fetch removes nobody).
    runs.get_by_role("link", name=f"#{failed.pk}").click()
    error = page.get_by_test_id("run-error")
    error.get_by_text("DirectoryAccessDenied").wait_for()
    assert "cannot access the G Suite Directory" in error.inner_text()
    page.get_by_test_id("run-changes").get_by_text("No changes counted.").wait_for()
    screenshot(page, "support-3-failed-run")

    # The customer gives the rights back; support runs a full sync from the run's page.
    synced.ops.user_make_admin(email=f"admin@{D}")
    page.get_by_role("button", name="Run a full sync of Acme now").click()
    page.wait_for_url(re.compile(r"/support/integrations/syncrun/\d+/change/"))
    run = SyncRun.objects.get(trigger=SyncRun.Trigger.SUPPORT)
    assert page.url.endswith(f"/support/integrations/syncrun/{run.pk}/change/")
    page.get_by_text(f"Acme: full sync #{run.pk} queued.").wait_for()
    page.get_by_test_id("run-outcome").get_by_text("Queued").wait_for()
    screenshot(page, "support-4-sync-queued")

    sync_run_execute(run_id=run.pk)  # what a worker does with the queued run
    page.reload()
    page.get_by_test_id("run-outcome").get_by_text("Succeeded").wait_for()
    changes = page.get_by_test_id("run-changes")
    changes.get_by_role("link", name=f"new.hire@{D}").wait_for()
    screenshot(page, "support-5-sync-succeeded")

    # The new hire is in Hearth; her page tells her story so far.
    changes.get_by_role("link", name=f"new.hire@{D}").click()
    story = page.get_by_test_id("story")
    story.get_by_role("link", name="Created").wait_for()
    story.get_by_role("link", name=f"#{run.pk}").wait_for()
    screenshot(page, "support-6-person")

    page.get_by_role("link", name="Acme").first.click()
    page.get_by_test_id("sync-glance").get_by_text("Active").wait_for()
    screenshot(page, "support-7-organization-active")

    assert User.objects.get(email=f"new.hire@{D}").status == User.Status.ACTIVE
    event = AuditEvent.objects.get(action="support.sync_started")
    assert (event.acting_user, event.organization) == (support, synced.organization)
    assert violations == []


def test_resync_the_people_of_a_ticket_from_the_organizations_page(live_server, page, synced):
    """The help article's promise: "send us the email addresses of the affected users"."""
    violations = Violations()
    violations.watch(page.context)
    support = SupportFactory(email="sam@hearth.example")
    synced.ops.user_add(email=f"new.hire@{D}", given_name="Nina", family_name="Hire")
    page.goto(f"{live_server.url}/support/login/")
    page.get_by_label("Email").fill(support.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/support/organizations/organization/{synced.organization.pk}/change/")

    page.get_by_role("button", name="Re-sync people…").click()
    page.get_by_role("heading", name="Re-sync people of Acme from Google").wait_for()
    page.get_by_label("Email addresses").fill(f"new.hire@{D}\nnobody@{D}")
    screenshot(page, "support-resync-form")
    page.get_by_role("button", name="Re-sync now").click()

    # Back on Acme's page, with what happened to each address.
    page.wait_for_url(re.compile(rf"/organization/{synced.organization.pk}/change/"))
    page.get_by_text(f"new.hire@{D}: Created 1").wait_for()
    page.get_by_text(f"nobody@{D}: no change").wait_for()
    screenshot(page, "support-resync-done")
    assert User.objects.get(email=f"new.hire@{D}").first_name == "Nina"
    assert violations == []
