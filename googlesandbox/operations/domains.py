"""Customers and their domains: the primary `Domain`, secondary domains, domain aliases.

A secondary domain holds users and groups of its own (their rows belong to the customer, with
addresses on the secondary name); `users.list(customer=my_customer)` lists them all. A domain
alias gives every user of the domain it aliases a second address, which Google lists in
`nonEditableAliases` — adding one rewrites the stored resource of those users.
"""

from django.db import transaction
from django.db.models import Count, Q

from .. import clock
from ..models import DirGroup, DirMember, DirUser, Domain, DomainName, Faults, OrgUnit
from .common import SandboxError, alias_domains, customer_id_for, domain_resolve, faults_of
from .faults import faults_dict
from .install import install_state


@transaction.atomic
def domain_create(
    *, name: str, organization_name: str = "", api_access: bool = True
) -> Domain:
    name = name.strip().lower()
    if (
        Domain.objects.filter(name=name).exists()
        or DomainName.objects.filter(name=name).exists()
    ):
        raise SandboxError(f"Domain {name} already exists")
    domain = Domain.objects.create(
        name=name,
        customer_id=customer_id_for(name),
        organization_name=organization_name or name.split(".")[0].title(),
        api_access=api_access,
        created_at=clock.now(),
    )
    Faults.objects.create(domain=domain)
    return domain


def domain_get_or_create(name: str) -> Domain:
    try:
        return domain_resolve(name)
    except SandboxError:
        return domain_create(name=name)


@transaction.atomic
def domain_name_add(
    *, customer: "Domain | str", name: str, kind: str, alias_of: str = ""
) -> DomainName:
    """Add a secondary domain (kind "secondary") or a domain alias (kind "alias") of
    `alias_of` (default: the primary domain) to a customer."""
    customer = domain_resolve(customer)
    name = name.strip().lower()
    if kind not in (DomainName.KIND_SECONDARY, DomainName.KIND_ALIAS):
        raise SandboxError(f"Unknown domain kind {kind!r}")
    if Domain.objects.filter(name=name).exists() or DomainName.objects.filter(name=name).exists():
        raise SandboxError(f"Domain {name} already exists")
    target = ""
    if kind == DomainName.KIND_ALIAS:
        target = (alias_of or customer.name).strip().lower()
        if target != customer.name and not DomainName.objects.filter(
            customer=customer, name=target, kind=DomainName.KIND_SECONDARY
        ).exists():
            raise SandboxError(f"{target} is not a domain of this customer")
    row = DomainName.objects.create(
        customer=customer, name=name, kind=kind, alias_of=target, created_at=clock.now()
    )
    if kind == DomainName.KIND_ALIAS:
        _users_restamp(customer)
    return row


def _users_restamp(customer: Domain) -> None:
    """Rebuild the stored resources of a customer's live users (their nonEditableAliases)."""
    from .users import user_refresh

    aliases = alias_domains(customer)
    users = list(DirUser.objects.select_related("domain").filter(domain=customer))
    for user in users:
        user_refresh(user, aliases)
    DirUser.objects.bulk_update(users, ["etag", "resource_json"], batch_size=2000)


def domain_names(domain: Domain) -> list[dict]:
    return [
        {"name": n.name, "kind": n.kind, "alias_of": n.alias_of or None}
        for n in DomainName.objects.filter(customer=domain).order_by("kind", "name")
    ]


def set_api_access(*, domain: "Domain | str", enabled: bool) -> Domain:
    domain = domain_resolve(domain)
    Domain.objects.filter(pk=domain.pk).update(api_access=enabled)
    domain.api_access = enabled
    return domain


def show(domain: "Domain | str") -> dict:
    domain = domain_resolve(domain)
    users = DirUser.objects.filter(domain=domain).aggregate(
        users=Count("id", filter=Q(deleted_at__isnull=True)),
        deleted_users=Count("id", filter=Q(deleted_at__isnull=False)),
        suspended=Count("id", filter=Q(deleted_at__isnull=True, suspended=True)),
        admins=Count("id", filter=Q(deleted_at__isnull=True, is_admin=True)),
    )
    faults = faults_of(domain)
    state = install_state(domain)
    return {
        "domain": domain.name,
        "customer_id": domain.customer_id,
        "counts": {
            **users,
            "groups": DirGroup.objects.filter(domain=domain).count(),
            "members": DirMember.objects.filter(group__domain=domain).count(),
            "org_units": OrgUnit.objects.filter(domain=domain).count(),
        },
        "settings": {
            "api_access": domain.api_access,
            "installed": state == "installed",
            "install_state": state,
            "faults": faults_dict(faults),
        },
        "domains": domain_names(domain),
        "clock": clock.now().isoformat(),
        "grants": [
            {
                "client_id": g.client_id,
                "scopes": g.scopes,
                "created_at": g.created_at.isoformat(),
                "effective_at": (g.effective_at or g.created_at).isoformat(),
            }
            for g in domain.grants.order_by("created_at")
        ],
    }
