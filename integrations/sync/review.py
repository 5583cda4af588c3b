"""Review of held sync plans, and what a rejection keeps against G Suite.

A held run's plan (SyncRun.held_removals, written by integrations.sync.removals) lists every
removal it would have made: people to deactivate or archive, groups to delete, memberships to
remove; its SyncChange rows (applied=False) say why, one by one. Approve and reject act only on
a run whose review is pending (a superseded run's plan is replaced by the later one's),
re-check each entry against what Hearth holds now, record who decided and when on the run, and
are audited. The G Suite settings page, the review pages and the support console call the same
functions.

- Approve: people still in the state the run saw are deactivated/archived (never the last
  Hearth admin), groups and memberships that still exist are removed; their changes become
  applied; seats follow.
- Reject: nothing is removed and nothing is recorded as done: the run's changes stay
  unapplied, and pages name them "rejected — kept". Google's state is remembered on each
  person, and the groups and memberships are marked kept (`kept_since`), so the same removals
  are not proposed again until Google changes them.
- Kept against G Suite (`kept_against_google`): everyone and everything a decision keeps
  although G Suite removed them — people whose Hearth status is still more than Google's state
  allows (a rejected removal, the last admin kept), groups and memberships marked kept. An admin
  revisits that decision with `kept_release`, which applies the removal now (audited; never the
  last admin who can sign in).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import audit_record
from licenses.services import seats_reconcile
from usermanagement import services as directory
from usermanagement.models import GoogleState, Group, GroupMembership, User
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


def _decided(run: SyncRun, review: str, acting_user) -> None:
    run.review = review
    run.reviewed_by = acting_user
    run.reviewed_at = timezone.now()


def held_changes(run: SyncRun) -> QuerySet[SyncChange]:
    """Every removal of a held plan, as the run recorded it (people first, then groups and
    memberships, each by name): the review page pages through them."""
    return run.changes.filter(applied=False).order_by("object_type", "object_repr", "id")


def held_counts(run: SyncRun) -> dict[str, int]:
    """How many people, groups and memberships the plan removes (what a confirmation says)."""
    return {
        "people": len(_entries(run, "user")),
        "groups": len(_entries(run, "group")),
        "memberships": len(_entries(run, "membership")),
    }


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
    _decided(run, SyncRun.Review.APPROVED, acting_user)
    people = _people_decide(run, approve=True, acting_user=acting_user)
    groups, memberships = _groups_decide(run, approve=True)
    for object_type, pks in (("user", people), ("group", groups), ("membership", memberships)):
        SyncChange.objects.filter(
            run=run, object_type=object_type, object_id__in=[str(pk) for pk in pks], applied=False
        ).update(applied=True)
    # Approved removals release seats (policy) and the waiting line gets them.
    seats_reconcile(organization=run.organization, acting_user=acting_user)
    run.save(update_fields=["review", "reviewed_by", "reviewed_at"])
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
    _decided(run, SyncRun.Review.REJECTED, acting_user)
    _people_decide(run, approve=False, acting_user=acting_user)
    groups, memberships = _groups_decide(run, approve=False)
    run.save(update_fields=["review", "reviewed_by", "reviewed_at"])
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


# --- kept against G Suite ---------------------------------------------------------------------


@dataclass
class Kept:
    people: QuerySet[User]
    groups: QuerySet[Group]
    memberships: QuerySet[GroupMembership]

    def __bool__(self) -> bool:
        return self.people.exists() or self.groups.exists() or self.memberships.exists()


def _kept_people_q() -> Q:
    """Hearth's status is more than Google's state allows: active while suspended, or not
    archived while deleted or gone from G Suite."""
    return Q(google_state=GoogleState.SUSPENDED, status=User.Status.ACTIVE) | Q(
        google_state__in=[GoogleState.DELETED, GoogleState.MISSING],
        status__in=[User.Status.ACTIVE, User.Status.DEACTIVATED],
    )


def kept_against_google(*, organization) -> Kept:
    """Who and what Hearth keeps although G Suite removed them (a rejected review, the last
    admin kept), for the review page to list and release."""
    return Kept(
        people=User.objects.filter(organization=organization, google_id__isnull=False)
        .filter(_kept_people_q())
        .order_by("last_name", "first_name", "email"),
        groups=Group.objects.filter(organization=organization, kept_since__isnull=False).order_by(
            "email"
        ),
        memberships=GroupMembership.objects.filter(
            organization=organization, kept_since__isnull=False
        )
        .select_related("group", "user")
        .order_by("group__email", "member_email"),
    )


@dataclass
class Released:
    people: list[int]
    groups: list[int]
    memberships: list[int]
    kept_admin: int | None = None


@transaction.atomic
def kept_release(
    *,
    organization,
    acting_user: User | None,
    people=(),
    groups=(),
    memberships=(),
) -> Released:
    """Stop keeping these against G Suite: apply what Google says now. People are deactivated
    or archived as their Google state says (never the last admin who can sign in), groups and
    memberships removed; seats follow. Anything no longer kept is left alone."""
    kept = kept_against_google(organization=organization)
    targets = list(
        kept.people.filter(pk__in=list(people)).only("pk", "status", "google_state", "role")
    )
    changes = [(p.pk, STATUS_FOR_STATE[p.google_state], p.google_state) for p in targets]
    leaving = [
        p.pk for p in targets if p.role == User.Role.ADMIN and p.status == User.Status.ACTIVE
    ]
    kept_admin = None
    if leaving:
        remaining = admins_active(organization=organization).count() - len(leaving)
        kept_admin = last_admin_kept(
            leaving, remaining=remaining, prefer=getattr(acting_user, "pk", None)
        )
        changes = [change for change in changes if change[0] != kept_admin]
    directory.people_status_change(
        organization=organization,
        changes=changes,
        acting_user=acting_user,
        reason="Kept against G Suite after a review; released by an admin",
    )
    group_pks = list(kept.groups.filter(pk__in=list(groups)).values_list("pk", flat=True))
    membership_pks = list(
        kept.memberships.filter(pk__in=list(memberships)).values_list("pk", flat=True)
    )
    directory.memberships_apply(organization=organization, add=[], update=[], remove=membership_pks)
    directory.groups_delete_synced(pks=group_pks)
    seats_reconcile(organization=organization, acting_user=acting_user)
    released = Released([c[0] for c in changes], group_pks, membership_pks, kept_admin)
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="sync.kept_released",
        target=None,
        details={
            "people": released.people,
            "groups": released.groups,
            "memberships": released.memberships,
            "kept_admin": kept_admin,
        },
    )
    return released
