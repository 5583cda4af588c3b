"""Hearth roles: making people Hearth admins and revoking it (inviting a new admin by email is
invitations.services.invitation_send; accepting the invitation grants the role here).

An organization always keeps at least one active Hearth admin who can sign in — one who holds a
seat (or has not been counted yet): usermanagement.rules.last_admin_kept, the same rule the sync,
the held-plan review and the seats follow. Both services lock the organization row, so two
admins revoking each other at the same moment cannot both succeed; the write itself is
usermanagement.services.person_role_set.
"""

from django.conf import settings
from django.db import transaction

from licenses.models import PersonLicense
from licenses.services import seats_reconcile
from organizations.models import Organization
from usermanagement.models import User
from usermanagement.rules import last_admin_kept
from usermanagement.selectors import admins_active
from usermanagement.services import person_role_set


class RoleError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _person_locked(organization: Organization, person: User) -> User:
    Organization.objects.select_for_update().get(pk=organization.pk)
    return User.objects.get(pk=person.pk, organization=organization)


def admins_who_can_sign_in(*, organization: Organization):
    """Active Hearth admins whose seat does not keep them out (a seat, or not counted yet)."""
    return admins_active(organization=organization).exclude(
        license__state=PersonLicense.State.UNLICENSED
    )


@transaction.atomic
def person_admin_grant(
    *, organization: Organization, person: User, acting_user: User | None
) -> User:
    """Make an active person of the organization a Hearth admin."""
    person = _person_locked(organization, person)
    if person.status != User.Status.ACTIVE:
        raise RoleError(
            f"{person.display_name} is {person.get_status_display().lower()}: only active people "
            f"can be {settings.PRODUCT_NAME} admins."
        )
    person = person_role_set(
        organization=organization, person=person, role=User.Role.ADMIN, acting_user=acting_user
    )
    _seat_follows_role(organization, person, acting_user)
    return person


@transaction.atomic
def person_admin_revoke(*, organization: Organization, person: User, acting_user: User) -> User:
    """Make a Hearth admin a member again, unless no admin who can sign in would remain."""
    person = _person_locked(organization, person)
    if person.role != User.Role.ADMIN:
        return person
    others = admins_who_can_sign_in(organization=organization).exclude(pk=person.pk).count()
    if last_admin_kept([person.pk], remaining=others) is not None:
        raise RoleError(
            f"{person.display_name} is the last {settings.PRODUCT_NAME} admin who can sign in. "
            "Make someone else an admin first: an organization always keeps at least one."
        )
    person = person_role_set(
        organization=organization, person=person, role=User.Role.MEMBER, acting_user=acting_user
    )
    _seat_follows_role(organization, person, acting_user)
    return person


def _seat_follows_role(organization: Organization, person: User, acting_user) -> None:
    """Hearth admins always wait for a seat, whatever the auto-assign policy: the person's
    place in the line follows the new role now (a seat they hold stays theirs). The sync's
    one-person runs reconcile only the people they name, so no later pass would do it soon."""
    seats_reconcile(organization=organization, people=[person.pk], acting_user=acting_user)
