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
from .sync.planning import REMOVAL_KINDS

# How many of a held plan's removals a page lists by name (the total is always shown).
HELD_SHOWN = 500


def held_plans(*, organization) -> list[dict]:
    """Plans waiting for review, each with exactly who would be removed: the run, up to
    HELD_SHOWN (change, person) pairs and the total (one query for the changes and one for the
    people, per pending plan — there is rarely more than one)."""
    plans = []
    pending = SyncRun.objects.filter(organization=organization, review=SyncRun.Review.PENDING)
    for run in pending:
        changes = list(
            run.changes.filter(applied=False, kind__in=REMOVAL_KINDS).order_by("object_repr")[
                :HELD_SHOWN
            ]
        )
        people = User.objects.filter(organization=organization).in_bulk(
            [int(change.object_id) for change in changes if change.object_id.isdigit()]
        )
        plans.append(
            {
                "run": run,
                "removals": [
                    (change, people.get(int(change.object_id or 0))) for change in changes
                ],
                "total": len(run.held_removals),
            }
        )
    return plans


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
