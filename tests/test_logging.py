"""The request id bound while handling a request travels with the tasks it enqueues."""

import pytest
import structlog
from celery.signals import before_task_publish

from config.celery_app import app as celery_app
from usermanagement.tasks import sessions_clear_expired


@pytest.fixture
def published_headers():
    captured: list[dict] = []

    def capture(headers=None, **kwargs):
        captured.append(dict(headers))

    before_task_publish.connect(capture, weak=False)
    yield captured
    before_task_publish.disconnect(capture)


def test_a_task_published_during_a_request_carries_its_request_id(published_headers):
    queue = "test-logging-request-id"  # consumed by nobody; purged below
    with structlog.contextvars.bound_contextvars(request_id="req-42"):
        sessions_clear_expired.apply_async(queue=queue)

    (headers,) = published_headers
    assert headers["__django_structlog__"]["request_id"] == "req-42"
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)
