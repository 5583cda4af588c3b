"""The one place that changes the sandbox's state — used by the CLI, the pages, the API and tests.

Flow of every change: look up the domain/user/group, change the rows in a transaction, recompute
the resource's etag, record a Reports API admin `Activity` with Google's event name and
parameters (emails, not ids — as at Google), and, for user changes, enqueue one `PushOutbox` row
per matching live `users.watch` channel. Push deliveries are never made inline: the sandbox
server's drainer thread (googlesandbox/push.py) posts them after commit, so a change made by a
CLI process that exits at once is still delivered.

`seed` is the bulk path: it replaces a domain's directory with a deterministic synthetic one
(users through PostgreSQL COPY — Django's bulk_create spends ~30 s of Python per 100,000 rows —
everything else through bulk_create) and records no activities or pushes (it stands for a
directory that already existed before anyone watched it).
"""

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from . import keys
from .models import (
    AccessToken,
    Activity,
    DirGroup,
    DirMember,
    DirUser,
    Domain,
    Faults,
    Grant,
    OrgUnit,
    PushChannel,
    PushOutbox,
)
from .resources import (
    etag_for,
    user_etag,
    user_etag_from,
    user_resource,
    user_resource_json,
)

FAULT_KINDS = ("429", "500", "503", "userRateLimitExceeded", "quotaExceeded", "timeout")
PUSH_EVENTS = ("add", "delete", "makeAdmin", "undelete", "update")
CHANNEL_MAX_TTL = timedelta(days=2)
CHANNEL_DEFAULT_TTL = timedelta(hours=6)
ACCESS_TOKEN_LIFETIME = timedelta(seconds=3600)

# Google's admin-audit event names -> the users.watch event they notify
USER_EVENT_PUSH = {
    "CREATE_USER": "add",
    "DELETE_USER": "delete",
    "UNDELETE_USER": "undelete",
    "GRANT_ADMIN_PRIVILEGE": "makeAdmin",
    "REVOKE_ADMIN_PRIVILEGE": "makeAdmin",
}


class SandboxError(ValueError):
    """A sandbox operation that cannot be done (unknown domain/user, duplicate email, ...)."""


# ---------------------------------------------------------------------------------------------
# Hearth's identity as the sandbox knows it


CONTRACT_SCOPES = tuple(
    "https://www.googleapis.com/auth/" + name
    for name in (
        "admin.directory.user.readonly",
        "admin.directory.group.readonly",
        "admin.directory.orgunit.readonly",
        "admin.directory.customer.readonly",
        "admin.reports.audit.readonly",
    )
)


def hearth_scopes() -> tuple[str, ...]:
    """The scopes Hearth asks for at install: integrations/google/scopes.py is the source."""
    try:
        from integrations.google.scopes import GOOGLE_SCOPES
    except ModuleNotFoundError:
        # the integration package is built separately; until it ships its constant, the
        # contract's list stands in (identical by definition)
        return CONTRACT_SCOPES
    return tuple(GOOGLE_SCOPES)


def hearth_client_id() -> str:
    return keys.service_account_known().client_id


# ---------------------------------------------------------------------------------------------
# lookups


def _domain(domain: "Domain | str") -> Domain:
    if isinstance(domain, Domain):
        return domain
    name = domain.strip().lower()
    try:
        return Domain.objects.get(name=name)
    except Domain.DoesNotExist as exc:
        raise SandboxError(f"Unknown domain {name}") from exc


def _domain_of(email: str) -> Domain:
    if "@" not in email:
        raise SandboxError(f"Not an email address: {email}")
    return _domain(email.rsplit("@", 1)[1])


def _normal(email: str) -> str:
    return email.strip().lower()


def user_find(email_or_id: str, *, domain: Domain | None = None, deleted=False) -> DirUser | None:
    """A live (or, with deleted=True, the most recently deleted) user by id, email or alias."""
    key = _normal(email_or_id)
    users = DirUser.objects.select_related("domain")
    if domain is not None:
        users = users.filter(domain=domain)
    users = users.filter(deleted_at__isnull=not deleted)
    if key.isdigit():
        return users.filter(google_id=key).first()
    found = users.filter(primary_email=key).order_by("-deleted_at").first()
    if found is None and not deleted:
        found = users.filter(aliases__icontains=f'"{key}"').first()
    return found


def _user(email: str, *, deleted=False) -> DirUser:
    user = user_find(email, deleted=deleted)
    if user is None:
        state = "deleted user" if deleted else "user"
        raise SandboxError(f"Unknown {state} {email}")
    return user


def group_find(email_or_id: str, *, domain: Domain | None = None) -> DirGroup | None:
    key = _normal(email_or_id)
    groups = DirGroup.objects.select_related("domain")
    if domain is not None:
        groups = groups.filter(domain=domain)
    return groups.filter(Q(email=key) | Q(google_id=key) | Q(aliases__icontains=f'"{key}"')).first()


def _group(email: str) -> DirGroup:
    group = group_find(email)
    if group is None:
        raise SandboxError(f"Unknown group {email}")
    return group


def _email_taken(domain: Domain, email: str) -> bool:
    live = DirUser.objects.filter(domain=domain, deleted_at__isnull=True)
    return (
        live.filter(Q(primary_email=email) | Q(aliases__icontains=f'"{email}"')).exists()
        or DirGroup.objects.filter(domain=domain, email=email).exists()
    )


# ---------------------------------------------------------------------------------------------
# ids


def _google_user_id(rng: random.Random | None = None) -> str:
    value = (rng.randrange(10**20) if rng else secrets.randbelow(10**20)) + 10**20
    return str(value)


def _google_group_id(rng: random.Random | None = None) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    pick = rng.choice if rng else secrets.choice
    return "0" + "".join(pick(alphabet) for _ in range(14))


def _customer_id(name: str) -> str:
    digest = etag_for("customer", name).strip('"')
    return "C0" + digest[:7]


# ---------------------------------------------------------------------------------------------
# activity + push


def _actor(domain: Domain, actor: str | None) -> tuple[str, str]:
    email = _normal(actor) if actor else f"admin@{domain.name}"
    profile = (
        DirUser.objects.filter(primary_email=email, deleted_at__isnull=True)
        .values_list("google_id", flat=True)
        .first()
    )
    return email, profile or ""


def _record(domain: Domain, event_name: str, parameters: dict, actor: str | None) -> Activity:
    actor_email, profile_id = _actor(domain, actor)
    event_type = "GROUP_SETTINGS" if "GROUP" in event_name else "USER_SETTINGS"
    return Activity.objects.create(
        domain=domain,
        time=timezone.now(),
        unique_qualifier=str(secrets.randbelow(10**18)),
        actor_email=actor_email,
        actor_profile_id=profile_id,
        event_type=event_type,
        event_name=event_name,
        parameters=[{"name": k, "value": v} for k, v in parameters.items() if v is not None],
    )


def _api_base() -> str:
    base = settings.GOOGLE_API_ENDPOINT
    return base if base.endswith("/") else base + "/"


def _enqueue(channel: PushChannel, state: str, body: str, now: datetime) -> PushOutbox:
    PushChannel.objects.filter(pk=channel.pk).update(message_count=F("message_count") + 1)
    channel.refresh_from_db(fields=["message_count"])
    return PushOutbox.objects.create(
        channel=channel,
        state=state,
        message_number=channel.message_count,
        body=body,
        next_attempt_at=now,
        created_at=now,
    )


def _push_user_change(user: DirUser, event_name: str) -> None:
    event = USER_EVENT_PUSH.get(event_name, "update")
    domain = user.domain
    now = timezone.now()
    channels = list(
        PushChannel.objects.select_for_update().filter(
            domain=domain, event=event, stopped_at__isnull=True, expires_at__gt=now
        )
    )
    if not channels:
        return
    if Faults.objects.filter(domain=domain, drop_push=True).exists():
        return  # the drop_push fault: Google silently loses the notification
    body = json.dumps(user_resource(user, domain=domain, photo_base=_api_base()))
    for channel in channels:
        _enqueue(channel, event, body, now)


def _user_refresh(user: DirUser) -> None:
    """Recompute the etag and the stored resource JSON after any change to `user`."""
    user.etag = user_etag(user)
    user.resource_json = user_resource_json(user, customer_id=user.domain.customer_id)


def _user_changed(user: DirUser, event_name: str, parameters: dict, actor: str | None) -> None:
    _user_refresh(user)
    user.save()
    _record(user.domain, event_name, parameters, actor)
    _push_user_change(user, event_name)


# ---------------------------------------------------------------------------------------------
# domains


@transaction.atomic
def domain_create(
    *, name: str, organization_name: str = "", api_access: bool = True
) -> Domain:
    name = name.strip().lower()
    if Domain.objects.filter(name=name).exists():
        raise SandboxError(f"Domain {name} already exists")
    domain = Domain.objects.create(
        name=name,
        customer_id=_customer_id(name),
        organization_name=organization_name or name.split(".")[0].title(),
        api_access=api_access,
        created_at=timezone.now(),
    )
    Faults.objects.create(domain=domain)
    return domain


def domain_get_or_create(name: str) -> Domain:
    try:
        return _domain(name)
    except SandboxError:
        return domain_create(name=name)


def set_api_access(*, domain: "Domain | str", enabled: bool) -> Domain:
    domain = _domain(domain)
    Domain.objects.filter(pk=domain.pk).update(api_access=enabled)
    domain.api_access = enabled
    return domain


@transaction.atomic
def install(
    *, domain: "Domain | str", client_id: str | None = None, scopes=None
) -> Grant:
    """Domain install from the Marketplace: a domain-wide grant of Hearth's scopes."""
    domain = _domain(domain)
    grant, _ = Grant.objects.update_or_create(
        domain=domain,
        client_id=client_id or hearth_client_id(),
        defaults={
            "scopes": list(scopes if scopes is not None else hearth_scopes()),
            "created_at": timezone.now(),
        },
    )
    return grant


def uninstall(*, domain: "Domain | str", client_id: str | None = None) -> bool:
    domain = _domain(domain)
    deleted, _ = Grant.objects.filter(
        domain=domain, client_id=client_id or hearth_client_id()
    ).delete()
    # tokens already issued under the grant stop working, as at Google after removal
    AccessToken.objects.filter(domain=domain).delete()
    return bool(deleted)


def is_installed(domain: "Domain | str") -> bool:
    domain = _domain(domain)
    try:
        client_id = hearth_client_id()
    except keys.KeyFileMissing:
        return False
    return Grant.objects.filter(domain=domain, client_id=client_id).exists()


def faults_set(
    *,
    domain: "Domain | str",
    latency_ms: int | None = None,
    jitter_ms: int | None = None,
    error_rates: dict | None = None,
    qpm: int | None = None,
    drop_push: bool | None = None,
    timeout_seconds: float | None = None,
) -> Faults:
    domain = _domain(domain)
    faults, _ = Faults.objects.get_or_create(domain=domain)
    if error_rates is not None:
        unknown = set(error_rates) - set(FAULT_KINDS)
        if unknown:
            raise SandboxError(
                f"Unknown fault kind(s) {sorted(unknown)}; use {', '.join(FAULT_KINDS)}"
            )
        for kind, rate in error_rates.items():
            if not 0 <= float(rate) <= 1:
                raise SandboxError(f"Error rate for {kind} must be within 0..1")
        faults.error_rates = {k: float(v) for k, v in error_rates.items() if float(v) > 0}
    for name, value in (
        ("latency_ms", latency_ms),
        ("jitter_ms", jitter_ms),
        ("qpm", qpm),
        ("drop_push", drop_push),
        ("timeout_seconds", timeout_seconds),
    ):
        if value is not None:
            setattr(faults, name, value)
    if faults.qpm < 1:
        raise SandboxError("qpm must be at least 1")
    faults.save()
    return faults


def faults_dict(faults: Faults) -> dict:
    return {
        "latency_ms": faults.latency_ms,
        "jitter_ms": faults.jitter_ms,
        "error_rates": faults.error_rates,
        "qpm": faults.qpm,
        "drop_push": faults.drop_push,
        "timeout_seconds": faults.timeout_seconds,
    }


def show(domain: "Domain | str") -> dict:
    domain = _domain(domain)
    users = DirUser.objects.filter(domain=domain).aggregate(
        users=Count("id", filter=Q(deleted_at__isnull=True)),
        deleted_users=Count("id", filter=Q(deleted_at__isnull=False)),
        suspended=Count("id", filter=Q(deleted_at__isnull=True, suspended=True)),
        admins=Count("id", filter=Q(deleted_at__isnull=True, is_admin=True)),
    )
    faults, _ = Faults.objects.get_or_create(domain=domain)
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
            "installed": is_installed(domain),
            "faults": faults_dict(faults),
        },
        "grants": [
            {"client_id": g.client_id, "scopes": g.scopes, "created_at": g.created_at.isoformat()}
            for g in domain.grants.order_by("created_at")
        ],
    }


# ---------------------------------------------------------------------------------------------
# org units


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
                "org_unit_id": "id:" + _google_group_id()[1:],
                "etag": etag_for("ou", domain.pk, sub),
            },
        )
    return unit


# ---------------------------------------------------------------------------------------------
# users


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
    email = _normal(email)
    domain = _domain_of(email)
    if _email_taken(domain, email):
        raise SandboxError(f"Entity already exists: {email}")
    local = email.split("@")[0]
    org_unit_ensure(domain, org_unit_path)
    user = DirUser(
        domain=domain,
        google_id=_google_user_id(),
        primary_email=email,
        given_name=given_name or local.split(".")[0].title(),
        family_name=family_name or (local.split(".")[1].title() if "." in local else "User"),
        org_unit_path="/" + org_unit_path.strip().strip("/"),
        is_admin=is_admin,
        title=title,
        department=department,
        phone=phone,
        manager_email=_normal(manager_email) if manager_email else "",
        creation_time=timezone.now(),
    )
    _user_refresh(user)
    user.save()
    _record(domain, "CREATE_USER", {"USER_EMAIL": email}, actor)
    _push_user_change(user, "CREATE_USER")
    if is_admin:
        _record(domain, "GRANT_ADMIN_PRIVILEGE", {"USER_EMAIL": email}, actor)
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
    user = _user(email)
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
    if manager_email is not None and _normal(manager_email) != user.manager_email:
        user.manager_email = _normal(manager_email)
        events.append(("CHANGE_USER_RELATION", user.manager_email, None))
    if org_unit_path is not None:
        path = "/" + org_unit_path.strip().strip("/")
        if path != user.org_unit_path:
            org_unit_ensure(user.domain, path)
            events.append(("MOVE_USER_TO_ORG_UNIT", path, user.org_unit_path))
            user.org_unit_path = path
    if not events:
        return user
    _user_refresh(user)
    user.save()
    for name, new, old in events:
        params = {"USER_EMAIL": user.primary_email, "NEW_VALUE": new}
        if name == "MOVE_USER_TO_ORG_UNIT":
            params["ORG_UNIT_NAME"] = old
        elif old is not None:
            params["OLD_VALUE"] = old
        _record(user.domain, name, params, actor)
    _push_user_change(user, "UPDATE_USER")
    return user


@transaction.atomic
def user_rename(*, email: str, new_email: str, actor: str | None = None) -> DirUser:
    """Change the primary email; the old address stays as an alias, as Google keeps it."""
    user = _user(email)
    old, new = user.primary_email, _normal(new_email)
    if _domain_of(new) != user.domain:
        raise SandboxError("The new email must be in the same domain")
    user.aliases = [a for a in user.aliases if a != new]
    if _email_taken(user.domain, new):
        raise SandboxError(f"Entity already exists: {new}")
    user.primary_email = new
    user.aliases = [*user.aliases, old]
    _user_changed(user, "RENAME_USER", {"USER_EMAIL": old, "NEW_VALUE": new}, actor)
    return user


def _flag_change(email, field_name, value, event_name, actor, *, deleted=False, extra=None):
    with transaction.atomic():
        user = _user(email, deleted=deleted)
        if getattr(user, field_name) == value:
            return user
        setattr(user, field_name, value)
        for name, extra_value in (extra or {}).items():
            setattr(user, name, extra_value)
        _user_changed(user, event_name, {"USER_EMAIL": user.primary_email}, actor)
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
    user = _user(email)
    user.deleted_at = timezone.now()
    # issued tokens of a deleted subject stop working
    AccessToken.objects.filter(subject=user).delete()
    _user_changed(user, "DELETE_USER", {"USER_EMAIL": user.primary_email}, actor)
    return user


@transaction.atomic
def user_undelete(*, email: str, actor: str | None = None) -> DirUser:
    user = _user(email, deleted=True)
    if _email_taken(user.domain, user.primary_email):
        raise SandboxError(f"Entity already exists: {user.primary_email}")
    user.deleted_at = None
    _user_changed(user, "UNDELETE_USER", {"USER_EMAIL": user.primary_email}, actor)
    return user


@transaction.atomic
def user_record_login(*, email: str) -> DirUser:
    """Used by the emulated sign-in: sets lastLoginTime (no admin activity at Google)."""
    user = _user(email)
    user.last_login_time = timezone.now()
    _user_refresh(user)
    user.save(update_fields=["last_login_time", "etag", "resource_json"])
    return user


# ---------------------------------------------------------------------------------------------
# groups and members


@transaction.atomic
def group_add(
    *, email: str, name: str = "", description: str = "", actor: str | None = None
) -> DirGroup:
    email = _normal(email)
    domain = _domain_of(email)
    if _email_taken(domain, email):
        raise SandboxError(f"Entity already exists: {email}")
    group = DirGroup(
        domain=domain,
        google_id=_google_group_id(),
        email=email,
        name=name or email.split("@")[0].replace("-", " ").title(),
        description=description,
        created_at=timezone.now(),
    )
    group.etag = etag_for(group.google_id, group.email, group.name, group.description)
    group.save()
    _record(domain, "CREATE_GROUP", {"GROUP_EMAIL": email}, actor)
    return group


@transaction.atomic
def group_delete(*, email: str, actor: str | None = None) -> None:
    group = _group(email)
    domain, group_email = group.domain, group.email
    group.delete()
    _record(domain, "DELETE_GROUP", {"GROUP_EMAIL": group_email}, actor)


@transaction.atomic
def group_rename(*, email: str, name: str, actor: str | None = None) -> DirGroup:
    group = _group(email)
    old = group.name
    if old == name:
        return group
    group.name = name
    group.etag = etag_for(group.google_id, group.email, group.name, group.description)
    group.save()
    _record(
        group.domain,
        "CHANGE_GROUP_NAME",
        {"GROUP_EMAIL": group.email, "NEW_VALUE": name, "OLD_VALUE": old},
        actor,
    )
    return group


def _member_filter(group: DirGroup, member_email: str) -> tuple[dict, dict]:
    """(lookup identifying the membership, fields for a new one) for `member_email`."""
    key = _normal(member_email)
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
    if key.endswith("@" + group.domain.name):
        raise SandboxError(f"Unknown user or group {key}")
    # an address outside the domain: an external member (allowed, as Google allows it)
    return (
        {"external_email": key},
        {
            "external_email": key,
            "external_id": _google_user_id()[:21],
            "member_type": DirMember.TYPE_USER,
        },
    )


@transaction.atomic
def member_add(
    *, group_email: str, member_email: str, role: str = "MEMBER", actor: str | None = None
) -> DirMember:
    group = _group(group_email)
    role = role.upper()
    if role not in dict(DirMember.ROLES):
        raise SandboxError(f"Unknown role {role}")
    lookup, fields = _member_filter(group, member_email)
    existing = DirMember.objects.filter(group=group, **lookup).first()
    if existing:
        if existing.role != role:
            existing.role = role
            existing.save(update_fields=["role"])
            _record(
                group.domain,
                "UPDATE_GROUP_MEMBER",
                {"USER_EMAIL": _normal(member_email), "GROUP_EMAIL": group.email,
                 "MEMBER_ROLE": role},
                actor,
            )
        return existing
    member = DirMember.objects.create(group=group, role=role, created_at=timezone.now(), **fields)
    _record(
        group.domain,
        "ADD_GROUP_MEMBER",
        {"USER_EMAIL": _normal(member_email), "GROUP_EMAIL": group.email},
        actor,
    )
    return member


@transaction.atomic
def member_remove(*, group_email: str, member_email: str, actor: str | None = None) -> None:
    group = _group(group_email)
    lookup, _ = _member_filter(group, member_email)
    deleted, _ = DirMember.objects.filter(group=group, **lookup).delete()
    if not deleted:
        raise SandboxError(f"{member_email} is not a member of {group.email}")
    _record(
        group.domain,
        "REMOVE_GROUP_MEMBER",
        {"USER_EMAIL": _normal(member_email), "GROUP_EMAIL": group.email},
        actor,
    )


# ---------------------------------------------------------------------------------------------
# tokens and push channels (used by the API views)


def access_token_issue(
    *, domain: Domain, subject: DirUser | None, subject_email: str, client_id: str, scopes
) -> AccessToken:
    now = timezone.now()
    return AccessToken.objects.create(
        token="ya29.sandbox-" + secrets.token_urlsafe(48),
        domain=domain,
        subject=subject,
        subject_email=subject_email,
        client_id=client_id,
        scopes=list(scopes),
        expires_at=now + ACCESS_TOKEN_LIFETIME,
        created_at=now,
    )


@transaction.atomic
def channel_watch(
    *,
    domain: Domain,
    channel_id: str,
    address: str,
    event: str,
    token: str = "",
    expiration_ms: int | None = None,
    ttl_seconds: int | None = None,
    resource_uri: str,
) -> PushChannel:
    """Register a users.watch channel and enqueue its `sync` message (message number 1)."""
    if event not in PUSH_EVENTS:
        raise SandboxError(f"Invalid event {event!r}; one of {', '.join(PUSH_EVENTS)}")
    if not address.startswith(("http://", "https://")):
        raise SandboxError("Channel address must be an http(s) URL")
    now = timezone.now()
    expires_at = now + CHANNEL_DEFAULT_TTL
    if ttl_seconds is not None:
        expires_at = now + timedelta(seconds=int(ttl_seconds))
    elif expiration_ms is not None:
        expires_at = datetime.fromtimestamp(int(expiration_ms) / 1000, tz=UTC)
    expires_at = min(expires_at, now + CHANNEL_MAX_TTL)
    channel = PushChannel.objects.create(
        domain=domain,
        channel_id=channel_id,
        resource_id=secrets.token_urlsafe(21),
        resource_uri=resource_uri,
        token=token,
        address=address,
        event=event,
        expires_at=expires_at,
        created_at=now,
    )
    _enqueue(channel, "sync", "", now)
    return channel


def channel_stop(*, domain: Domain, channel_id: str, resource_id: str) -> bool:
    stopped = PushChannel.objects.filter(
        domain=domain, channel_id=channel_id, resource_id=resource_id, stopped_at__isnull=True
    ).update(stopped_at=timezone.now())
    return bool(stopped)


# ---------------------------------------------------------------------------------------------
# seeding

GIVEN_NAMES = (
    "Ada", "Alan", "Alice", "Amara", "Amir", "Ana", "Andrea", "Anya", "Arjun", "Ben", "Bianca",
    "Carla", "Carlos", "Chen", "Chloe", "Dana", "Daniel", "David", "Diego", "Elena", "Eli",
    "Emma", "Erik", "Eva", "Farah", "Felix", "Fatima", "Grace", "Hana", "Hugo", "Ines", "Ivan",
    "Jack", "James", "Jana", "Jin", "Joao", "Jonas", "Julia", "Kai", "Karim", "Kenji", "Lara",
    "Leo", "Lina", "Lucas", "Luis", "Maya", "Mei", "Mia", "Milan", "Nadia", "Nina", "Noah",
    "Nora", "Olga", "Omar", "Oscar", "Paula", "Pedro", "Priya", "Rafael", "Rosa", "Ruth", "Sam",
    "Sara", "Sofia", "Tariq", "Theo", "Tom", "Uma", "Vera", "Victor", "Wei", "Yara", "Yusuf",
    "Zara", "Zoe",
)
FAMILY_NAMES = (
    "Abbott", "Adams", "Ahmed", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown",
    "Carter", "Chen", "Costa", "Cruz", "Diaz", "Dubois", "Evans", "Fischer", "Garcia", "Gomez",
    "Gupta", "Hansen", "Harris", "Hoffmann", "Ito", "Jensen", "Johnson", "Kim", "Klein",
    "Kowalski", "Kumar", "Lang", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Muller",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Perez", "Petrov", "Quinn",
    "Rossi", "Russo", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka",
    "Taylor", "Thomas", "Torres", "Vargas", "Wagner", "Walker", "Wang", "Weber", "Wilson", "Wong",
    "Yilmaz", "Young", "Zhang", "Ziegler",
)
SEED_ORG_UNITS = (
    "/Engineering", "/Engineering/Platform", "/Engineering/Product", "/Sales", "/Marketing",
    "/Support", "/Operations", "/Contractors",
)
TITLES = {
    "/": "Staff", "/Engineering": "Engineer", "/Engineering/Platform": "Platform Engineer",
    "/Engineering/Product": "Product Engineer", "/Sales": "Account Executive",
    "/Marketing": "Marketing Manager", "/Support": "Support Specialist",
    "/Operations": "Operations Analyst", "/Contractors": "Contractor",
}
GROUP_WORDS = (
    "engineering", "sales", "marketing", "support", "operations", "design", "finance", "legal",
    "people", "security", "platform", "product", "research", "data", "growth", "partners",
)
SEED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class SeedResult:
    domain: Domain
    admin_emails: list[str] = field(default_factory=list)
    users: int = 0
    groups: int = 0
    members: int = 0


def _wipe_directory(domain: Domain) -> None:
    """Delete a domain's directory with set-based SQL (no per-row cascade collection)."""
    with connection.cursor() as cursor:
        for sql in (
            "DELETE FROM gsandbox_dirmember WHERE group_id IN "
            "(SELECT id FROM gsandbox_dirgroup WHERE domain_id = %s)",
            "DELETE FROM gsandbox_dirmember WHERE user_id IN "
            "(SELECT id FROM gsandbox_diruser WHERE domain_id = %s)",
            "DELETE FROM gsandbox_accesstoken WHERE domain_id = %s",
            "DELETE FROM gsandbox_dirgroup WHERE domain_id = %s",
            "DELETE FROM gsandbox_diruser WHERE domain_id = %s",
            "DELETE FROM gsandbox_orgunit WHERE domain_id = %s",
            "DELETE FROM gsandbox_activity WHERE domain_id = %s",
        ):
            cursor.execute(sql, [domain.pk])


def _users_insert(rows: list[dict]) -> None:
    """Insert seeded users: COPY on PostgreSQL (100,000 rows in seconds), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        DirUser.objects.bulk_create((DirUser(**row) for row in rows), batch_size=2000)
        return
    columns = list(rows[0])
    sql = f"COPY {DirUser._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c]) if c == "aliases" else row[c] for c in columns]
            )


@transaction.atomic
def seed(
    domain: "Domain | str",
    users: int,
    groups: int = 0,
    members_per_group: int = 0,
    admins: int = 1,
    seed: int = 0,
) -> SeedResult:
    """Replace `domain`'s directory with a deterministic synthetic one.

    The first `admins` users are super admins: admin@D, admin2@D, ... Grants, API access and
    fault settings are kept; users, groups, members, org units, tokens and activities are
    replaced. When there are two or more groups the first group also contains the second
    (a nested group), so derived membership is always exercised.
    """
    if users < 1 or admins < 0 or admins > users:
        raise SandboxError("Need users >= 1 and 0 <= admins <= users")
    name = domain.name if isinstance(domain, Domain) else domain.strip().lower()
    domain = domain_get_or_create(name)
    _wipe_directory(domain)
    rng = random.Random(f"{seed}:{name}")
    now = timezone.now()

    OrgUnit.objects.bulk_create(
        OrgUnit(
            domain=domain,
            path=path,
            name=path.rsplit("/", 1)[1],
            org_unit_id="id:" + _google_group_id(rng)[1:],
            etag=etag_for("ou", name, path),
        )
        for path in SEED_ORG_UNITS
    )
    paths = ("/", *SEED_ORG_UNITS)
    result = SeedResult(domain=domain)
    seen_ids: set[str] = set()
    seen_locals: dict[str, int] = {}
    first_in_unit: dict[str, str] = {}
    rows = []
    for index in range(users):
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        if index < admins:
            local = "admin" if index == 0 else f"admin{index + 1}"
            path = "/"
        else:
            base = f"{given}.{family}".lower()
            count = seen_locals.get(base, 0) + 1
            seen_locals[base] = count
            local = base if count == 1 else f"{base}{count}"
            path = paths[rng.randrange(len(paths))]
        email = f"{local}@{name}"
        google_id = _google_user_id(rng)
        while google_id in seen_ids:
            google_id = _google_user_id(rng)
        seen_ids.add(google_id)
        created = SEED_EPOCH + timedelta(seconds=rng.randrange(4 * 365 * 86400))
        login = None if rng.random() < 0.1 else created + timedelta(days=rng.randrange(1, 400))
        suspended = index >= admins and rng.random() < 0.02
        row = {
            "domain_id": domain.pk,
            "google_id": google_id,
            "primary_email": email,
            "aliases": [],
            "given_name": given,
            "family_name": family,
            "org_unit_path": path,
            "is_admin": index < admins,
            "suspended": suspended,
            "suspension_reason": "ADMIN" if suspended else "",
            "archived": False,
            "title": "Administrator" if index < admins else TITLES[path],
            "department": path.strip("/").split("/")[0] or "General",
            "phone": f"+1 555 {rng.randrange(10**7):07d}",
            "manager_email": first_in_unit.get(path, "") if index >= admins else "",
            "creation_time": created,
            "last_login_time": login,
            "deleted_at": None,
        }
        row["etag"] = user_etag_from(row)
        row["resource_json"] = user_resource_json(
            SimpleNamespace(**row), customer_id=domain.customer_id
        )
        first_in_unit.setdefault(path, email)
        rows.append(row)
        if index < admins:
            result.admin_emails.append(email)
    # Written in the order users.list reads them (primary_email, the keyset order; ids follow
    # the insert order): a page of 500 is then a few consecutive heap pages instead of 500
    # random ones. `rows` keeps its generation order for the memberships below.
    _users_insert(sorted(rows, key=lambda row: row["primary_email"]))
    result.users = len(rows)
    user_pks = dict(DirUser.objects.filter(domain=domain).values_list("google_id", "id"))

    group_rows = []
    for index in range(groups):
        word = GROUP_WORDS[index % len(GROUP_WORDS)]
        local = word if index < len(GROUP_WORDS) else f"{word}-{index // len(GROUP_WORDS) + 1}"
        group = DirGroup(
            domain=domain,
            google_id=_google_group_id(rng),
            email=f"{local}@{name}",
            name=local.replace("-", " ").title(),
            description=f"The {word} team",
            created_at=now,
        )
        group.etag = etag_for(group.google_id, group.email, group.name, group.description)
        group_rows.append(group)
    DirGroup.objects.bulk_create(group_rows, batch_size=2000)
    result.groups = len(group_rows)

    member_rows = []
    per_group = min(members_per_group, len(rows))
    for group in group_rows:
        for position, user_index in enumerate(rng.sample(range(len(rows)), per_group)):
            role = DirMember.ROLE_OWNER if position == 0 else DirMember.ROLE_MEMBER
            member_rows.append(
                DirMember(
                    group=group,
                    user_id=user_pks[rows[user_index]["google_id"]],
                    role=role,
                    created_at=now,
                )
            )
    if len(group_rows) >= 2:
        member_rows.append(
            DirMember(
                group=group_rows[0],
                member_group=group_rows[1],
                member_type=DirMember.TYPE_GROUP,
                created_at=now,
            )
        )
    DirMember.objects.bulk_create(member_rows, batch_size=5000)
    result.members = len(member_rows)
    if connection.vendor == "postgresql":
        # fresh statistics for every table seeded, or the planner keeps estimating the tables
        # as they were before (empty) and picks sequential scans for the first pages
        with connection.cursor() as cursor:
            for model in (OrgUnit, DirUser, DirGroup, DirMember):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return result
