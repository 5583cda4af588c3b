"""Fixtures of the hardening suite: real secrets in real URLs, and everything the logs print."""

import io
import logging
import re
import secrets
import threading

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.core.servers.basehttp import (
    ThreadedWSGIServer,
    WSGIRequestHandler,
    get_internal_wsgi_application,
)
from django.urls import reverse

from config.logging import RedactSecretsFilter
from integrations.models import Integration
from invitations.services import invitation_send
from tests.integrations.factories import IntegrationFactory
from tests.usermanagement.factories import AdminFactory, UserFactory


@pytest.fixture
def log_output():
    """What the logs print, from every logger at every level, while the test runs.

    The stream of the one configured handler (config/logging.py) is swapped for a buffer, and
    every logger is opened down to DEBUG — stricter than production, which logs from INFO.
    """
    root = logging.getLogger()
    (handler,) = [
        h for h in root.handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    loggers = [root] + [
        logger for logger in root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)
    for logger in loggers:
        if logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        handler.setStream(previous_stream)
        for logger, level in levels.items():
            logger.setLevel(level)


@pytest.fixture
def dev_server(transactional_db):
    """Hearth served over HTTP by runserver's own server and request handler, whose access
    lines ("GET /path HTTP/1.1" 200) go to the django.server logger. Yields its base URL."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=True)
    server.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class SecretURLs:
    """One URL of each kind that carries a secret, with a real secret in it.

    `secrets` are the strings that must never appear in a log or a Referer.
    """

    def __init__(self, client):
        admin = AdminFactory()
        organization = admin.organization
        self.admin = admin

        self.colleague = AdminFactory(organization=organization)
        integration = IntegrationFactory(
            organization=organization,
            state=Integration.State.WAITING_FOR_ADMIN,
            sync_account=self.colleague,
            requested_by=admin,
            request_token=secrets.token_urlsafe(32),
        )
        self.finalize = reverse(
            "integrations:finalize_link", kwargs={"token": integration.request_token}
        )

        invitation = invitation_send(
            organization=organization, email=f"new@{organization.primary_domain}",
            acting_user=admin,
        )
        self.invitation = reverse("invitations:accept", kwargs={"token": invitation.token})

        unconfirmed = UserFactory(organization=organization)
        address = EmailAddress.objects.get(user=unconfirmed)
        address.verified = False
        address.save()
        confirmation_key = EmailConfirmationHMAC(address).key
        self.confirm_email = reverse("account_confirm_email", kwargs={"key": confirmation_key})

        mail.outbox.clear()
        client.post(reverse("account_reset_password"), {"email": admin.email})
        (message,) = mail.outbox
        self.password_reset = re.search(
            r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body
        ).group(1)
        reset_key = self.password_reset.rstrip("/").rsplit("-", 1)[-1]

        self.oidc_code = "oidc-code-" + secrets.token_urlsafe(16)
        self.oidc_callback = (
            "/accounts/oidc/google/login/callback/"
            f"?code={self.oidc_code}&state=state-{self.oidc_code}"
        )

        self.secrets = {
            "finalize token": integration.request_token,
            "invitation token": invitation.token,
            "email confirmation key": confirmation_key,
            "password reset key": reset_key,
            "OAuth authorization code": self.oidc_code,
        }

    @property
    def pages(self) -> list[str]:
        return [self.finalize, self.invitation, self.confirm_email, self.password_reset]


@pytest.fixture
def secret_urls(client):
    return SecretURLs(client)
