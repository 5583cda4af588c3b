"""Users: add, update, rename, suspend, admin rights, delete, undelete — and org units.

Each change saves the user with a new etag and stored resource JSON, writes the search index's
version (search.py), records Google's admin activity and notifies users.watch channels
(push.py). Times come from the sandbox clock.
"""

from django.db import transaction

from .. import clock
from ..models import AccessToken, DirUser, Domain, OrgUnit
from ..resources import etag_for, user_etag, user_resource_json
from .common import (
    SandboxError,
    alias_domains,
    domain_of,
    email_taken,
    google_group_id,
    google_user_id,
    normal,
    user_get,
)
from .push import USER_EVENT_PUSH, push_user_change, record
from .search import search_snapshot, search_version_write


def org_unit_ensure(domain: Domain, path: str) -> OrgUnit | None:
    """Create the org unit at `path` and its missing ancestors; "/" is the implicit root."""
    path = "/" + path.strip().strip("/")
    if path == "/":
        return None
    unit = None
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        sub = "/" + "/".join(parts[:depth])
        unit, _ = OrgUnit.objects.get_or_create(
            domain=domain,
            path=sub,
            defaults={
                "name": parts[depth - 1],
                "org_unit_id": "id:" + google_group_id()[1:],
                "etag": etag_for("ou", domain.pk, sub),
            },
        )
    return unit


def user_refresh(user: DirUser, domain_aliases: dict | None = None) -> None:
    """Recompute the etag and the stored resource JSON after any change to `user`."""
    user.etag = user_etag(user)
    if domain_aliases is None:
        domain_aliases = alias_domains(user.domain)
    user.resource_json = user_resource_json(
        user, customer_id=user.domain.customer_id, domain_aliases=domain_aliases
    )


def _user_changed(
    user: DirUser, event_name: str, parameters: dict, actor: str | None, previous: dict
) -> None:
    user_refresh(user)
    user.save()
    search_version_write(user, previous=previous)
    record(user.domain, event_name, parameters, actor)
    push_user_change(user, USER_EVENT_PUSH.get(event_name, "update"))


@transaction.atomic
def user_add(
    *,
    email: str,
    given_name: str = "",
    family_name: str = "",
    org_unit_path: str = "/",
    is_admin: bool = False,
    title: str = "",
    department: str = "",
    phone: str = "",
    manager_email: str = "",
    actor: str | None = None,
) -> DirUser:
    email = normal(email)
    domain = domain_of(email)
    if email_taken(domain, email):
        raise SandboxError(f"Entity already exists: {email}")
    local = email.split("@")[0]
    org_unit_ensure(domain, org_unit_path)
    user = DirUser(
        domain=domain,
        google_id=google_user_id(),
        primary_email=email,
        given_name=given_name or local.split(".")[0].title(),
        family_name=family_name or (local.split(".")[1].title() if "." in local else "User"),
        org_unit_path="/" + org_unit_path.strip().strip("/"),
        is_admin=is_admin,
        title=title,
        department=department,
        phone=phone,
        manager_email=normal(manager_email) if manager_email else "",
        creation_time=clock.now(),
    )
    user_refresh(user)
    user.save()
    search_version_write(user, previous=None)
    record(domain, "CREATE_USER", {"USER_EMAIL": email}, actor)
    push_user_change(user, "add")
    if is_admin:
        record(domain, "GRANT_ADMIN_PRIVILEGE", {"USER_EMAIL": email}, actor)
    return user


@transaction.atomic
def user_update(
    *,
    email: str,
    given_name: str | None = None,
    family_name: str | None = None,
    title: str | None = None,
    department: str | None = None,
    phone: str | None = None,
    manager_email: str | None = None,
    org_unit_path: str | None = None,
    actor: str | None = None,
) -> DirUser:
    user = user_get(email)
    previous = search_snapshot(user)
    events = []
    if given_name is not None and given_name != user.given_name:
        events.append(("CHANGE_FIRST_NAME", given_name, user.given_name))
        user.given_name = given_name
    if family_name is not None and family_name != user.family_name:
        events.append(("CHANGE_LAST_NAME", family_name, user.family_name))
        user.family_name = family_name
    if (title is not None and title != user.title) or (
        department is not None and department != user.department
    ):
        user.title = user.title if title is None else title
        user.department = user.department if department is None else department
        events.append(("CHANGE_USER_ORGANIZATION", f"{user.title}, {user.department}", None))
    if phone is not None and phone != user.phone:
        events.append(("CHANGE_USER_PHONE_NUMBER", phone, user.phone or None))
        user.phone = phone
    if manager_email is not None and normal(manager_email) != user.manager_email:
        user.manager_email = normal(manager_email)
        events.append(("CHANGE_USER_RELATION", user.manager_email, None))
    if org_unit_path is not None:
        path = "/" + org_unit_path.strip().strip("/")
        if path != user.org_unit_path:
            org_unit_ensure(user.domain, path)
            events.append(("MOVE_USER_TO_ORG_UNIT", path, user.org_unit_path))
            user.org_unit_path = path
    if not events:
        return user
    user_refresh(user)
    user.save()
    search_version_write(user, previous=previous)
    for name, new, old in events:
        params = {"USER_EMAIL": user.primary_email, "NEW_VALUE": new}
        if name == "MOVE_USER_TO_ORG_UNIT":
            params["ORG_UNIT_NAME"] = old
        elif old is not None:
            params["OLD_VALUE"] = old
        record(user.domain, name, params, actor)
    push_user_change(user, "update")
    return user


@transaction.atomic
def user_rename(*, email: str, new_email: str, actor: str | None = None) -> DirUser:
    """Change the primary email; the old address stays as an alias, as Google keeps it."""
    user = user_get(email)
    previous = search_snapshot(user)
    old, new = user.primary_email, normal(new_email)
    if domain_of(new) != user.domain:
        raise SandboxError("The new email must be in one of the customer's domains")
    user.aliases = [a for a in user.aliases if a != new]
    if email_taken(user.domain, new):
        raise SandboxError(f"Entity already exists: {new}")
    user.primary_email = new
    user.aliases = [*user.aliases, old]
    _user_changed(user, "RENAME_USER", {"USER_EMAIL": old, "NEW_VALUE": new}, actor, previous)
    return user


def _flag_change(email, field_name, value, event_name, actor, *, deleted=False, extra=None):
    with transaction.atomic():
        user = user_get(email, deleted=deleted)
        if getattr(user, field_name) == value:
            return user
        previous = search_snapshot(user)
        setattr(user, field_name, value)
        for name, extra_value in (extra or {}).items():
            setattr(user, name, extra_value)
        _user_changed(user, event_name, {"USER_EMAIL": user.primary_email}, actor, previous)
        return user


def user_suspend(*, email: str, actor: str | None = None) -> DirUser:
    return _flag_change(
        email, "suspended", True, "SUSPEND_USER", actor, extra={"suspension_reason": "ADMIN"}
    )


def user_unsuspend(*, email: str, actor: str | None = None) -> DirUser:
    return _flag_change(
        email, "suspended", False, "UNSUSPEND_USER", actor, extra={"suspension_reason": ""}
    )


def user_make_admin(*, email: str, actor: str | None = None) -> DirUser:
    return _flag_change(email, "is_admin", True, "GRANT_ADMIN_PRIVILEGE", actor)


def user_revoke_admin(*, email: str, actor: str | None = None) -> DirUser:
    return _flag_change(email, "is_admin", False, "REVOKE_ADMIN_PRIVILEGE", actor)


@transaction.atomic
def user_delete(*, email: str, actor: str | None = None) -> DirUser:
    user = user_get(email)
    previous = search_snapshot(user)
    user.deleted_at = clock.now()
    # issued tokens of a deleted subject stop working
    AccessToken.objects.filter(subject=user).delete()
    _user_changed(user, "DELETE_USER", {"USER_EMAIL": user.primary_email}, actor, previous)
    return user


@transaction.atomic
def user_undelete(*, email: str, actor: str | None = None) -> DirUser:
    """Restore a deleted user — only within Google's retention (after it, they are purged)."""
    user = user_get(email, deleted=True)
    if email_taken(user.domain, user.primary_email):
        raise SandboxError(f"Entity already exists: {user.primary_email}")
    previous = search_snapshot(user)
    user.deleted_at = None
    _user_changed(user, "UNDELETE_USER", {"USER_EMAIL": user.primary_email}, actor, previous)
    return user
