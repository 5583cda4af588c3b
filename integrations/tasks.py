"""Celery tasks of the G Suite sync. Thin: they take ids and call integrations.sync.runs.

All are `acks_late` with reject-on-worker-lost: a worker killed mid-run gets its message
redelivered, and the run's lock lease and status make the redelivery safe (a finished run is a
no-op; a run whose lease expired is executed again from the start — every step is idempotent).
"""

from celery import shared_task

from integrations.sync import runs


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_run_execute(run_id: int) -> None:
    runs.sync_run_execute(run_id=run_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_schedule_due() -> None:
    """Every minute: enqueue a full sync of each organization whose interval has elapsed."""
    runs.sync_schedule_due()
