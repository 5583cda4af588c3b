"""Writes to organizations. Every state change records an AuditEvent."""

from django.db import transaction
from django.utils.text import slugify

from audit.services import audit_record

from .models import Organization


def organization_slug_for(name: str) -> str:
    """A unique, URL-safe slug derived from the name (acme, acme-2, ...)."""
    base = slugify(name)[:70] or "organization"
    slug, suffix = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def organization_create(
    *, name: str, primary_domain: str, seats_purchased: int | None = None, acting_user=None
) -> Organization:
    organization = Organization(
        name=name.strip(),
        slug=organization_slug_for(name),
        primary_domain=primary_domain.strip().lower(),
    )
    if seats_purchased is not None:
        organization.seats_purchased = seats_purchased
    organization.full_clean()
    organization.save()
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="organization.created",
        target=organization,
        details={"name": organization.name, "primary_domain": organization.primary_domain},
    )
    return organization
