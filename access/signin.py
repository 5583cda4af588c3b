"""Who may sign in, and why not (Sign in with Google and password sign-in alike).

Sign in with Google matches the Google account to the synced person by the OIDC `sub` claim —
Google's immutable user id, kept as `User.google_id` — never by email (addresses change and are
reused; usermanagement.selectors.person_for_google_sub). It never creates people: someone
Hearth has not synced is told so. A person who
exists but may not sign in (deactivated, archived, no seat) gets a page saying why and which
Hearth admins to ask, instead of an error.
"""

from dataclasses import dataclass

from licenses.models import PersonLicense
from licenses.selectors import seats_usage, waiting_positions
from usermanagement.models import User
from usermanagement.selectors import admins_active

ADMINS_LISTED = 5


@dataclass
class SignInRefusal:
    reason: str  # "unknown" | "deactivated" | "archived" | "unlicensed"
    person: User | None = None
    admins: tuple[User, ...] = ()
    position: int | None = None
    email: str = ""
    # "unlicensed" while seats are free: nobody gave this person one yet (they are not in the
    # waiting line, or the sync has not counted them) — not "the organization has no seat"
    seats_free: bool = False


def _admins(person: User) -> tuple[User, ...]:
    return tuple(
        admins_active(organization=person.organization)
        .exclude(pk=person.pk)
        .order_by("last_name", "first_name")[:ADMINS_LISTED]
    )


def sign_in_refusal(*, person: User) -> SignInRefusal | None:
    """None when the person may sign in; otherwise why not and whom to ask."""
    if person.organization_id is None:
        return None  # vendor staff: the support console has its own rules
    if person.status != User.Status.ACTIVE:
        return SignInRefusal(reason=person.status, person=person, admins=_admins(person))
    seat = PersonLicense.objects.filter(person=person).only("state", "waiting_since").first()
    # No seat row yet: people Hearth got from Google wait for the sync to count them (a run
    # that failed midway). Hearth admins are never held back by that: they are the ones who
    # must get in to see why the sync failed.
    uncounted = seat is None and person.google_id is not None and not person.is_hearth_admin
    if uncounted or (seat is not None and seat.state == PersonLicense.State.UNLICENSED):
        position = None
        if seat is not None and seat.waiting_since is not None:
            position = waiting_positions(
                organization=person.organization, person_ids=[person.pk]
            ).get(person.pk)
        return SignInRefusal(
            reason="unlicensed",
            person=person,
            admins=_admins(person),
            position=position,
            seats_free=seats_usage(organization=person.organization).free > 0,
        )
    return None
