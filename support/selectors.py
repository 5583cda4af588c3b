"""What the console's story pages read: a person's history in one list, an organization's
sync at a glance, a run's changes. Each is a fixed number of indexed queries, whatever the size
of the organization or of the history.

`person_story` answers "why did Jane lose access on Tuesday?": her sync changes (with the run
that made each), the emails sent to her, and the audit events about her or by her — one list,
newest first.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, Q
from django.utils import timezone

from audit.models import AuditEvent
from integrations.models import Integration, SyncChange, SyncLock, SyncRun
from integrations.realtime.health import realtime_health
from licenses.models import PersonLicense
from notifications.models import EmailLog
from organizations.models import Organization
from usermanagement.models import GroupMembership, User

STORY_LIMIT = 100  # of each source; the newest are what a ticket asks about
RECENT = 10
CHANGES_SHOWN = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _value(value) -> str:
    if value in ("", None, [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def diff_text(diff: dict) -> str:
    """A change's diff in one line: "status: active → deactivated; reason: ..."."""
    parts = []
    for name, change in (diff or {}).items():
        if isinstance(change, list | tuple) and len(change) == 2:
            parts.append(f"{name}: {_value(change[0])} → {_value(change[1])}")
        else:
            parts.append(f"{name}: {_value(change)}")
    return "; ".join(parts)


def details_text(details: dict) -> str:
    return "; ".join(f"{name}: {_value(value)}" for name, value in (details or {}).items())


@dataclass(frozen=True)
class StoryEntry:
    when: datetime | None
    source: str  # "sync", "email", "audit"
    what: str
    detail: str
    obj: object  # the row, for its link
    run: SyncRun | None = None
    problem: bool = False


def _run_time(run: SyncRun) -> datetime | None:
    return run.finished_at or run.started_at or run.created_at


def person_story(*, person: User, limit: int = STORY_LIMIT) -> list[StoryEntry]:
    """Everything that happened to a person, newest first (four queries)."""
    entries = []
    changes = (
        SyncChange.objects.filter(object_type="user", object_id=str(person.pk))
        .select_related("run")
        .order_by("-id")[:limit]
    )
    for change in changes:
        held = "" if change.applied else " (held for review, not applied)"
        entries.append(
            StoryEntry(
                when=_run_time(change.run),
                source="sync",
                what=f"{change.get_kind_display()}{held}",
                detail=diff_text(change.diff),
                obj=change,
                run=change.run,
                problem=change.kind in (SyncChange.Kind.DEACTIVATE, SyncChange.Kind.ARCHIVE),
            )
        )
    addresses = list(
        dict.fromkeys([person.email, person.email.lower(), *(a.lower() for a in person.aliases)])
    )
    for log in EmailLog.objects.filter(recipient__in=addresses).order_by("-created_at")[:limit]:
        error = f": {log.last_error}" if log.last_error else ""
        entries.append(
            StoryEntry(
                when=log.created_at,
                source="email",
                what=f"Email “{log.subject}”",
                detail=f"{log.template} — {log.get_status_display().lower()}{error}",
                obj=log,
                problem=log.status == EmailLog.Status.FAILED,
            )
        )
    about = AuditEvent.objects.filter(
        target_type=User._meta.label_lower, target_id=str(person.pk)
    ).order_by("-created_at")[:limit]
    by = AuditEvent.objects.filter(acting_user=person).order_by("-created_at")[:limit]
    seen = set()
    for event in [*about, *by]:
        if event.pk in seen:
            continue
        seen.add(event.pk)
        actor = event.acting_user_repr or "the sync (system)"
        entries.append(
            StoryEntry(
                when=event.created_at,
                source="audit",
                what=event.action,
                detail=f"by {actor}; {details_text(event.details)}".rstrip("; "),
                obj=event,
                problem=event.action
                in ("person.deactivated", "person.archived", "license.released"),
            )
        )
    return sorted(entries, key=lambda entry: entry.when or EPOCH, reverse=True)


def person_memberships(*, person: User, limit: int = STORY_LIMIT):
    return (
        GroupMembership.objects.filter(user=person).select_related("group").order_by("group__email")
    )[:limit]


def person_license(*, person: User) -> PersonLicense | None:
    return PersonLicense.objects.filter(person=person).first()


@dataclass(frozen=True)
class LockState:
    holder: str
    expires_at: datetime | None
    run_id: int | None

    @property
    def live(self) -> bool:
        return bool(self.holder and self.expires_at and self.expires_at >= timezone.now())

    @property
    def stale(self) -> bool:
        return bool(self.holder) and not self.live


def lock_state(*, organization: Organization) -> LockState | None:
    lock = SyncLock.objects.filter(organization=organization).first()
    if lock is None:
        return None
    run_id = None
    if lock.holder.startswith("run-"):
        number = lock.holder[4:].split("@", 1)[0]
        run_id = int(number) if number.isdigit() else None
    return LockState(holder=lock.holder, expires_at=lock.expires_at, run_id=run_id)


def organization_overview(*, organization: Organization) -> dict:
    """The sync of an organization at a glance: integration, lock, seats, people, recent runs,
    held plans, the integration's state history and recent emails (a query each)."""
    integration = (
        Integration.objects.select_related("sync_account", "requested_by")
        .filter(organization=organization)
        .first()
    )
    people = dict(
        User.objects.filter(organization=organization)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    seats_used = PersonLicense.objects.filter(
        organization=organization, state=PersonLicense.State.LICENSED
    ).count()
    runs = SyncRun.objects.filter(organization=organization)
    history = (
        AuditEvent.objects.filter(
            target_type=Integration._meta.label_lower, target_id=str(integration.pk)
        ).order_by("-created_at")[:15]
        if integration
        else []
    )
    return {
        "integration": integration,
        "lock": lock_state(organization=organization),
        "realtime": realtime_health(organization_id=organization.pk),
        "seats_used": seats_used,
        "seats_total": organization.seats_purchased,
        "people": {status.label: people.get(status.value, 0) for status in User.Status},
        "recent_runs": list(runs.order_by("-created_at", "-id")[:RECENT]),
        "held_plans": list(runs.filter(review=SyncRun.Review.PENDING).order_by("-created_at")),
        "state_history": list(history),
        "recent_emails": list(
            EmailLog.objects.filter(organization=organization).order_by("-created_at")[:RECENT]
        ),
    }


def run_overview(*, run: SyncRun) -> dict:
    """A run's changes: how many of each kind (from its counts) and the first ones."""
    changes = list(run.changes.order_by("id")[:CHANGES_SHOWN])
    people = User.objects.in_bulk(
        [int(c.object_id) for c in changes if c.object_type == "user" and c.object_id.isdigit()]
    )

    def person(change):
        if change.object_type != "user" or not change.object_id.isdigit():
            return None
        return people.get(int(change.object_id))

    return {
        "changes": [(change, person(change), diff_text(change.diff)) for change in changes],
        "changes_shown": CHANGES_SHOWN,
        # (kind, n, listed?): seat counts are not SyncChange rows, so nothing to list for them
        "counts": [
            (kind, n, kind in SyncChange.Kind.values) for kind, n in sorted(run.counts.items())
        ],
        "held": run.review == SyncRun.Review.PENDING,
        "removals_held": sum(1 for entry in run.held_removals if entry.get("type") == "user"),
    }


def people_matching(*, term: str) -> Q:
    """People whose name, email or alias contains `term` (the trigram-indexed search column)."""
    return Q(search_text__contains=term.strip().lower())
