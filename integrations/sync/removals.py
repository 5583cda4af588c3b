"""A run's removals — people, groups, memberships — judged together, applied or held together.

Flow (the engine calls it once every listing completed, under the run's lease):
1. `RemovalPlan` gathers what the run would remove: people deactivated or archived
   (UserSync.removals), groups deleted (GroupSync.deletions) and memberships removed
   (GroupSync.member_removals). None of them was written while the run fetched.
2. `removals_judge` counts them against the organization's limits (planning.removal_limits)
   over a rolling 24 hours: what the sync removed on its own in that window (runs that
   succeeded) is added to this run's plan, so deletions trickled over several runs are held as
   surely as one mass deletion — and a one-person run of real-time sync is judged like a full
   one. Removals an admin approved in a review do not count: a person decided them.
3. `removals_settle` applies all of them, or holds all of them for review: SyncChange rows with
   applied=False and the entries of SyncRun.held_removals that integrations.sync.review approves
   or rejects. A held run removes nobody, no group and no membership; its creates and updates
   (safe) were applied as the pages came.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from usermanagement.models import Group, GroupMembership, User

from ..models import Integration, SyncRun
from . import planning
from .apply import GroupRemoval, GroupSync, MembershipRemoval, Removal, UserSync

WINDOW = timedelta(hours=24)
PEOPLE_KINDS = tuple(planning.REMOVAL_KINDS)
GROUP_KINDS = ("group_delete",)
MEMBERSHIP_KINDS = ("member_remove",)


@dataclass
class RemovalPlan:
    people: list[Removal] = field(default_factory=list)
    groups: list[GroupRemoval] = field(default_factory=list)
    memberships: list[MembershipRemoval] = field(default_factory=list)

    def counts(self) -> planning.Removals:
        return planning.Removals(len(self.people), len(self.groups), len(self.memberships))


@dataclass(frozen=True)
class Verdict:
    proposed: planning.Removals
    recent: planning.Removals
    limits: planning.Removals
    over: tuple[str, ...]

    @property
    def held(self) -> bool:
        return bool(self.over)

    def note(self) -> str:
        """Why the plan waits for review, in words an admin and support both understand."""
        parts = []
        for kind in self.over:
            planned, recent = getattr(self.proposed, kind), getattr(self.recent, kind)
            label = planning.REMOVAL_LABELS[kind]
            earlier = f" (plus {recent:,} removed in the last 24 hours)" if recent else ""
            parts.append(
                f"{planned:,} removals of {label}{earlier} exceed the safety threshold of "
                f"{getattr(self.limits, kind):,} a day"
            )
        return "; ".join(parts) + ". Held for review: nothing was removed."


def removals_recent(*, organization, now=None) -> planning.Removals:
    """What syncs of the organization removed on their own in the last 24 hours."""
    now = now or timezone.now()
    people = groups = memberships = 0
    for counts in (
        SyncRun.objects.filter(
            organization=organization,
            status=SyncRun.Status.SUCCEEDED,
            finished_at__gte=now - WINDOW,
        )
        .exclude(mode=SyncRun.Mode.DRY_RUN)
        .values_list("counts", flat=True)
    ):
        people += sum(counts.get(kind, 0) for kind in PEOPLE_KINDS)
        groups += sum(counts.get(kind, 0) for kind in GROUP_KINDS)
        memberships += sum(counts.get(kind, 0) for kind in MEMBERSHIP_KINDS)
    return planning.Removals(people, groups, memberships)


def removals_judge(
    *, plan: RemovalPlan, integration: Integration, active_people: int | None = None
) -> Verdict:
    """May the plan's removals be applied without review? (A few count queries; none when the
    plan removes nothing.)"""
    proposed = plan.counts()
    empty = planning.Removals()
    if not proposed:
        return Verdict(proposed, empty, empty, ())
    organization = integration.organization
    if active_people is None:
        active_people = User.objects.filter(
            organization=organization, status=User.Status.ACTIVE
        ).count()
    limits = planning.removal_limits(
        active_people=active_people,
        groups=Group.objects.filter(organization=organization).count(),
        memberships=GroupMembership.objects.filter(organization=organization).count(),
        people_override=integration.deactivation_threshold,
    )
    recent = removals_recent(organization=organization)
    over = planning.removals_over(proposed=proposed, recent=recent, limits=limits)
    return Verdict(proposed, recent, limits, tuple(over))


def removals_settle(
    *,
    plan: RemovalPlan,
    verdict: Verdict,
    run: SyncRun,
    users: UserSync | None,
    groups: GroupSync | None,
) -> None:
    """Apply every removal of the plan, or hold every one of them (one transaction)."""
    if not plan.counts():
        return
    writer = users or groups
    with writer.writing():
        if verdict.held:
            held = []
            if users is not None:
                held += users.removals_hold(plan.people)
            if groups is not None:
                held += groups.removals_hold(plan.groups, plan.memberships)
            run.held_removals = held
            run.note = verdict.note()
        else:
            if users is not None:
                users.removals_apply(plan.people)
            if groups is not None:
                groups.removals_apply(plan.groups, plan.memberships)
        writer.recorder.flush()
