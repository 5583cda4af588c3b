"""Fixtures shared by the whole suite: a real Chromium for browser tests and the factories."""

import os
from pathlib import Path

import pytest

# The Google sandbox on its own live server, and Hearth's service-account key (every test).
pytest_plugins = ["tests.googlesandbox.fixtures"]

# Playwright's sync API keeps an event loop running in the test thread; Django refuses ORM
# calls from such a thread unless told that this is deliberate. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser context (no cookies) per test; a screenshot is kept when it fails."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    browser_page = context.new_page()
    yield browser_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        browser_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"))
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def screenshot(page, name: str) -> None:
    """Keep a picture of a step (test-artifacts/ is git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
