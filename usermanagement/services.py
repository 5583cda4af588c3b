"""Every write to people, groups and memberships. Views, tasks, commands and other apps'
services call these; nothing else saves a User, Group or GroupMembership row.

One person at a time (each in its own transaction, audited where the person's standing changes):
- `organization_signup`: sign-up creates an organization and makes the person its first admin;
- `person_create`, `person_credentials_set`: a person added by hand (an accepted invitation,
  the demo admin) and the password and names they choose;
- `person_role_set`: Hearth admin or member — access.roles decides whether the change is
  allowed (never the last admin who can sign in) and calls this;
- `person_email_verified`: the address is proven (an invitation link opened in that mailbox,
  Google vouching at Sign in with Google), so allauth sends no verification email;
- `people_sessions_end`: every session of these people ends at once (a seat taken away).

Set-based, for the G Suite sync (`people_*`, `groups_*`, `memberships_*`): every function takes
many rows and issues a constant number of queries (config.bulk's COPY and UPDATE … FROM VALUES,
one UPDATE ... WHERE pk IN), so a page of 500 people costs the same few queries as a page of
one. State changes of people (deactivate, archive, restore) are audited with one INSERT per call
(`audit_record_many`) and end the sessions of people who lose access (one UPDATE bumping
`session_generation`). Callers pass `acting_user=None` for the sync.
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from audit.services import audit_record, audit_record_many
from config import bulk as config_bulk
from organizations.models import Organization
from organizations.services import organization_create

from .models import Group, GroupMembership, User

# --- one person at a time ------------------------------------------------------------------------


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


@transaction.atomic
def person_create(
    *,
    organization: Organization,
    email: str,
    acting_user: User | None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Add an active member by hand (the sync creates its people with `people_create_synced`).
    Without a password the person cannot sign in with one (Sign in with Google still works)."""
    person = User.objects.create_user(
        email,
        password,
        organization=organization,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="person.created",
        target=person,
        details={"email": person.email},
    )
    return person


def person_credentials_set(
    *, person: User, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """The password a person chose, and their names when they gave them (blank keeps the
    names the sync or an earlier step set)."""
    person.first_name = first_name.strip() or person.first_name
    person.last_name = last_name.strip() or person.last_name
    person.set_password(password)
    person.save(update_fields=["first_name", "last_name", "password"])
    return person


@transaction.atomic
def person_role_set(
    *, organization: Organization, person: User, role: str, acting_user: User | None
) -> User:
    """Write the role and audit the change (person.admin_granted / person.admin_revoked).
    Whether the change is allowed is access.roles' rule, which calls this."""
    previous = person.role
    if previous == role:
        return person
    User.objects.filter(pk=person.pk).update(role=role)
    person.role = role
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="person.admin_granted" if role == User.Role.ADMIN else "person.admin_revoked",
        target=person,
        details={"role": [previous, role]},
    )
    return person


@transaction.atomic
def person_email_verified(*, person: User) -> None:
    """Mark the person's primary address verified (allauth's EmailAddress), creating the row
    when allauth has none yet; the address becomes primary unless another one is."""
    address = EmailAddress.objects.filter(user=person, email__iexact=person.email).first()
    if address is None:
        EmailAddress.objects.create(
            user=person,
            email=person.email,
            verified=True,
            primary=not EmailAddress.objects.filter(user=person, primary=True).exists(),
        )
    elif not address.verified:
        EmailAddress.objects.filter(pk=address.pk).update(verified=True)


def people_sessions_end(*, pks: Iterable[int]) -> int:
    """End every session of these people at once (one UPDATE, see User.session_generation)."""
    pks = list(pks)
    if not pks:
        return 0
    return User.objects.filter(pk__in=pks).update(session_generation=F("session_generation") + 1)


# --- set-based, for the G Suite sync -------------------------------------------------------------

SYNC_BATCH_SIZE = 1000


def people_create_synced(
    *, organization: Organization, records: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Create synced people; returns their pks in the order of `records`. Each record:
    google_id, google_etag, google_state, status, and the synced fields
    (integrations.sync.planning.USER_FIELDS). They have no usable password (they sign in with
    Google). Written as plain rows (config.bulk): a first sync creates them by the thousand."""
    if not records:
        return []
    config_bulk.records_insert(
        User,
        [{**record, "password": _unusable_password()} for record in records],
        common={"organization_id": organization.pk, "google_synced_at": timezone.now()},
    )
    pk_by_google_id = dict(
        User.objects.filter(
            config_bulk.any_of("google_id", [r["google_id"] for r in records]),
            organization=organization,
        )
        .order_by()
        .values_list("google_id", "pk")
    )
    return [pk_by_google_id[record["google_id"]] for record in records]


def _unusable_password() -> str:
    # What set_unusable_password() stores (the prefix marks it unusable), from one urandom
    # call instead of a SystemRandom call per character.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def people_update_synced(
    *, rows: Sequence[tuple[int, Mapping[str, Any]]], fields: Sequence[str]
) -> int:
    """Write synced fields of existing people in one UPDATE: rows of (pk, {field: value}), each
    row carrying every name in `fields`."""
    if not rows:
        return 0
    now = timezone.now()
    return config_bulk.rows_update(
        User,
        [*fields, "google_synced_at"],
        [(pk, *(values[name] for name in fields), now) for pk, values in rows],
    )


def people_google_state_set(*, pks: Iterable[int], google_state: str) -> int:
    """Remember Google's state without changing Hearth's status (kept / rejected / already)."""
    pks = list(pks)
    if not pks:
        return 0
    return User.objects.filter(pk__in=pks).update(google_state=google_state)


def people_status_change(
    *,
    organization: Organization,
    changes: Sequence[tuple[User | int, str, str]],
    acting_user: User | None,
    reason: str,
    etags: Mapping[int, str] | None = None,
) -> list[User]:
    """Change the status of many people: (person or pk, new status, new google state).

    People losing access (deactivated, archived) have every session ended. Each change is
    audited as `person.deactivated` / `person.archived` / `person.restored` with the reason.
    `etags`: Google's new etag of some of them (a suspension changes it), written by the same
    UPDATE, so that the change costs one row write.
    """
    if not changes:
        return []
    pks = [item.pk if isinstance(item, User) else item for item, _status, _state in changes]
    people = {p.pk: p for p in User.objects.filter(organization=organization, pk__in=pks)}
    by_target: dict[tuple[str, str], list[int]] = {}
    for item, status, google_state in changes:
        pk = item.pk if isinstance(item, User) else item
        if pk in people:
            by_target.setdefault((status, google_state), []).append(pk)
    audited: list[User] = []
    for (status, google_state), group_pks in by_target.items():
        values: dict[str, Any] = {"status": status}
        if google_state:
            values["google_state"] = google_state
        if status != User.Status.ACTIVE:
            values["session_generation"] = F("session_generation") + 1
        new_etags = [When(pk=pk, then=Value(etags[pk])) for pk in group_pks if pk in (etags or {})]
        if new_etags:
            values["google_etag"] = Case(*new_etags, default=F("google_etag"))
        User.objects.filter(pk__in=group_pks).update(**values)
        targets = [people[pk] for pk in group_pks]
        previous = {person: person.status for person in targets}
        for person in targets:
            person.status = status
        action = {
            User.Status.ACTIVE: "person.restored",
            User.Status.DEACTIVATED: "person.deactivated",
            User.Status.ARCHIVED: "person.archived",
        }[status]
        audit_record_many(
            organization=organization,
            acting_user=acting_user,
            action=action,
            targets=targets,
            details_by_target={
                person: {"reason": reason, "previous_status": previous[person]}
                for person in targets
            },
        )
        audited.extend(targets)
    return audited


# --- groups ------------------------------------------------------------------------------------


def groups_create_synced(
    *, organization: Organization, records: Sequence[Mapping[str, Any]]
) -> list[Group]:
    """Create groups: records of google_id, etag, email, name, description."""
    if not records:
        return []
    now = timezone.now()
    return Group.objects.bulk_create(
        [Group(organization=organization, synced_at=now, **record) for record in records],
        batch_size=SYNC_BATCH_SIZE,
    )


def groups_update_synced(*, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> int:
    if not rows:
        return 0
    now = timezone.now()
    fields = ["etag", "email", "name", "description"]
    return config_bulk.rows_update(
        Group,
        [*fields, "synced_at"],
        [(pk, *(values[name] for name in fields), now) for pk, values in rows],
    )


def groups_kept_set(*, pks: Iterable[int], kept: bool) -> int:
    """Mark groups kept against Google (a rejected deletion) or clear the mark."""
    pks = list(pks)
    if not pks:
        return 0
    return Group.objects.filter(pk__in=pks).update(kept_since=timezone.now() if kept else None)


def memberships_kept_set(*, pks: Iterable[int], kept: bool) -> int:
    """Mark memberships kept against Google (a rejected removal) or clear the mark."""
    pks = list(pks)
    if not pks:
        return 0
    return GroupMembership.objects.filter(pk__in=pks).update(
        kept_since=timezone.now() if kept else None
    )


def groups_delete_synced(*, pks: Iterable[int]) -> int:
    """Delete groups Google no longer has, with their memberships (both directions)."""
    pks = list(pks)
    if not pks:
        return 0
    GroupMembership.objects.filter(group_id__in=pks).delete()
    GroupMembership.objects.filter(member_group_id__in=pks).delete()
    deleted, _ = Group.objects.filter(pk__in=pks).delete()
    return deleted


def memberships_apply(
    *,
    organization: Organization,
    add: Sequence[Mapping[str, Any]],
    update: Sequence[tuple[int, Mapping[str, Any]]],
    remove: Iterable[int],
) -> None:
    """Membership changes of many groups at once: new rows, (pk, {role, ...}) updates, pks gone.

    `add`: records of attnames (group_id, member_type, member_google_id, member_email,
    user_id, member_group_id, role, direct), written as plain rows (config.bulk) — a first
    sync adds them by the hundred thousand."""
    remove = list(remove)
    if remove:
        GroupMembership.objects.filter(pk__in=remove).delete()
    if update:
        instances = []
        for pk, values in update:
            instances.append(
                GroupMembership(pk=pk, **{k: v for k, v in values.items() if k != "group"})
            )
        GroupMembership.objects.bulk_update(
            instances,
            ["role", "direct", "member_type", "member_email", "user", "member_group"],
            batch_size=SYNC_BATCH_SIZE,
        )
    if add:
        config_bulk.records_insert(
            GroupMembership, add, common={"organization_id": organization.pk}
        )
