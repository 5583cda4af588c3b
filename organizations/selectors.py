"""Reads about organizations: which organization owns a connected domain.

A domain is owned only by exact name: Google Workspace verifies every domain (a subdomain
included) on its own, so `sales.acme.example` is not owned because `acme.example` is.
"""

from .models import ConnectedDomain, Organization


def domain_normalize(domain: str) -> str:
    """The stored form of a domain name: no surrounding spaces, lower case, no trailing dot."""
    return domain.strip().lower().rstrip(".")


def email_domain(email: str) -> str:
    """The normalized domain of an address ('' when it has none)."""
    local, at, domain = email.strip().rpartition("@")
    return domain_normalize(domain) if at and local else ""


def domain_owner(domain: str) -> Organization | None:
    """The organization whose Google Workspace was connected for `domain`, if any."""
    claim = (
        ConnectedDomain.objects.select_related("organization")
        .filter(domain=domain_normalize(domain))
        .first()
    )
    return claim.organization if claim is not None else None


def email_domain_blocked(*, email: str, organization: Organization | None) -> bool:
    """True when the address's domain is owned by an organization other than `organization`.

    `organization=None` (someone signing up, who has none yet) is blocked by any owner. The
    answer is a yes or no on purpose: callers show the same neutral refusal whoever the owner
    is, and must not tell one organization anything about another.
    """
    domain = email_domain(email)
    if not domain:
        return False
    claims = ConnectedDomain.objects.filter(domain=domain)
    if organization is not None:
        claims = claims.exclude(organization_id=organization.pk)
    return claims.exists()
