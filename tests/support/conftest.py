"""Fixtures of the support console's tests: a support user's client, and Acme connected to the
Google sandbox (the fixtures of tests/integrations/sync)."""

import pytest

from tests.integrations.sync.conftest import Acme, acme, connected  # noqa: F401 (fixtures)
from tests.support.factories import SupportFactory


@pytest.fixture(autouse=True)
def support_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://hearth.test"
    settings.GOOGLE_RETRY_BASE_SECONDS = 0.01
    settings.GOOGLE_RETRY_CAP_SECONDS = 0.05
    return settings


@pytest.fixture
def support_user(db):
    return SupportFactory(email="sam@hearth.example", first_name="Sam", last_name="Support")


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def synced(connected) -> Acme:  # noqa: F811
    """Acme after its first full sync."""
    run = connected.sync()
    assert run.status == "succeeded", run.error_message
    return connected
