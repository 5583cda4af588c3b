"""The admin's main pages in a real browser at 1280 px and 375 px (issue 16): the G Suite card,
G Suite Settings, the review of a held plan and the People list — each screenshotted
(test-artifacts/a11y-<page>-<width>.png, to be looked at), never wider than the screen, and
checked with axe-core (the npm package pinned in package.json, installed by `make test`,
injected by Playwright) with no serious or critical violation.

axe is injected as an init script (the DevTools protocol, which the pages' Content-Security-
Policy does not govern), so the pages are checked exactly as they are served.
"""

from pathlib import Path

import pytest

from integrations import services
from integrations.models import Integration, SyncRun
from integrations.sync.runs import sync_run_now
from tests.conftest import screenshot
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DOMAIN = "acme.example"
WIDTHS = (1280, 375)
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (impact, rule, where)."""
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )


def check(page, name: str, width: int) -> None:
    """Screenshot, no sideways scrolling, and no serious or critical axe violation."""
    page.wait_for_load_state("networkidle")
    screenshot(page, f"a11y-{name}-{width}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        # name the widest culprits: the outermost elements that stick out
        culprits = page.evaluate(
            """() => [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth
                             && !e.parentElement.closest(".table-responsive"))
                .slice(0, 8).map(e => e.tagName + "." + e.className)"""
        )
        pytest.fail(f"{name} at {width} px scrolls sideways by {overflow} px: {culprits}")
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{name} at {width} px: {blocking}"


@pytest.fixture
def browser_page(chromium, request):
    width = request.param
    assert AXE.exists(), "axe-core is missing: run `make test` (npm ci) first"
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    yield page, width
    context.close()


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/panel/")


@pytest.fixture
def acme_held(google_sandbox):
    """Acme synced from the sandbox, with a plan of 12 removals held for review."""
    google_sandbox.seed(DOMAIN, users=40, groups=3, members_per_group=6, admins=1)
    organization = OrganizationFactory(name="Acme Corp", primary_domain=DOMAIN, seats_purchased=30)
    admin = AdminFactory(organization=organization, email=f"admin@{DOMAIN}")
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    SyncRun.objects.filter(organization=organization).delete()
    emails = [f"leaver{n}@{DOMAIN}" for n in range(12)]
    for email in emails:
        google_sandbox.ops.user_add(
            email=email, org_unit_path="/Sales/Enterprise Accounts/North America East"
        )
    sync_run_now(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    for email in emails:
        google_sandbox.ops.user_delete(email=email)
    held = sync_run_now(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    assert held.status == SyncRun.Status.HELD
    return organization, admin, held


@pytest.mark.parametrize("browser_page", WIDTHS, indirect=True)
def test_the_main_pages_at_both_widths_pass_axe(live_server, browser_page, acme_held):
    page, width = browser_page
    _organization, admin, held = acme_held
    sign_in(page, live_server, admin.email)

    page.goto(f"{live_server.url}/panel/integrations/")
    page.get_by_test_id("held-review-link").wait_for()
    assert "A full sync every 15 minutes" in page.get_by_test_id("sync-schedule").inner_text()
    check(page, "card", width)

    page.goto(f"{live_server.url}/panel/users/g-suite-settings/")
    page.get_by_role("heading", name="Integration").wait_for()
    check(page, "settings", width)

    page.goto(f"{live_server.url}/panel/users/g-suite-settings/runs/{held.pk}/review/")
    page.get_by_test_id("held-removals").wait_for()
    check(page, "review", width)
    # the confirmation of an approval, too
    page.get_by_role("button", name="Approve: remove 12 people…").click()
    page.get_by_test_id("confirm-step").wait_for()
    check(page, "review-confirm", width)

    page.goto(f"{live_server.url}/panel/users/")
    page.get_by_test_id("people").wait_for()
    check(page, "people", width)


@pytest.mark.parametrize("browser_page", WIDTHS, indirect=True)
def test_a_long_right_to_left_name_neither_squeezes_the_card_nor_flips_the_header(
    live_server, browser_page
):
    page, width = browser_page
    organization = OrganizationFactory(name="Acme Corp", primary_domain=DOMAIN)
    asker = AdminFactory(
        organization=organization,
        email=f"admin@{DOMAIN}",
        first_name="\u202eAda",  # a right-to-left override: "adA" if it were obeyed
        last_name="Admin",
    )
    colleague = AdminFactory(
        organization=organization,
        email=f"maximiliana.wolfeschlegelsteinhausenbergerdorff@{DOMAIN}",
        first_name="Maximiliana Josephina Theodora",
        last_name="Wolfeschlegelsteinhausenbergerdorff-Montgomery",
    )
    services.integration_request_admin(
        organization=organization, colleague=colleague, acting_user=asker
    )
    assert Integration.objects.get(organization=organization).state == "waiting_for_admin"
    sign_in(page, live_server, asker.email)
    page.goto(f"{live_server.url}/panel/integrations/")
    card = page.get_by_test_id("gsuite-card")
    card.wait_for()
    header = page.get_by_test_id("signed-in-person").inner_text()
    assert header.startswith("Ada") and "\u202e" not in header
    badge = page.get_by_test_id("gsuite-status").bounding_box()
    box = card.bounding_box()
    assert badge["x"] + badge["width"] <= box["x"] + box["width"] + 1
    title = page.locator("#gsuite-card-title").bounding_box()
    assert title["width"] >= 60  # "G Suite" is not squeezed to nothing by the name
    check(page, "card-waiting", width)
