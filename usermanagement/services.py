"""Writes to people. Views, tasks and commands call these; none of them saves a User directly."""

from django.db import transaction

from audit.services import audit_record
from organizations.services import organization_create

from .models import User


@transaction.atomic
def organization_signup(*, user: User, organization_name: str) -> User:
    """Create an organization for a person signing up and make them its first Hearth admin.

    `user` is allauth's unsaved user (email and password already set). The email's domain
    becomes the organization's primary domain.
    """
    domain = user.email.rsplit("@", 1)[-1].lower()
    organization = organization_create(name=organization_name, primary_domain=domain)
    user.organization = organization
    user.role = User.Role.ADMIN
    user.status = User.Status.ACTIVE
    user.save()
    audit_record(
        organization=organization,
        acting_user=user,
        action="person.signed_up",
        target=user,
        details={"email": user.email, "role": user.role},
    )
    return user
