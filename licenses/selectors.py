"""Reads of seats: usage (used / total), the waiting line and people's places in it."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from organizations.models import Organization
from usermanagement.models import User

from .models import LicensePolicy, PersonLicense, SeatAlert


@dataclass(frozen=True)
class SeatsUsage:
    used: int
    total: int
    waiting: int

    @property
    def free(self) -> int:
        return max(self.total - self.used, 0)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.used else 0
        return min(round(self.used * 100 / self.total), 100)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.total

    @property
    def level(self) -> str:
        """For the meter's colour: ok / high (≥ 90%) / full."""
        if self.exhausted:
            return "full"
        return "high" if self.used * 10 >= self.total * 9 else "ok"


def seats_usage(*, organization: Organization) -> SeatsUsage:
    """Used / total seats and the length of the waiting line (one query)."""
    counts = PersonLicense.objects.filter(organization=organization).aggregate(
        used=Count("pk", filter=Q(state=PersonLicense.State.LICENSED)),
        waiting=Count(
            "pk",
            filter=Q(
                state=PersonLicense.State.UNLICENSED,
                waiting_since__isnull=False,
                person__status=User.Status.ACTIVE,
            ),
        ),
    )
    return SeatsUsage(
        used=counts["used"], total=organization.seats_purchased, waiting=counts["waiting"]
    )


def _line(organization: Organization):
    # Every reconcile takes people who are no longer active out of the line, so the line is
    # read from the license rows alone (the partial index), without joining people.
    return PersonLicense.objects.filter(
        organization=organization,
        state=PersonLicense.State.UNLICENSED,
        waiting_since__isnull=False,
    ).annotate(
        position=Window(RowNumber(), order_by=[F("waiting_since").asc(), F("person_id").asc()])
    )


def waiting_positions(*, organization: Organization, person_ids) -> dict[int, int]:
    """Place in the waiting line (1 = next) of each of these people who waits (one query).

    The line is numbered over everyone waiting, then narrowed to these people: filtering first
    would number only the page.
    """
    person_ids = [int(pk) for pk in person_ids]
    if not person_ids:
        return {}
    line_sql, params = (
        _line(organization).values("person_id", "position").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id, position FROM ({line_sql}) line WHERE person_id IN "
            f"({', '.join(['%s'] * len(person_ids))})",
            [*params, *person_ids],
        )
        return dict(cursor.fetchall())


def waiting_line(*, organization: Organization, limit: int = 50) -> list[PersonLicense]:
    """The first people of the waiting line, in order, with `position` (one query)."""
    return list(
        _line(organization)
        .select_related("person")
        .order_by("waiting_since", "person_id")[:limit]
    )


def license_policy(*, organization: Organization) -> LicensePolicy:
    return LicensePolicy.objects.filter(organization=organization).first() or LicensePolicy(
        organization=organization
    )


def person_license(*, person: User) -> PersonLicense | None:
    return PersonLicense.objects.filter(person=person).first()


def seat_alerts_open(*, organization: Organization) -> list[SeatAlert]:
    return list(SeatAlert.objects.filter(organization=organization, cleared_at__isnull=True))
