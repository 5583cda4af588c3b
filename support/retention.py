"""History that does not grow forever: old sync runs (with their changes) and email logs pruned.

Every night (`support.tasks.history_prune`, declared in config/periodic_tasks.py),
`history_prune` deletes:
- sync runs finished more than RETENTION_SYNC_RUNS_DAYS ago, with their per-object changes;
  held plans and runs that failed after RETENTION_SYNC_RUNS_WITH_ERRORS_DAYS (what support is
  asked about months later). Never a run not yet finished, a plan still waiting for review, or
  an organization's latest run (its last word on the sync stays, however old);
- email logs older than RETENTION_EMAIL_LOG_DAYS, except those not sent yet.
The audit log is never pruned.

A first sync of 100,000 people leaves 100,000 changes behind one run, so nothing is loaded
whole: runs go in batches, their changes in chunks of a few thousand rows (each DELETE its own
short transaction, by primary key), then the runs themselves; emails the same way. A prune
interrupted half-way leaves only fewer old rows; the next night finishes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from integrations.models import SyncChange, SyncRun
from notifications.models import EmailLog

logger = structlog.get_logger(__name__)

RUNS_BATCH = 500
ROWS_CHUNK = 5000

FINISHED = [
    SyncRun.Status.SUCCEEDED,
    SyncRun.Status.FAILED,
    SyncRun.Status.HELD,
    SyncRun.Status.SKIPPED,
]
# Kept for the longer period: what went wrong, and what a person had to decide.
WITH_ERRORS = Q(status__in=[SyncRun.Status.FAILED, SyncRun.Status.HELD]) | ~Q(error_class="")


@dataclass
class Pruned:
    runs: int = 0
    changes: int = 0
    emails: int = 0


def runs_prunable(*, now: datetime):
    """The runs old enough to go (see the module docstring), as a queryset."""
    plain_before = now - timedelta(days=settings.RETENTION_SYNC_RUNS_DAYS)
    errors_before = now - timedelta(days=settings.RETENTION_SYNC_RUNS_WITH_ERRORS_DAYS)
    latest = (
        SyncRun.objects.order_by().values("organization").annotate(latest=Max("pk")).values("latest")
    )
    return (
        SyncRun.objects.filter(status__in=FINISHED)
        .exclude(review=SyncRun.Review.PENDING)
        .filter(
            (~WITH_ERRORS & Q(created_at__lt=plain_before))
            | (WITH_ERRORS & Q(created_at__lt=errors_before))
        )
        .exclude(pk__in=latest)
    )


def history_prune(*, now: datetime | None = None) -> Pruned:
    """Delete the history older than its retention period; returns what was deleted."""
    now = now or timezone.now()
    pruned = Pruned()
    runs = runs_prunable(now=now).order_by("pk").values_list("pk", flat=True)
    while batch := list(runs[:RUNS_BATCH]):
        pruned.changes += _delete_in_chunks(SyncChange.objects.filter(run_id__in=batch))
        with transaction.atomic():
            # Their changes are gone: this deletes the runs and unlinks what points at them.
            pruned.runs += SyncRun.objects.filter(pk__in=batch).delete()[1].get(
                SyncRun._meta.label, 0
            )
    emails_before = now - timedelta(days=settings.RETENTION_EMAIL_LOG_DAYS)
    pruned.emails = _delete_in_chunks(
        EmailLog.objects.filter(created_at__lt=emails_before).exclude(
            status=EmailLog.Status.QUEUED
        )
    )
    logger.info("history_pruned", runs=pruned.runs, changes=pruned.changes, emails=pruned.emails)
    return pruned


def _delete_in_chunks(queryset) -> int:
    """Delete the rows of `queryset` ROWS_CHUNK at a time, by primary key (models without
    dependants: each chunk is one DELETE)."""
    deleted = 0
    pks = queryset.order_by("pk").values_list("pk", flat=True)
    while chunk := list(pks[:ROWS_CHUNK]):
        count, _ = queryset.model.objects.filter(pk__in=chunk).delete()
        deleted += count
    return deleted
