"""The one place that knows which URLs carry secrets (config/security.py), found in the URLconf."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from config.security import (
    REDACTED,
    SECRET_URL_PARAMETERS,
    carries_secret,
    redact_secrets,
    secret_routes,
)

# URL parameters that are identifiers, not credentials (the support console's object ids,
# a catch-all path). A new string parameter must be added here or to SECRET_URL_PARAMETERS.
NOT_SECRET = {"object_id", "content_type_id", "app_label", "url", "id"}


def _parameters(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _parameters(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            converters = getattr(pattern.pattern, "converters", {})
            for name in pattern.pattern.regex.groupindex:
                if not isinstance(converters.get(name), IntConverter):
                    yield name, str(pattern.pattern)


def test_the_secret_urls_are_found_in_the_urlconf():
    assert {route.name for route in secret_routes()} == {
        "finalize_link",  # /panel/integrations/g-suite/finalize/<token>/
        "accept",  # /invitations/<token>/
        "account_confirm_email",  # /accounts/confirm-email/<key>/
        "account_reset_password_from_key",  # /accounts/password/reset/key/<uidb36>-<key>/
    }


def test_every_string_url_parameter_is_classified_as_secret_or_not():
    unclassified = {
        (name, route)
        for name, route in _parameters(get_resolver().url_patterns)
        if name not in SECRET_URL_PARAMETERS | NOT_SECRET
    }
    assert not unclassified, "secret or not? config/security.py decides: " + repr(unclassified)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /invitations/s3cr3t/", f"GET /invitations/{REDACTED}/"),
        ("Not Found: /invitations/s3cr3t/typo", f"Not Found: /invitations/{REDACTED}/typo"),
        (
            '"GET /invitations/s3cr3t HTTP/1.1" 301 0',
            f'"GET /invitations/{REDACTED} HTTP/1.1" 301 0',
        ),
        (
            "/panel/integrations/g-suite/finalize/s3cr3t/",
            f"/panel/integrations/g-suite/finalize/{REDACTED}/",
        ),
        ("/accounts/confirm-email/MQ:1tV:s3cr3t/", f"/accounts/confirm-email/{REDACTED}/"),
        (
            "/accounts/password/reset/key/1b-cv4s3cr3t-abc123/",
            f"/accounts/password/reset/key/{REDACTED}-{REDACTED}",
        ),
        (
            "https://hearth.example/invitations/s3cr3t/ was sent",
            f"https://hearth.example/invitations/{REDACTED}/ was sent",
        ),
        (
            "GET /accounts/login/?next=%2Finvitations%2Fs3cr3t%2F",
            f"GET /accounts/login/?next=/invitations/{REDACTED}/",
        ),
        (
            "GET /accounts/oidc/google/login/callback/?code=s3cr3t&state=s3cr3t2&x=1",
            f"GET /accounts/oidc/google/login/callback/?code={REDACTED}&state={REDACTED}&x=1",
        ),
    ],
)
def test_secrets_in_urls_are_redacted(text, expected):
    assert redact_secrets(text) == expected
    assert "s3cr3t" not in redact_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "GET /invitations/new/",  # the invite form, not a token
        "GET /panel/users/people/42/?q=jane&status=active",
        "GET /support/usermanagement/user/7/change/",
        "/work/main/.venv/lib/python3.11/site-packages/django/core/handlers/base.py",
        "no path here",
    ],
)
def test_everything_else_is_left_as_it_is(text):
    assert redact_secrets(text) == text
    assert not carries_secret(text)
