from dataclasses import dataclass, field
from pathlib import Path

import pytest
from celery.signals import after_task_publish

from tests.notifications.backends import FlakyEmailBackend
from tests.notifications.broker import broker_messages_remove

TEST_TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def email_settings(settings):
    """locmem delivery, a fixed site and product, and the test-only email templates."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://hearth.test"
    settings.PRODUCT_NAME = "Hearth"
    settings.DEFAULT_FROM_EMAIL = "Hearth <no-reply@hearth.test>"
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = templates
    return settings


@pytest.fixture
def flaky_backend(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyEmailBackend"
    FlakyEmailBackend.errors = []
    yield FlakyEmailBackend
    FlakyEmailBackend.errors = []


@dataclass
class PublishedTasks:
    calls: list[tuple[str, tuple]] = field(default_factory=list)  # (task name, args)
    ids: list[str] = field(default_factory=list)


@pytest.fixture
def published_tasks():
    """Task messages the broker accepted during the test.

    No worker consumes them, so they are removed from the broker afterwards.
    """
    published = PublishedTasks()

    def record(sender=None, headers=None, body=None, **kwargs):
        published.calls.append((sender, tuple(body[0])))
        published.ids.append(headers["id"])

    after_task_publish.connect(record, weak=False)
    yield published
    after_task_publish.disconnect(record)
    broker_messages_remove(set(published.ids))
