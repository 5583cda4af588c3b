"""Set-based writes of synced people, groups and memberships (the G Suite sync calls these).

Every function takes many rows and issues a constant number of queries (bulk_create /
bulk_update / one UPDATE ... WHERE pk IN), so a page of 500 people costs the same few queries
as a page of one. State changes of people (deactivate, archive, restore) are audited with one
INSERT per call (`audit_record_many`) and end the sessions of people who lose access (one
UPDATE bumping `session_generation`). The user-management issue adds seat assignment here,
inside the same calls.

Callers pass `acting_user=None` for the sync.
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record_many
from config import bulk as config_bulk
from organizations.models import Organization

from .models import Group, GroupMembership, User

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
            organization=organization, google_id__in=[r["google_id"] for r in records]
        ).values_list("google_id", "pk")
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
    row carrying every name in `fields` (bulk_update writes them all)."""
    if not rows:
        return 0
    now = timezone.now()
    instances = [User(pk=pk, google_synced_at=now, **values) for pk, values in rows]
    return User.objects.bulk_update(
        instances, [*fields, "google_synced_at"], batch_size=SYNC_BATCH_SIZE
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
) -> list[User]:
    """Change the status of many people: (person or pk, new status, new google state).

    People losing access (deactivated, archived) have every session ended. Each change is
    audited as `person.deactivated` / `person.archived` / `person.restored` with the reason.
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
    instances = []
    for pk, values in rows:
        instance = Group(pk=pk, synced_at=now, **values)
        instances.append(instance)
    return Group.objects.bulk_update(
        instances, ["etag", "email", "name", "description", "synced_at"], batch_size=SYNC_BATCH_SIZE
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
