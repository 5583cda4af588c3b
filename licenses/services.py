"""Every change to seats. Views, the sync and the support console call these; nothing else
writes PersonLicense, LicensePolicy or SeatAlert rows.

`seats_reconcile` is the one set-based pass the sync runs at the end of its people apply (under
the organization's sync lock) and admins can trigger ("Give free seats to the waiting line"):

1. lock the organization row (every license write takes it, so the sync and an admin clicking
   never hand out the same seat twice) and read the policy;
2. create rows for people seen for the first time — those eligible for auto-assign join the
   waiting line at their arrival (date_joined), so that a seat goes to whoever came first;
3. release the seats of deactivated/archived people (at once, or after the policy's grace
   period, counted from when a run first saw them inactive);
4. refresh the line: people who became inactive or ineligible leave it, restored people rejoin
   at the end;
5. give the free seats to the earliest-waiting active people;
6. email the admins when usage crosses 90% or runs out (once per crossing, see SeatAlert).

Each step is one or two statements over the whole organization (pks are read once, then one
UPDATE ... WHERE pk IN and one audit INSERT), so the number of queries does not grow with the
number of people.

A sync run that read a few named people (a push or activity-feed refresh) passes them as
`people`: steps 2-4 look at those people only, and steps 5-6 run only when those steps changed
something. Nothing else can have changed for the rest of the organization since the last pass
(every manual change and every full run makes one), except the grace periods ending, which the
hourly `seats_grace_release` task releases — so a one-person run costs a few indexed queries
instead of five passes over every seat (150 ms at 100,000 people).

Manual changes (`license_assign` / `license_unassign`) take a selection of people, a group or
an org unit; assigning more people than there are free seats assigns nobody and says so
(SeatsExhausted). An organization always keeps at least one licensed, active Hearth admin.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audit.services import audit_record, audit_record_rows
from config.bulk import any_of
from notifications.links import absolute_url
from notifications.services import email_send
from organizations.models import Organization
from usermanagement.models import Group, GroupMembership, User
from usermanagement.rules import last_admin_kept
from usermanagement.selectors import admins_active
from usermanagement.services import people_sessions_end

from .models import LicensePolicy, PersonLicense, SeatAlert

LICENSED, UNLICENSED = PersonLicense.State.LICENSED, PersonLicense.State.UNLICENSED
EVERYONE = Q()  # the people a pass looks at when it is not told whom


class LicenseError(Exception):
    """A license change that cannot be made; the message is shown to the admin as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SeatsExhausted(LicenseError):
    def __init__(self, *, needed: int, free: int):
        self.needed, self.free = needed, free
        people = "person" if needed == 1 else "people"
        if free == 0:
            message = (
                f"No seats left: all seats are in use, so the {needed} {people} selected did not "
                "get one. Unassign seats or ask Hearth support for more."
            )
        else:
            seats = "seat is" if free == 1 else "seats are"
            message = (
                f"Not enough seats: {needed} {people} selected, but only {free} {seats} free. "
                "Nobody was assigned; select fewer people or ask Hearth support for more seats."
            )
        super().__init__(message)


@dataclass
class SeatsResult:
    created: int = 0
    assigned: list[int] = field(default_factory=list)  # person pks
    released: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    kept: int | None = None  # the last licensed admin, whose seat an unassign left alone
    alerts: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Counts for a SyncRun (only the kinds that happened)."""
        counts = {"seat_assign": len(self.assigned), "seat_release": len(self.released)}
        return {kind: count for kind, count in counts.items() if count}


# --- policy and eligibility -------------------------------------------------------------------


def _org_unit_normal(path: str) -> str:
    return "/" + path.strip().strip("/")


def org_unit_q(paths: Iterable[str], *, prefix: str = "") -> Q:
    """People in any of these org units (sub-units included); Q() when "/" is among them."""
    query = Q(pk__in=[])
    for raw in paths:
        path = _org_unit_normal(raw)
        if path == "/":
            return Q()
        query |= Q(**{f"{prefix}org_unit_path": path}) | Q(
            **{f"{prefix}org_unit_path__startswith": f"{path}/"}
        )
    return query


def _eligible_q(policy: LicensePolicy, *, prefix: str = "") -> Q:
    """Who joins the waiting line (and so gets free seats automatically).

    Hearth admins always do, whatever the policy: an organization must not lock its own admins
    out by turning auto-assign off. People Hearth did not get from Google (the admin who
    signed up, invited admins) are never excluded by an org-unit choice.
    """
    admins = Q(**{f"{prefix}role": User.Role.ADMIN})
    if not policy.auto_assign:
        return admins
    if not policy.auto_assign_org_units:
        return Q()
    return (
        admins
        | Q(**{f"{prefix}google_id__isnull": True})
        | org_unit_q(policy.auto_assign_org_units, prefix=prefix)
    )


def auto_assign_eligible(
    policy: LicensePolicy, *, google_id, org_unit_path: str, is_admin: bool = False
) -> bool:
    """The same rule as _eligible_q, for one person in Python."""
    if is_admin:
        return True
    if not policy.auto_assign:
        return False
    if not policy.auto_assign_org_units or google_id is None:
        return True
    for raw in policy.auto_assign_org_units:
        path = _org_unit_normal(raw)
        if path == "/" or org_unit_path == path or org_unit_path.startswith(f"{path}/"):
            return True
    return False


def license_policy_get(*, organization: Organization) -> LicensePolicy:
    policy, _ = LicensePolicy.objects.get_or_create(organization=organization)
    return policy


def _lock(organization: Organization) -> Organization:
    """The organization row, locked for the transaction: serialises every license write."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


# --- the reconcile pass ------------------------------------------------------------------------


def _rows_create(
    organization: Organization, policy: LicensePolicy, now: datetime, people: Q = EVERYONE
) -> int:
    """Rows for people without one, in one INSERT ... SELECT (no rows travel through Python:
    the first sync of 100,000 people creates 100,000 rows). The eligible active ones join the
    line at their arrival (date_joined).

    The INSERT leaves out whoever has a row through ON CONFLICT, which asks the unique index one
    person at a time, and not through a join with the table it is filling: the planner joins a
    table it believes empty (analyzed before the first sync) by re-reading it whole for every
    person, and it grows under the statement — 100,000 people took a minute, not a second."""
    people_in_scope = User.objects.filter(people, organization=organization).order_by()
    if not people_in_scope.filter(license__isnull=True).exists():
        return 0  # the usual re-sync: nothing written
    eligible = Q(status=User.Status.ACTIVE) & _eligible_q(policy)
    select = (
        people_in_scope.annotate(
            line=Case(When(eligible, then=F("date_joined")), default=None),
            at=Value(now, output_field=DateTimeField()),
        )
        .values_list("organization_id", "pk", "line", "at")
    )
    select_sql, params = select.query.sql_with_params()
    table = PersonLicense._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, person_id, waiting_since, updated_at, "
            f"state, unassigned_by_admin) SELECT line_rows.*, %s, %s FROM ({select_sql}) "
            # SQLite needs a WHERE before an upsert clause on INSERT ... SELECT, or it parses
            # ON CONFLICT as part of a join (`make run` uses SQLite).
            "line_rows WHERE true ON CONFLICT (person_id) DO NOTHING",
            [UNLICENSED, False, *params],
        )
        return cursor.rowcount


def _release_inactive(
    organization: Organization, policy: LicensePolicy, now: datetime, acting_user, people: Q
) -> list[int]:
    licensed = PersonLicense.objects.filter(people, organization=organization, state=LICENSED)
    inactive = ~Q(person__status=User.Status.ACTIVE)
    if policy.release_after_days:
        # Grace period: remember when a run first saw the person inactive; forget it if they
        # came back; release once the period is over.
        newly_inactive = list(
            licensed.filter(inactive, inactive_since__isnull=True).values_list("pk", flat=True)
        )
        back = list(
            licensed.filter(
                person__status=User.Status.ACTIVE, inactive_since__isnull=False
            ).values_list("pk", flat=True)
        )
        if newly_inactive:
            PersonLicense.objects.filter(pk__in=newly_inactive).update(inactive_since=now)
        if back:
            PersonLicense.objects.filter(pk__in=back).update(inactive_since=None)
        due = licensed.filter(
            inactive, inactive_since__lte=now - timedelta(days=policy.release_after_days)
        )
    else:
        due = licensed.filter(inactive)
    rows = list(due.values_list("pk", "person_id", "person__email", "person__status"))
    if not rows:
        return []
    PersonLicense.objects.filter(any_of("pk", [row[0] for row in rows])).update(
        state=UNLICENSED,
        released_at=now,
        waiting_since=None,
        inactive_since=None,
        updated_at=now,
    )
    audit_record_rows(
        organization=organization,
        acting_user=acting_user,
        action="license.released",
        target_model=User,
        targets=[
            (
                person_pk,
                email,
                {"reason": f"person {status}", "grace_days": policy.release_after_days},
            )
            for _pk, person_pk, email, status in rows
        ],
    )
    return [row[1] for row in rows]


def _line_refresh(
    organization: Organization, policy: LicensePolicy, now: datetime, people: Q
) -> bool:
    """People who became inactive or ineligible leave the line; restored ones rejoin at its end.
    Whether anyone did.

    The pks are read first so that a pass with nothing to change writes nothing.
    """
    unlicensed = PersonLicense.objects.filter(people, organization=organization, state=UNLICENSED)
    eligible = _eligible_q(policy, prefix="person__")
    in_line = unlicensed.filter(waiting_since__isnull=False)
    leaving = list(
        in_line.filter(~Q(person__status=User.Status.ACTIVE) | ~eligible).values_list(
            "pk", flat=True
        )
    )
    joining = list(
        unlicensed.filter(
            eligible,
            waiting_since__isnull=True,
            unassigned_by_admin=False,
            person__status=User.Status.ACTIVE,
        ).values_list("pk", flat=True)
    )
    if leaving:
        PersonLicense.objects.filter(pk__in=leaving).update(waiting_since=None, updated_at=now)
    if joining:
        PersonLicense.objects.filter(pk__in=joining).update(waiting_since=now, updated_at=now)
    return bool(leaving or joining)


def _used(organization: Organization) -> int:
    return PersonLicense.objects.filter(organization=organization, state=LICENSED).count()


def _assign_rows(
    organization: Organization, rows: list[tuple[int, int, str]], *, now, acting_user, reason: str
) -> list[int]:
    """Give seats to (license pk, person pk, email) rows: one UPDATE, one audit INSERT."""
    if not rows:
        return []
    PersonLicense.objects.filter(any_of("pk", [row[0] for row in rows])).update(
        state=LICENSED,
        assigned_at=now,
        waiting_since=None,
        released_at=None,
        inactive_since=None,
        unassigned_by_admin=False,
        updated_at=now,
    )
    audit_record_rows(
        organization=organization,
        acting_user=acting_user,
        action="license.assigned",
        target_model=User,
        targets=[(person_pk, email, {"reason": reason}) for _pk, person_pk, email in rows],
    )
    return [row[1] for row in rows]


# Seats given per step of the waiting line: a first sync of 100,000 people assigns them all,
# and one step's rows and audit events are what the syncing process holds in memory.
ASSIGN_CHUNK = 5000


def _assign_waiting(organization: Organization, now, acting_user, *, free: int) -> list[int]:
    """Seats for the first `free` people of the line, in order, a chunk at a time (each chunk
    leaves the line, so the next query starts where it ended)."""
    assigned: list[int] = []
    line = (
        PersonLicense.objects.filter(
            organization=organization,
            state=UNLICENSED,
            waiting_since__isnull=False,
            person__status=User.Status.ACTIVE,
        )
        .order_by("waiting_since", "person_id")
        .values_list("pk", "person_id", "person__email")
    )
    while len(assigned) < free:
        rows = list(line[: min(ASSIGN_CHUNK, free - len(assigned))])
        if not rows:
            break
        assigned += _assign_rows(
            organization, rows, now=now, acting_user=acting_user, reason="waiting line"
        )
    return assigned


def _licenses_link() -> str:
    try:
        return absolute_url(reverse("usermanagement:licenses"))
    except NoReverseMatch:
        return absolute_url("/panel/users/licenses/")


def _alerts_check(organization: Organization, *, used: int, total: int) -> list[str]:
    """Open an alert (and email) when usage crosses a level; clear alerts that no longer hold."""
    reached = []
    if total > 0 and used * 10 >= total * 9:
        reached.append(SeatAlert.Kind.NINETY_PERCENT)
    if total > 0 and used >= total:
        reached.append(SeatAlert.Kind.EXHAUSTED)
    open_kinds = set(
        SeatAlert.objects.filter(organization=organization, cleared_at__isnull=True).values_list(
            "kind", flat=True
        )
    )
    gone = open_kinds - set(reached)
    if gone:
        SeatAlert.objects.filter(
            organization=organization, cleared_at__isnull=True, kind__in=gone
        ).update(cleared_at=timezone.now())
    new = [kind for kind in reached if kind not in open_kinds]
    if not new:
        return []
    # Running out implies the 90% crossing: one email, for the bigger news.
    email_kind = SeatAlert.Kind.EXHAUSTED if SeatAlert.Kind.EXHAUSTED in new else new[0]
    SeatAlert.objects.bulk_create(
        [
            SeatAlert(
                organization=organization,
                kind=kind,
                used=used,
                total=total,
                emailed=kind == email_kind,
            )
            for kind in new
        ]
    )
    admins = list(admins_active(organization=organization).values_list("email", flat=True))
    waiting = PersonLicense.objects.filter(
        organization=organization, state=UNLICENSED, waiting_since__isnull=False
    ).count()
    email_send(
        template=f"seats_{email_kind}",
        to=admins,
        context={
            "organization_name": organization.name,
            "used": used,
            "total": total,
            "free": max(total - used, 0),
            "waiting": waiting,
            "licenses_url": _licenses_link(),
            "support_email": settings.SUPPORT_EMAIL,
        },
        organization=organization,
    )
    audit_record(
        organization=organization,
        acting_user=None,
        action=f"license.alert_{email_kind}",
        details={"used": used, "total": total},
    )
    return [email_kind]


def seats_reconcile(
    *,
    organization: Organization,
    acting_user: User | None = None,
    now: datetime | None = None,
    people: Collection[int] | None = None,
) -> SeatsResult:
    """The set-based pass over an organization's seats (see the module docstring); with
    `people` (pks), the pass after a sync run that read only them."""
    now = now or timezone.now()
    with transaction.atomic():
        organization = _lock(organization)
        policy = license_policy_get(organization=organization)
        result = SeatsResult()
        scope = EVERYONE if people is None else Q(pk__in=list(people))
        person_scope = EVERYONE if people is None else Q(person_id__in=list(people))
        result.created = _rows_create(organization, policy, now, scope)
        result.released = _release_inactive(organization, policy, now, acting_user, person_scope)
        line_changed = _line_refresh(organization, policy, now, person_scope)
        if people is not None and not (result.created or result.released or line_changed):
            return result  # the rest of the organization is as the last pass left it
        used = _used(organization)
        result.assigned = _assign_waiting(
            organization, now, acting_user, free=organization.seats_purchased - used
        )
        used += len(result.assigned)
        result.alerts = _alerts_check(organization, used=used, total=organization.seats_purchased)
    return result


# --- manual changes -----------------------------------------------------------------------------


def _targets(
    organization: Organization,
    *,
    people: Iterable[User | int] = (),
    group: Group | None = None,
    org_unit: str | None = None,
):
    """The license rows of a selection, a group's members (direct or inherited) or an org unit."""
    query = Q(person_id__in=[p.pk if isinstance(p, User) else int(p) for p in people])
    if group is not None:
        if group.organization_id != organization.pk:
            raise LicenseError("That group belongs to another organization.")
        query |= Q(
            person_id__in=GroupMembership.objects.filter(
                group=group, user__isnull=False
            ).values("user_id")
        )
    if org_unit:
        query |= org_unit_q([org_unit], prefix="person__")
    return PersonLicense.objects.filter(query, organization=organization)


def seat_holders_selected(
    *,
    organization: Organization,
    people: Iterable[User | int] = (),
    group: Group | None = None,
    org_unit: str | None = None,
) -> list[int]:
    """Who in a selection holds a seat now (what unassigning it would take away): the pks,
    for the confirmation that says how many and whom."""
    return list(
        _targets(organization, people=people, group=group, org_unit=org_unit)
        .filter(state=LICENSED)
        .values_list("person_id", flat=True)
    )


def license_assign(
    *,
    organization: Organization,
    acting_user: User,
    people: Iterable[User | int] = (),
    group: Group | None = None,
    org_unit: str | None = None,
) -> SeatsResult:
    """Give seats to the selected active people who have none; all or nothing.

    Raises SeatsExhausted (nobody assigned) when they outnumber the free seats.
    """
    now = timezone.now()
    with transaction.atomic():
        organization = _lock(organization)
        policy = license_policy_get(organization=organization)
        result = SeatsResult(created=_rows_create(organization, policy, now))
        selected = _targets(organization, people=people, group=group, org_unit=org_unit)
        rows = list(
            selected.filter(state=UNLICENSED, person__status=User.Status.ACTIVE)
            .order_by("person__last_name", "person__first_name", "person_id")
            .values_list("pk", "person_id", "person__email")
        )
        result.skipped = list(
            selected.exclude(pk__in=[row[0] for row in rows]).values_list("person_id", flat=True)
        )
        free = organization.seats_purchased - _used(organization)
        if len(rows) > free:
            raise SeatsExhausted(needed=len(rows), free=max(free, 0))
        result.assigned = _assign_rows(
            organization, rows, now=now, acting_user=acting_user, reason="assigned by an admin"
        )
        result.alerts = _alerts_check(
            organization, used=_used(organization), total=organization.seats_purchased
        )
    return result


def license_unassign(
    *,
    organization: Organization,
    acting_user: User,
    people: Iterable[User | int] = (),
    group: Group | None = None,
    org_unit: str | None = None,
) -> SeatsResult:
    """Take seats away; the people leave the waiting line and their sessions end.

    The organization never loses its last licensed, active Hearth admin: in a bulk selection
    that admin's seat is kept (`result.kept`); selecting only them is refused.
    """
    now = timezone.now()
    with transaction.atomic():
        organization = _lock(organization)
        selected = _targets(organization, people=people, group=group, org_unit=org_unit)
        rows = list(
            selected.filter(state=LICENSED).values_list(
                "pk", "person_id", "person__email", "person__role", "person__status"
            )
        )
        leaving_admins = {
            row[1]
            for row in rows
            if row[3] == User.Role.ADMIN and row[4] == User.Status.ACTIVE
        }
        result = SeatsResult()
        if leaving_admins:
            remaining = (
                PersonLicense.objects.filter(
                    organization=organization,
                    state=LICENSED,
                    person__role=User.Role.ADMIN,
                    person__status=User.Status.ACTIVE,
                )
                .exclude(person_id__in=leaving_admins)
                .count()
            )
            # Keep one admin's seat (the acting admin's if possible) and do the rest.
            keep = last_admin_kept(leaving_admins, remaining=remaining, prefer=acting_user.pk)
            if keep is not None:
                rows = [row for row in rows if row[1] != keep]
                result.kept = keep
                if not rows:
                    raise LicenseError(
                        f"{settings.PRODUCT_NAME} needs at least one admin with a seat to sign "
                        "in: keep the seat of one Hearth admin (or make someone else an admin "
                        "first)."
                    )
        if not rows:
            return result
        PersonLicense.objects.filter(any_of("pk", [row[0] for row in rows])).update(
            state=UNLICENSED,
            released_at=now,
            waiting_since=None,
            inactive_since=None,
            unassigned_by_admin=True,
            updated_at=now,
        )
        # Without a seat a person cannot use Hearth: end their sessions now.
        people_sessions_end(pks=[row[1] for row in rows])
        audit_record_rows(
            organization=organization,
            acting_user=acting_user,
            action="license.unassigned",
            target_model=User,
            targets=[(row[1], row[2], None) for row in rows],
        )
        result.released = [row[1] for row in rows]
        result.alerts = _alerts_check(
            organization, used=_used(organization), total=organization.seats_purchased
        )
    return result


def license_policy_update(
    *,
    organization: Organization,
    acting_user: User | None,
    auto_assign: bool,
    auto_assign_org_units: list[str],
    release_after_days: int,
) -> LicensePolicy:
    """Change the auto-license policy, then reconcile (the line follows the new rule)."""
    with transaction.atomic():
        _lock(organization)
        policy = license_policy_get(organization=organization)
        units = sorted({_org_unit_normal(u) for u in auto_assign_org_units if u.strip()})
        changes = {}
        for name, value in (
            ("auto_assign", auto_assign),
            ("auto_assign_org_units", units),
            ("release_after_days", release_after_days),
        ):
            if getattr(policy, name) != value:
                changes[name] = [getattr(policy, name), value]
                setattr(policy, name, value)
        if changes:
            policy.save()
            audit_record(
                organization=organization,
                acting_user=acting_user,
                action="license.policy_changed",
                target=policy,
                details={"changes": changes},
            )
        seats_reconcile(organization=organization, acting_user=acting_user)
    return policy


def seats_purchased_set(
    *, organization: Organization, seats: int, acting_user: User | None
) -> Organization:
    """Support only: the number of seats the organization pays for; then reconcile (more
    seats go to the waiting line at once)."""
    if seats < 0:
        raise LicenseError("The number of seats cannot be negative.")
    with transaction.atomic():
        locked = _lock(organization)
        previous = locked.seats_purchased
        if previous != seats:
            Organization.objects.filter(pk=locked.pk).update(seats_purchased=seats)
            audit_record(
                organization=locked,
                acting_user=acting_user,
                action="license.seats_purchased_changed",
                target=locked,
                details={"seats_purchased": [previous, seats]},
            )
        seats_reconcile(organization=locked, acting_user=acting_user)
    organization.seats_purchased = seats
    return organization
