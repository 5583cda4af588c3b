"""Review of held sync plans: approve applies the held removals, reject drops them.

Both are audited and act only on a run whose review is pending (a superseded run's plan is
replaced by the later one's).
"""

from django.db import transaction

from audit.services import audit_record
from usermanagement.models import User

from .errors import IntegrationStateError
from .models import SyncRun
from .sync.apply import held_apply


def _pending(run: SyncRun) -> SyncRun:
    run = SyncRun.objects.select_for_update().select_related("organization").get(pk=run.pk)
    if run.review != SyncRun.Review.PENDING:
        raise IntegrationStateError("This sync plan is not waiting for review.")
    return run


@transaction.atomic
def sync_plan_approve(*, run: SyncRun, acting_user: User | None) -> int:
    """Apply a held run's removals (re-checked person by person); returns how many."""
    run = _pending(run)
    applied = held_apply(run=run, approve=True, acting_user=acting_user)
    run.review = SyncRun.Review.APPROVED
    run.save(update_fields=["review"])
    audit_record(
        organization=run.organization,
        acting_user=acting_user,
        action="sync.plan_approved",
        target=run,
        details={"removals": applied},
    )
    return applied


@transaction.atomic
def sync_plan_reject(*, run: SyncRun, acting_user: User | None) -> None:
    """Drop a held run's removals: nobody is removed; Google's state is remembered so the same
    removals are not proposed again until Google changes."""
    run = _pending(run)
    held_apply(run=run, approve=False, acting_user=acting_user)
    run.review = SyncRun.Review.REJECTED
    run.save(update_fields=["review"])
    audit_record(
        organization=run.organization,
        acting_user=acting_user,
        action="sync.plan_rejected",
        target=run,
        details={"removals": len(run.held_removals)},
    )
