"""No secret reaches the logs: the tokens of secret URLs, OAuth codes, passwords.

Every kind of secret URL is requested with a real secret over HTTP, served by runserver's own
handler, so that all three request loggers speak: django-structlog's request events, Django's
`django.request` ("Not Found: /path") and `django.security.csrf` lines, and runserver's access
lines (`django.server`). Everything printed by every logger at every level is searched.
"""

import re

import pytest
import requests
from django.test import Client
from django.urls import reverse

from config.security import REDACTED
from tests.usermanagement.factories import AdminFactory


def test_secret_urls_are_redacted_in_every_log_line(dev_server, secret_urls, log_output):
    colleague = Client()
    colleague.force_login(secret_urls.colleague)
    signed_in = requests.Session()
    signed_in.cookies.set("sessionid", colleague.cookies["sessionid"].value)
    visitor = requests.Session()

    for url in secret_urls.pages:
        visitor.get(dev_server + url, timeout=30)  # the page (or the sign-in it redirects to)
        visitor.get(dev_server + url + "typo/", timeout=30)  # a 404 under the secret
        visitor.post(dev_server + url, data={"x": "1"}, timeout=30)  # 403: no CSRF token
    finalize = signed_in.get(dev_server + secret_urls.finalize, timeout=30)
    visitor.get(dev_server + secret_urls.oidc_callback, timeout=30)

    assert finalize.history, "the colleague's finalize link redirects to the wizard"
    printed = log_output.getvalue()
    for what, secret in secret_urls.secrets.items():
        assert secret not in printed, f"the {what} is in the logs"
    # The lines are there, redacted: runserver's access line, django-structlog's events,
    # Django's "Not Found" and CSRF refusals, the sign-in redirect's ?next=.
    assert f'"GET /invitations/{REDACTED}/ HTTP/1.1" 200' in printed
    assert f"request='GET /invitations/{REDACTED}/'" in printed
    assert f"Not Found: /invitations/{REDACTED}/typo/" in printed
    assert re.search(rf"Forbidden \(CSRF [^)]*\): /invitations/{re.escape(REDACTED)}/", printed)
    assert f"/accounts/login/?next=/panel/integrations/g-suite/finalize/{REDACTED}/" in printed
    assert f"code={REDACTED}" in printed


@pytest.mark.django_db
def test_a_failed_sign_in_logs_neither_the_password_nor_the_attempt_in_clear(client, log_output):
    admin = AdminFactory()
    password = "Wr0ng-but-real-looking-passphrase!"

    response = client.post(reverse("account_login"), {"login": admin.email, "password": password})

    assert response.status_code == 200  # the form again, with its error
    printed = log_output.getvalue()
    assert "request_finished" in printed
    assert password not in printed
