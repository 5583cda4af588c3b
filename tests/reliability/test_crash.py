"""Crash: a real Celery worker killed (SIGKILL) in the middle of a first sync.

The run is left *running* with half the people written; its lease (4 s here, through
SYNC_LOCK_LEASE_SECONDS) runs out; the schedule resumes it as a new attempt — without the
broker's redelivery — on a second worker, and the run converges: every person exactly once,
each created once, and a following sync finds nothing left to do.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from integrations.models import SyncChange, SyncLock, SyncRun
from integrations.tasks import sync_run_execute, sync_schedule_due
from usermanagement.models import Group, User

ROOT = Path(__file__).resolve().parents[2]
D = "acme.example"
LEASE_SECONDS = 4
pytestmark = [pytest.mark.slow]


class Workers:
    """Celery worker processes on a queue of this test, against this test's database and the
    sandbox of this test."""

    def __init__(self, sandbox, broker_url: str):
        self.queue = f"crash-{uuid.uuid4().hex[:8]}"
        database = connection.settings_dict
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "CELERY_BROKER_URL": broker_url,
            "GOOGLE_TOKEN_URI": sandbox.token_uri,
            "GOOGLE_API_ENDPOINT": sandbox.api_endpoint,
            "GOOGLE_SERVICE_ACCOUNT_KEY_FILE": str(sandbox.key_file),
            "SYNC_LOCK_LEASE_SECONDS": str(LEASE_SECONDS),
            "GOOGLE_RETRY_BASE_SECONDS": "0.01",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=20)


@pytest.fixture
def workers(connected, settings):
    pool = Workers(connected.sandbox, settings.CELERY_BROKER_URL)
    yield pool
    pool.stop()


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_a_worker_killed_mid_sync_is_resumed_and_converges(connected, workers, monkeypatch):
    connected.sandbox.seed(D, users=4000, groups=300, members_per_group=20, admins=1)
    # Google's latency, so that the run is still going when the worker dies
    connected.ops.faults_set(domain=D, latency_ms=15)
    organization = connected.organization
    first_worker = workers.start()
    run = SyncRun.objects.create(
        organization=organization, trigger=SyncRun.Trigger.SCHEDULE, status="queued"
    )
    sync_run_execute.apply_async(args=[run.pk], queue=workers.queue)

    wait_for(
        lambda: User.objects.filter(organization=organization).count() > 1000,
        timeout=90,
        what="the first worker to write people",
    )
    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=20)

    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING and run.attempt == 1
    written = User.objects.filter(organization=organization).count()
    assert written < 4000, "the run finished before the worker was killed"
    assert not Group.objects.filter(organization=organization).exists()

    # Nothing happens while the dead worker's lease is live ...
    assert sync_schedule_due() == []
    # ... and at the first schedule tick after it ran out, the run is resumed on a worker.
    wait_for(
        lambda: SyncLock.objects.filter(
            organization=organization, expires_at__lt=timezone.now()
        ).exists(),
        timeout=LEASE_SECONDS + 10,
        what="the dead worker's lease to run out",
    )
    dispatched = []
    monkeypatch.setattr(
        sync_run_execute,
        "delay",
        # the resumed run's message, routed to this test's queue
        lambda run_id: dispatched.append(
            sync_run_execute.apply_async(args=[run_id], queue=workers.queue)
        ),
    )
    workers.start()
    resumed = sync_schedule_due()
    assert [r.pk for r in resumed] == [run.pk] and len(dispatched) == 1

    wait_for(
        lambda: SyncRun.objects.filter(pk=run.pk)
        .exclude(status=SyncRun.Status.RUNNING)
        .exists(),
        timeout=120,
        what="the resumed run to finish",
    )
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert run.attempt == 2

    people = User.objects.filter(organization=organization)
    assert people.count() == 4000
    assert people.values("google_id").distinct().count() == 4000
    creates = (
        SyncChange.objects.filter(run__organization=organization, kind="create")
        .values("google_id")
        .annotate(times=Count("id"))
    )
    assert creates.count() == 4000 - 1  # the admin was adopted, everyone else created once
    assert {row["times"] for row in creates} == {1}
    assert Group.objects.filter(organization=organization).count() == 300
    assert SyncRun.objects.filter(organization=organization).count() == 1

    connected.ops.faults_set(domain=D, latency_ms=0)
    # the run is recorded before its worker lets go of the lock (statistics, emails follow)
    wait_for(
        lambda: SyncLock.objects.filter(organization=organization, holder="").exists(),
        timeout=30,
        what="the resumed run to release the lock",
    )
    again = connected.sync()
    assert again.status == SyncRun.Status.SUCCEEDED
    assert again.counts == {}
