"""Inviting a Hearth admin by email, and accepting the invitation.

Flow:
1. `invitation_send` checks that the address can become an admin of this organization (not a
   person of another organization, not of a domain another organization connected, not already
   an admin), revokes earlier pending invitations to the same address (only the newest link
   works), stores a hash of a fresh random token, records the audit event and emails the link
   (`admin_invitation`) after commit.
2. The invited person opens the link; `invitation_pending_get` finds the invitation by the token's
   hash, or says why it cannot be used (unknown, used, replaced, expired, or the address now
   belongs elsewhere: a domain connected by another organization since, or a person there).
3. `invitation_accept` creates the person — or takes the organization's existing account with
   that address, e.g. a member synced from Google — sets their password and names, makes them a
   Hearth admin through the roles service (access.roles) and marks the address as verified: the
   link arrived in that mailbox, which is the proof allauth would otherwise ask for. Every write
   to the person is usermanagement's (usermanagement.services).

An address that belongs to another organization is refused with one neutral message whatever
the reason, after the same lookups: the refusal must not tell one organization whether another
has that person or connected that domain, nor which organization it is.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from access.roles import person_admin_grant
from audit.services import audit_record
from notifications.links import absolute_url
from notifications.services import email_send
from organizations.models import Organization
from organizations.selectors import email_domain_blocked
from usermanagement.models import User
from usermanagement.services import person_create, person_credentials_set, person_email_verified

from .models import Invitation

INVITATION_VALID_FOR = timedelta(days=7)

# What the inviting admin reads when the address belongs to another organization, and what the
# invited person reads when it came to belong to one after the invitation was sent.
ADDRESS_REFUSED = (
    "This address can't be invited here. Invite your colleague with their address at a "
    "domain your organization uses."
)
INVITATION_NO_LONGER_VALID = (
    "This invitation can no longer be accepted with this address. Ask the person who invited "
    "you to invite another address."
)


class InvitationError(Exception):
    """An invitation cannot be sent or used; the message is shown to the person as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email_normalize(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else email.strip()


def _person_with_email(email: str) -> User | None:
    return User.objects.exclude(status=User.Status.ARCHIVED).filter(email__iexact=email).first()


def _address_lookup(*, email: str, organization: Organization) -> tuple[bool, User | None]:
    """Whether `email` belongs to another organization, and the person who has it (if any).

    Both lookups always run, in this order, so that every refusal costs the same queries.
    """
    blocked = email_domain_blocked(email=email, organization=organization)
    person = _person_with_email(email)
    elsewhere = person is not None and person.organization_id != organization.pk
    return blocked or elsewhere, person


def invitation_accept_url(token: str) -> str:
    return absolute_url(reverse("invitations:accept", kwargs={"token": token}))


@transaction.atomic
def invitation_send(*, organization: Organization, email: str, acting_user: User) -> Invitation:
    """Invite `email` to become a Hearth admin of `organization` and email them the link.

    The returned invitation carries the plain token as `.token` (it is stored only hashed).
    """
    email = _email_normalize(email)
    elsewhere, person = _address_lookup(email=email, organization=organization)
    if elsewhere:
        raise InvitationError(ADDRESS_REFUSED)
    if person is not None:
        if person.role == User.Role.ADMIN and person.status == User.Status.ACTIVE:
            raise InvitationError(
                f"{person.display_name} is already a {settings.PRODUCT_NAME} admin."
            )
        if person.status != User.Status.ACTIVE:
            raise InvitationError(
                f"{person.display_name} is deactivated in {settings.PRODUCT_NAME}; "
                "reactivate them in Google Workspace first."
            )
    now = timezone.now()
    Invitation.objects.filter(
        organization=organization,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=Invitation.Role.ADMIN,
        invited_by=acting_user,
        token_hash=_token_hash(token),
        expires_at=now + INVITATION_VALID_FOR,
    )
    invitation.token = token
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="invitation.sent",
        target=invitation,
        details={"email": email, "role": invitation.role},
    )
    email_send(
        template="admin_invitation",
        to=email,
        organization=organization,
        context={
            "inviter_name": acting_user.display_name,
            "inviter_email": acting_user.email,
            "organization_name": organization.name,
            "accept_url": invitation_accept_url(token),
            "expires_at": invitation.expires_at,
        },
    )
    return invitation


def invitation_pending_get(*, token: str, for_update: bool = False) -> Invitation:
    """The invitation this token opens, or InvitationError saying why it cannot be used."""
    queryset = Invitation.objects.select_related("organization", "invited_by")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=_token_hash(token)).first()
    if invitation is None:
        raise InvitationError("This invitation link is not valid. Check that it was copied whole.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been accepted. You can sign in.")
    if invitation.revoked_at is not None:
        raise InvitationError(
            "This invitation was replaced by a newer one. Use the link in the latest email."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationError(
            f"This invitation has expired. Ask a {settings.PRODUCT_NAME} admin of your "
            "organization to invite you again."
        )
    elsewhere, _ = _address_lookup(email=invitation.email, organization=invitation.organization)
    if elsewhere:
        raise InvitationError(INVITATION_NO_LONGER_VALID)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, first_name: str, last_name: str) -> User:
    """Make the invited person a Hearth admin with this password; returns the person."""
    invitation = invitation_pending_get(token=token, for_update=True)
    organization = invitation.organization
    # A person of another organization was refused above (invitation_pending_get).
    person = _person_with_email(invitation.email)
    if person is not None and person.status != User.Status.ACTIVE:
        raise InvitationError(f"Your {settings.PRODUCT_NAME} account is deactivated.")
    created = person is None
    if created:
        person = person_create(
            organization=organization,
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            acting_user=None,
        )
    else:
        person_credentials_set(
            person=person, password=password, first_name=first_name, last_name=last_name
        )
    person = person_admin_grant(organization=organization, person=person, acting_user=person)
    person_email_verified(person=person)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = person
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(
        organization=organization,
        acting_user=person,
        action="invitation.accepted",
        target=invitation,
        details={"email": invitation.email, "created": created, "role": person.role},
    )
    return person
