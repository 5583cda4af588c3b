"""Groups and their members (users, nested groups, the whole customer, outside addresses).

Each change records Google's admin activity (push.py); groups have no users.watch channel.
"""

from django.db import transaction

from .. import clock
from ..models import DirGroup, DirMember, DomainName
from ..resources import etag_for
from .common import (
    SandboxError,
    domain_of,
    email_taken,
    google_group_id,
    google_user_id,
    group_find,
    group_get,
    normal,
    user_find,
)
from .push import record


@transaction.atomic
def group_add(
    *, email: str, name: str = "", description: str = "", actor: str | None = None
) -> DirGroup:
    email = normal(email)
    domain = domain_of(email)
    if email_taken(domain, email):
        raise SandboxError(f"Entity already exists: {email}")
    group = DirGroup(
        domain=domain,
        google_id=google_group_id(),
        email=email,
        name=name or email.split("@")[0].replace("-", " ").title(),
        description=description,
        created_at=clock.now(),
    )
    group.etag = etag_for(group.google_id, group.email, group.name, group.description)
    group.save()
    record(domain, "CREATE_GROUP", {"GROUP_EMAIL": email}, actor)
    return group


@transaction.atomic
def group_delete(*, email: str, actor: str | None = None) -> None:
    group = group_get(email)
    domain, group_email = group.domain, group.email
    group.delete()
    record(domain, "DELETE_GROUP", {"GROUP_EMAIL": group_email}, actor)


@transaction.atomic
def group_rename(*, email: str, name: str, actor: str | None = None) -> DirGroup:
    group = group_get(email)
    old = group.name
    if old == name:
        return group
    group.name = name
    group.etag = etag_for(group.google_id, group.email, group.name, group.description)
    group.save()
    record(
        group.domain,
        "CHANGE_GROUP_NAME",
        {"GROUP_EMAIL": group.email, "NEW_VALUE": name, "OLD_VALUE": old},
        actor,
    )
    return group


def _member_filter(group: DirGroup, member_email: str) -> tuple[dict, dict]:
    """(lookup identifying the membership, fields for a new one) for `member_email`."""
    key = normal(member_email)
    if key in ("customer", group.domain.customer_id.lower()):
        return ({"member_type": DirMember.TYPE_CUSTOMER}, {"member_type": DirMember.TYPE_CUSTOMER})
    user = user_find(key)
    if user is not None:
        return ({"user": user}, {"user": user, "member_type": DirMember.TYPE_USER})
    sub = group_find(key)
    if sub is not None:
        if sub.pk == group.pk:
            raise SandboxError("A group cannot be a member of itself")
        return ({"member_group": sub}, {"member_group": sub, "member_type": DirMember.TYPE_GROUP})
    host = key.rsplit("@", 1)[-1]
    own = DomainName.objects.filter(customer=group.domain, name=host).exists()
    if host == group.domain.name or own:
        raise SandboxError(f"Unknown user or group {key}")
    # an address outside the domain: an external member (allowed, as Google allows it)
    return (
        {"external_email": key},
        {
            "external_email": key,
            "external_id": google_user_id()[:21],
            "member_type": DirMember.TYPE_USER,
        },
    )


@transaction.atomic
def member_add(
    *, group_email: str, member_email: str, role: str = "MEMBER", actor: str | None = None
) -> DirMember:
    group = group_get(group_email)
    role = role.upper()
    if role not in dict(DirMember.ROLES):
        raise SandboxError(f"Unknown role {role}")
    lookup, fields = _member_filter(group, member_email)
    existing = DirMember.objects.filter(group=group, **lookup).first()
    if existing:
        if existing.role != role:
            existing.role = role
            existing.save(update_fields=["role"])
            record(
                group.domain,
                "UPDATE_GROUP_MEMBER",
                {"USER_EMAIL": normal(member_email), "GROUP_EMAIL": group.email,
                 "MEMBER_ROLE": role},
                actor,
            )
        return existing
    member = DirMember.objects.create(group=group, role=role, created_at=clock.now(), **fields)
    record(
        group.domain,
        "ADD_GROUP_MEMBER",
        {"USER_EMAIL": normal(member_email), "GROUP_EMAIL": group.email},
        actor,
    )
    return member


@transaction.atomic
def member_remove(*, group_email: str, member_email: str, actor: str | None = None) -> None:
    group = group_get(group_email)
    lookup, _ = _member_filter(group, member_email)
    deleted, _ = DirMember.objects.filter(group=group, **lookup).delete()
    if not deleted:
        raise SandboxError(f"{member_email} is not a member of {group.email}")
    record(
        group.domain,
        "REMOVE_GROUP_MEMBER",
        {"USER_EMAIL": normal(member_email), "GROUP_EMAIL": group.email},
        actor,
    )


# ---------------------------------------------------------------------------------------------
