"""End to end through a real Celery worker: Redis -> worker -> the EmailLog in PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from notifications.models import EmailLog
from notifications.services import email_logs_create
from notifications.tasks import email_deliver

REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def worker_queue():
    """A worker consuming a queue of its own (tests may share Redis) on this test's database.

    It delivers to its own in-memory outbox; the log row is what the test can see.
    """
    queue = f"test-email-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}"
        ),
        "EMAIL_URL": "memorymail://",
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", queue),
        *("--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=WARNING"),
    ]
    worker = subprocess.Popen(command, cwd=REPOSITORY, env=environment)
    yield queue
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def test_a_real_worker_delivers_and_records_the_email(worker_queue):
    (log,) = email_logs_create(
        template="test_email", to="ada@acme.example", context={}, organization=None
    )

    email_deliver.apply_async(args=[log.pk], queue=worker_queue)

    deadline = time.monotonic() + 60
    while log.status == EmailLog.Status.QUEUED:
        assert time.monotonic() < deadline, "the worker did not deliver within 60 s"
        time.sleep(0.25)
        log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT
    assert log.attempts == 1
    assert log.sent_at is not None
