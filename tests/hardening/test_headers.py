"""Security headers on every page Hearth serves: CSP, frame denial, referrer policy, COOP.

The same settings serve tests, local runs and production (config/settings/base.py); production's
own additions (HSTS, HTTPS) are checked in tests/test_deploy_check.py.
"""

import re
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from tests.usermanagement.factories import AdminFactory, StaffFactory

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("visitor", "/accounts/login/"),
        ("visitor", "/accounts/signup/"),
        ("visitor", "/accounts/password/reset/"),
        ("visitor", "/no-such-page/"),
        ("admin", "/panel/integrations/"),
        ("admin", "/panel/integrations/g-suite/install/"),
        ("admin", "/panel/users/people/"),
        ("staff", "/support/"),
        ("staff", "/support/organizations/organization/"),
    ],
)
def test_every_page_sends_the_security_headers(client, who, path):
    if who == "admin":
        client.force_login(AdminFactory())
    elif who == "staff":
        client.force_login(StaffFactory())

    response = client.get(path)

    assert response.status_code in (200, 404)
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]  # no inline script, no handler, no eval
    assert csp["style-src"] == ["'self'"]
    assert "style-src-attr" not in csp
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"][0] == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_whose_url_is_a_secret_never_send_it_as_referer(client, secret_urls):
    # strict-origin: at most the origin, never the path. (no-referrer would make browsers send
    # "Origin: null" with these pages' forms, refused by CSRF: tests/invitations' browser test.)
    colleague = secret_urls.colleague
    pages = {
        "finalize link, signed out (redirected to sign in)": secret_urls.finalize,
        "invitation": secret_urls.invitation,
        "email confirmation": secret_urls.confirm_email,
        "password reset": secret_urls.password_reset,
        "a 404 under a secret": secret_urls.invitation + "typo/",
        "sign-in carrying a secret URL in ?next=": reverse("account_login")
        + "?next="
        + secret_urls.finalize,
    }
    for what, url in pages.items():
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "strict-origin", what

    client.force_login(colleague)
    response = client.get(secret_urls.finalize)
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "strict-origin"
    # and the page it leads to is an ordinary one again
    assert client.get(response.url).headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_only_the_email_preview_allows_inline_style_attributes(staff_client):
    from notifications.models import EmailLog

    log = EmailLog.objects.create(
        recipient="jane@acme.example", template="test_email", subject="Test", body_html="<p>x</p>"
    )

    preview = policy(staff_client.get(f"/support/notifications/emaillog/{log.pk}/change/"))
    listing = policy(staff_client.get("/support/notifications/emaillog/"))

    assert preview["style-src-attr"] == ["'unsafe-inline'"]
    assert preview["script-src"] == ["'self'"] and preview["style-src"] == ["'self'"]
    assert "style-src-attr" not in listing


def test_the_google_sandbox_sends_no_hearth_csp(google_sandbox):
    # The sandbox is a test tool with inline scripts on its own server; never in production.
    response = requests.get(f"{google_sandbox.url}/marketplace/hearth", timeout=30)

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers


INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "an inline style attribute"),
    (re.compile(r"<style\b", re.I), "an inline <style>"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_handlers_or_styles():
    """The browser test sees the main pages; this sees every template, also the rare ones."""
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        relative = template.relative_to(TEMPLATES).as_posix()
        # The sandbox has its own server and no CSP; emails are not web pages (mail clients
        # only honour inline styles).
        if relative.startswith(("googlesandbox/", "notifications/email/")):
            continue
        text = template.read_text()
        offenders += [f"{relative}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert not offenders
