"""Hearth roles: making people Hearth admins and revoking it (inviting a new admin by email is
invitations.services.invitation_send).

An organization always keeps at least one active Hearth admin who can sign in — one who holds a
seat (or has not been counted yet); both services lock the organization row, so two admins
revoking each other at the same moment cannot both succeed.
"""

from django.conf import settings
from django.db import transaction

from audit.services import audit_record
from licenses.models import PersonLicense
from organizations.models import Organization

from .models import User


class RoleError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _person_locked(organization: Organization, person: User) -> User:
    Organization.objects.select_for_update().get(pk=organization.pk)
    return User.objects.get(pk=person.pk, organization=organization)


@transaction.atomic
def person_admin_grant(*, organization: Organization, person: User, acting_user: User) -> User:
    """Make an active person of the organization a Hearth admin."""
    person = _person_locked(organization, person)
    if person.status != User.Status.ACTIVE:
        raise RoleError(
            f"{person.display_name} is {person.get_status_display().lower()}: only active people "
            f"can be {settings.PRODUCT_NAME} admins."
        )
    if person.role == User.Role.ADMIN:
        return person
    User.objects.filter(pk=person.pk).update(role=User.Role.ADMIN)
    person.role = User.Role.ADMIN
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="person.admin_granted",
        target=person,
        details={"role": [User.Role.MEMBER, User.Role.ADMIN]},
    )
    return person


@transaction.atomic
def person_admin_revoke(*, organization: Organization, person: User, acting_user: User) -> User:
    """Make a Hearth admin a member again, unless no admin who can sign in would remain."""
    person = _person_locked(organization, person)
    if person.role != User.Role.ADMIN:
        return person
    others = (
        User.objects.filter(
            organization=organization, role=User.Role.ADMIN, status=User.Status.ACTIVE
        )
        .exclude(pk=person.pk)
        .exclude(license__state=PersonLicense.State.UNLICENSED)
    )
    if not others.exists():
        raise RoleError(
            f"{person.display_name} is the last {settings.PRODUCT_NAME} admin who can sign in. "
            "Make someone else an admin first: an organization always keeps at least one."
        )
    User.objects.filter(pk=person.pk).update(role=User.Role.MEMBER)
    person.role = User.Role.MEMBER
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="person.admin_revoked",
        target=person,
        details={"role": [User.Role.ADMIN, User.Role.MEMBER]},
    )
    return person
