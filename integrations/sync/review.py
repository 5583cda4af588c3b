"""Review of held sync plans: approve applies the held removals, reject keeps everything.

A held run's plan (SyncRun.held_removals, written by integrations.sync.removals) lists every
removal it would have made: people to deactivate or archive, groups to delete, memberships to
remove. Approve and reject act only on a run whose review is pending (a superseded run's plan
is replaced by the later one's), re-check each entry against what Hearth holds now, and are
audited.

- Approve: people still in the state the run saw are deactivated/archived (never the last
  Hearth admin), groups and memberships that still exist are removed; seats follow.
- Reject: nothing is removed. Google's state is remembered on each person, and the groups and
  memberships are marked kept (`kept_since`), so the same removals are not proposed again
  until Google changes them.
"""

from django.db import transaction

from audit.services import audit_record
from licenses.services import seats_reconcile
from usermanagement import services as directory
from usermanagement.models import Group, GroupMembership, User
from usermanagement.rules import last_admin_kept
from usermanagement.selectors import admins_active

from ..errors import IntegrationStateError
from ..models import SyncChange, SyncRun
from .planning import REMOVAL_KINDS, STATUS_FOR_STATE

# How many of a held plan's removals a page lists by name (the total is always shown).
HELD_SHOWN = 500


def _entries(run: SyncRun, kind: str) -> list[dict]:
    return [entry for entry in run.held_removals if entry.get("type") == kind]


def held_plans(*, organization) -> list[dict]:
    """Plans waiting for review, each with exactly who would be removed: the run, up to
    HELD_SHOWN (change, person) pairs, the number of people, groups and memberships (one query
    for the changes and one for the people, per pending plan — there is rarely more than one)."""
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
                "total": len(_entries(run, "user")),
                "groups": len(_entries(run, "group")),
                "memberships": len(_entries(run, "membership")),
            }
        )
    return plans


def _pending(run: SyncRun) -> SyncRun:
    run = SyncRun.objects.select_for_update().select_related("organization").get(pk=run.pk)
    if run.review != SyncRun.Review.PENDING:
        raise IntegrationStateError("This sync plan is not waiting for review.")
    return run


def _people_decide(run: SyncRun, *, approve: bool, acting_user) -> list[int]:
    """Apply (approve) or keep (reject) the held people; returns the pks removed."""
    organization = run.organization
    entries = _entries(run, "user")
    current = {
        p.pk: p
        for p in User.objects.filter(
            organization=organization, pk__in=[entry["pk"] for entry in entries]
        ).only("pk", "status", "google_state", "role", "email")
    }
    changes, silent = [], {}
    for entry in entries:
        person, to_state = current.get(entry["pk"]), entry["state"]
        if person is None or person.google_state == to_state:
            continue  # gone, or Google's state already followed
        if approve:
            changes.append((person.pk, STATUS_FOR_STATE[to_state], to_state))
        else:
            silent.setdefault(to_state, []).append(person.pk)
    if approve:
        # Never the last admin, even on approval (usermanagement.rules.last_admin_kept).
        leaving = {
            change[0]: change
            for change in changes
            if current[change[0]].role == User.Role.ADMIN
            and current[change[0]].status == User.Status.ACTIVE
        }
        admins = admins_active(organization=organization).count() if leaving else 0
        kept = last_admin_kept(leaving, remaining=admins - len(leaving))
        if kept is not None:
            keep = leaving[kept]
            changes.remove(keep)
            silent.setdefault(keep[2], []).append(keep[0])
        directory.people_status_change(
            organization=organization,
            changes=changes,
            acting_user=acting_user,
            reason=f"Held sync #{run.pk} approved",
        )
    for google_state, pks in silent.items():
        directory.people_google_state_set(pks=pks, google_state=google_state)
    return [pk for pk, _status, _state in changes]


def _groups_decide(run: SyncRun, *, approve: bool) -> tuple[list[int], list[int]]:
    """Remove (approve) or keep (reject) the held groups and memberships that still exist."""
    organization = run.organization
    group_pks = list(
        Group.objects.filter(
            organization=organization, pk__in=[e["pk"] for e in _entries(run, "group")]
        ).values_list("pk", flat=True)
    )
    membership_pks = list(
        GroupMembership.objects.filter(
            organization=organization, pk__in=[e["pk"] for e in _entries(run, "membership")]
        ).values_list("pk", flat=True)
    )
    if approve:
        directory.memberships_apply(
            organization=organization, add=[], update=[], remove=membership_pks
        )
        directory.groups_delete_synced(pks=group_pks)
    else:
        directory.groups_kept_set(pks=group_pks, kept=True)
        directory.memberships_kept_set(pks=membership_pks, kept=True)
    return group_pks, membership_pks


@transaction.atomic
def sync_plan_approve(*, run: SyncRun, acting_user: User | None) -> int:
    """Apply a held run's removals (re-checked one by one); returns how many people."""
    run = _pending(run)
    people = _people_decide(run, approve=True, acting_user=acting_user)
    groups, memberships = _groups_decide(run, approve=True)
    for object_type, pks in (("user", people), ("group", groups), ("membership", memberships)):
        SyncChange.objects.filter(
            run=run, object_type=object_type, object_id__in=[str(pk) for pk in pks], applied=False
        ).update(applied=True)
    # Approved removals release seats (policy) and the waiting line gets them.
    seats_reconcile(organization=run.organization, acting_user=acting_user)
    run.review = SyncRun.Review.APPROVED
    run.save(update_fields=["review"])
    audit_record(
        organization=run.organization,
        acting_user=acting_user,
        action="sync.plan_approved",
        target=run,
        details={"removals": len(people), "groups": len(groups), "memberships": len(memberships)},
    )
    return len(people)


@transaction.atomic
def sync_plan_reject(*, run: SyncRun, acting_user: User | None) -> None:
    """Drop a held run's removals: nothing is removed, and the same removals are not proposed
    again until Google changes."""
    run = _pending(run)
    _people_decide(run, approve=False, acting_user=acting_user)
    groups, memberships = _groups_decide(run, approve=False)
    run.review = SyncRun.Review.REJECTED
    run.save(update_fields=["review"])
    audit_record(
        organization=run.organization,
        acting_user=acting_user,
        action="sync.plan_rejected",
        target=run,
        details={
            "removals": len(_entries(run, "user")),
            "groups": len(groups),
            "memberships": len(memberships),
        },
    )
