"""Writes to organizations. Every state change records an AuditEvent.

Connected domains (see models.ConnectedDomain): connecting a Google Workspace claims its
domains for the organization with `domains_claim`; disconnecting gives them back with
`domains_release`. A name another organization holds is never taken over — the claim reports
it as refused and support sorts it out (a domain moved between Workspaces is a human matter).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record

from .models import ConnectedDomain, Organization
from .selectors import domain_normalize

logger = structlog.get_logger(__name__)


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


# --- connected domains -------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainsClaim:
    """The outcome of `domains_claim`: the names the organization holds after the call (new or
    already its own), and those refused because another organization holds them."""

    claimed: tuple[str, ...]
    refused: tuple[str, ...]


def _kinds_wanted(domains: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(domains, Mapping):
        wanted = {domain_normalize(name): kind for name, kind in domains.items()}
    else:
        # A plain list: the Workspace's primary domain first, then its secondary domains.
        wanted = {}
        for index, name in enumerate(domains):
            kind = ConnectedDomain.Kind.PRIMARY if index == 0 else ConnectedDomain.Kind.SECONDARY
            wanted.setdefault(domain_normalize(name), kind)
    wanted.pop("", None)
    unknown = set(wanted.values()) - set(ConnectedDomain.Kind.values)
    if unknown:
        raise ValueError(f"Unknown domain kind(s): {sorted(unknown)}")
    return wanted


@transaction.atomic
def domains_claim(
    *, organization: Organization, domains: Mapping[str, str] | Iterable[str], acting_user
) -> DomainsClaim:
    """Claim `domains` for `organization` (its Workspace was connected for them).

    `domains` maps each name to its kind ("primary", "secondary", "alias"), or lists names with
    the primary first and secondary domains after it. Names the organization already holds keep
    their claim date (their kind follows Google). Names held by another organization are not
    taken: they come back in `refused`. Safe under concurrency: the unique name decides, and a
    concurrent claim of the same name waits for the other transaction and then sees its owner.
    """
    wanted = _kinds_wanted(domains)
    if not wanted:
        return DomainsClaim(claimed=(), refused=())
    own_before = dict(
        ConnectedDomain.objects.filter(organization=organization, domain__in=wanted).values_list(
            "domain", "kind"
        )
    )
    now = timezone.now()
    ConnectedDomain.objects.bulk_create(
        [
            ConnectedDomain(domain=name, organization=organization, kind=kind, claimed_at=now)
            for name, kind in wanted.items()
            if name not in own_before
        ],
        ignore_conflicts=True,
    )
    owners = dict(
        ConnectedDomain.objects.filter(domain__in=wanted).values_list("domain", "organization_id")
    )
    claimed = sorted(name for name, owner in owners.items() if owner == organization.pk)
    refused = sorted(name for name in wanted if owners.get(name) != organization.pk)
    new = [name for name in claimed if name not in own_before]
    kind_changed = {name: wanted[name] for name, kind in own_before.items() if kind != wanted[name]}
    for name, kind in kind_changed.items():
        ConnectedDomain.objects.filter(organization=organization, domain=name).update(kind=kind)
    if refused:
        # For vendor support only: the organization is told nothing about the other owner.
        logger.warning(
            "domains_claim_refused",
            organization_id=organization.pk,
            refused={name: owners.get(name) for name in refused},
        )
    if new or kind_changed or refused:
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action="organization.domains_claimed",
            target=organization,
            details={
                "claimed": {name: wanted[name] for name in new},
                "kind_changed": kind_changed,
                "refused": refused,
            },
        )
    return DomainsClaim(claimed=tuple(claimed), refused=tuple(refused))


@transaction.atomic
def domains_release(
    *, organization: Organization, acting_user, domains: Iterable[str] | None = None
) -> list[str]:
    """Give up the organization's connected domains (all of them — the Workspace was
    disconnected — or only `domains`, e.g. those Google no longer lists); returns the names."""
    claims = ConnectedDomain.objects.filter(organization=organization)
    if domains is not None:
        claims = claims.filter(domain__in=[domain_normalize(name) for name in domains])
    released = sorted(claims.values_list("domain", flat=True))
    if released:
        claims.delete()
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action="organization.domains_released",
            target=organization,
            details={"released": released},
        )
    return released
