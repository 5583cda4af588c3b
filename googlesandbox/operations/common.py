"""What every operations module shares: the error type, lookups, ids and the domain's names."""

import random
import secrets
from datetime import datetime, timedelta

from django.db.models import Q

from .. import clock
from ..models import DirGroup, DirUser, Domain, DomainName, Faults
from ..resources import etag_for


class SandboxError(ValueError):
    """A sandbox operation that cannot be done (unknown domain/user, duplicate email, ...)."""


def normal(email: str) -> str:
    return email.strip().lower()


def domain_resolve(domain: "Domain | str") -> Domain:
    """The customer (primary `Domain`) of a domain name: primary, secondary or alias."""
    if isinstance(domain, Domain):
        return domain
    name = domain.strip().lower()
    found = Domain.objects.filter(name=name).first()
    if found is None:
        other = DomainName.objects.select_related("customer").filter(name=name).first()
        found = other.customer if other else None
    if found is None:
        raise SandboxError(f"Unknown domain {name}")
    return found


def domain_of(email: str) -> Domain:
    if "@" not in email:
        raise SandboxError(f"Not an email address: {email}")
    return domain_resolve(email.rsplit("@", 1)[1])


def faults_of(domain: Domain) -> Faults:
    faults, _ = Faults.objects.get_or_create(domain=domain)
    return faults


def alias_domains(domain: Domain) -> dict[str, list[str]]:
    """{domain name: [its domain aliases]} of a customer (one query)."""
    found: dict[str, list[str]] = {}
    for name, alias_of in DomainName.objects.filter(
        customer=domain, kind=DomainName.KIND_ALIAS
    ).values_list("name", "alias_of"):
        found.setdefault(alias_of or domain.name, []).append(name)
    return found


def alias_target(address: str) -> str | None:
    """For an address on a domain alias, the same local part on the domain it aliases."""
    if "@" not in address:
        return None
    local, _, host = address.rpartition("@")
    row = (
        DomainName.objects.select_related("customer")
        .filter(name=host, kind=DomainName.KIND_ALIAS)
        .first()
    )
    if row is None:
        return None
    return f"{local}@{row.alias_of or row.customer.name}"


def purge_cutoff(domain: Domain) -> datetime:
    """Users deleted before this sandbox time are purged (Google keeps them ~20 days)."""
    return clock.now() - timedelta(days=faults_of(domain).retention_days)


def user_find(email_or_id: str, *, domain: Domain | None = None, deleted=False) -> DirUser | None:
    """A live (or, with deleted=True, the most recently deleted, not yet purged) user by id,
    email, alias or domain-alias address."""
    key = normal(email_or_id)
    users = DirUser.objects.select_related("domain")
    if domain is not None:
        users = users.filter(domain=domain)
    users = users.filter(deleted_at__isnull=not deleted)
    if key.isdigit():
        found = users.filter(google_id=key).first()
    else:
        found = users.filter(primary_email=key).order_by("-deleted_at").first()
        if found is None and not deleted:
            found = users.filter(alias_is(key)).first()
        if found is None:
            target = alias_target(key)
            if target:
                return user_find(target, domain=domain, deleted=deleted)
    purged = (
        found is not None
        and found.deleted_at is not None
        and found.deleted_at < purge_cutoff(found.domain)
    )
    return None if purged else found


def alias_is(address: str) -> Q:
    """A user whose aliases hold `address` (normalised). Only the few users with aliases are
    read — the partial index gsandbox_user_aliased — not every user's aliases: an address
    nobody has (a deleted user's, asked for by a sync) read 100,000 rows, 54 ms a call."""
    return ~Q(aliases=[]) & Q(aliases__icontains=f'"{address}"')


def user_get(email: str, *, deleted=False) -> DirUser:
    user = user_find(email, deleted=deleted)
    if user is None:
        state = "deleted user" if deleted else "user"
        raise SandboxError(f"Unknown {state} {email}")
    return user


def group_find(email_or_id: str, *, domain: Domain | None = None) -> DirGroup | None:
    key = normal(email_or_id)
    groups = DirGroup.objects.select_related("domain")
    if domain is not None:
        groups = groups.filter(domain=domain)
    found = groups.filter(
        Q(email=key) | Q(google_id=key) | Q(aliases__icontains=f'"{key}"')
    ).first()
    if found is None:
        target = alias_target(key)
        if target:
            return group_find(target, domain=domain)
    return found


def group_get(email: str) -> DirGroup:
    group = group_find(email)
    if group is None:
        raise SandboxError(f"Unknown group {email}")
    return group


def email_taken(domain: Domain, email: str) -> bool:
    live = DirUser.objects.filter(domain=domain, deleted_at__isnull=True)
    return (
        live.filter(Q(primary_email=email) | alias_is(email)).exists()
        or DirGroup.objects.filter(domain=domain, email=email).exists()
    )


def google_user_id(rng: random.Random | None = None) -> str:
    value = (rng.randrange(10**20) if rng else secrets.randbelow(10**20)) + 10**20
    return str(value)


def google_group_id(rng: random.Random | None = None) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    pick = rng.choice if rng else secrets.choice
    return "0" + "".join(pick(alphabet) for _ in range(14))


def customer_id_for(name: str) -> str:
    digest = etag_for("customer", name).strip('"')
    return "C0" + digest[:7]
