"""The naive reference syncs — kept in the bench only, as baselines Hearth is compared with.

Both fetch sequentially (one call at a time) with the same Google client module Hearth uses
(integrations.google.client) and write with the ORM; neither computes a plan, records changes
or holds back removals. Flow: users (active listing, then deleted listing) → groups → each
group's members → people no listing returned archived.

- `row` — what a first, straightforward implementation would do: `update_or_create` per person,
  per group and per membership (each a SELECT and then an INSERT or UPDATE, in autocommit), one
  lookup of the member's person per membership, archival one `save()` at a time.
- `paged` — the better first draft: the organization's Google id -> pk maps loaded once, then
  one transaction per page (per group for members) with `bulk_create` for the new rows and
  `bulk_update` for the others, archival in one UPDATE.

`--fetch-only` makes the same calls and writes nothing. Run it in its own process through
bench.probe: `python -m bench.probe OUT bench.naive:main ORG_SLUG SUBJECT_EMAIL --row|--paged`.
"""

import json
import sys
import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone


def _when(value: str | None):
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _person_fields(resource: dict, now) -> dict:
    from usermanagement.models import GoogleState, User

    name = resource.get("name") or {}
    organizations = resource.get("organizations") or [{}]
    phones = resource.get("phones") or [{}]
    managers = [r for r in resource.get("relations") or [] if r.get("type") == "manager"]
    suspended = bool(resource.get("suspended"))
    return {
        "email": resource["primaryEmail"].lower(),
        "first_name": name.get("givenName", "")[:150],
        "last_name": name.get("familyName", "")[:150],
        "status": User.Status.DEACTIVATED if suspended else User.Status.ACTIVE,
        "google_state": GoogleState.SUSPENDED if suspended else GoogleState.ACTIVE,
        "google_etag": resource.get("etag", "")[:64],
        "aliases": resource.get("aliases") or [],
        "org_unit_path": resource.get("orgUnitPath", ""),
        "title": organizations[0].get("title", ""),
        "department": organizations[0].get("department", ""),
        "phone": phones[0].get("value", ""),
        "manager_email": managers[0].get("value", "") if managers else "",
        "photo_url": resource.get("thumbnailPhotoUrl", ""),
        "google_is_admin": bool(resource.get("isAdmin")),
        "google_archived": bool(resource.get("archived")),
        "google_created_at": _when(resource.get("creationTime")),
        "google_last_login_at": _when(resource.get("lastLoginTime")),
        "google_synced_at": now,
    }


def naive_sync(*, organization, subject: str, fetch_only: bool = False) -> dict:
    from integrations.google.client import google_client
    from usermanagement.models import GoogleState, Group, GroupMembership, User

    client = google_client(subject=subject)
    now = timezone.now()
    counts = {"users": 0, "deleted_users": 0, "groups": 0, "memberships": 0, "archived": 0}
    seen: set[str] = set()

    for page in client.users_pages():
        for resource in page:
            counts["users"] += 1
            seen.add(resource["id"])
            if not fetch_only:
                User.objects.update_or_create(
                    organization=organization,
                    google_id=resource["id"],
                    defaults=_person_fields(resource, now),
                    create_defaults={**_person_fields(resource, now), "password": "!"},
                )
    for page in client.users_pages(show_deleted=True):
        for resource in page:
            counts["deleted_users"] += 1
            if not fetch_only:
                person = User.objects.filter(
                    organization=organization, google_id=resource["id"]
                ).first()
                if person is not None and person.status != User.Status.ARCHIVED:
                    person.status = User.Status.ARCHIVED
                    person.google_state = GoogleState.DELETED
                    person.save()

    for page in client.groups_pages():
        for resource in page:
            counts["groups"] += 1
            group = None
            if not fetch_only:
                group, _ = Group.objects.update_or_create(
                    organization=organization,
                    google_id=resource["id"],
                    defaults=_group_fields(resource, now),
                )
            for member in client.members(resource["id"]):
                counts["memberships"] += 1
                if fetch_only:
                    continue
                kind = _member_kind(member)
                user = (
                    User.objects.filter(organization=organization, google_id=member["id"]).first()
                    if kind == "user"
                    else None
                )
                member_group = (
                    Group.objects.filter(organization=organization, google_id=member["id"]).first()
                    if kind == "group"
                    else None
                )
                GroupMembership.objects.update_or_create(
                    group=group,
                    member_google_id=member.get("id") or member.get("email", ""),
                    defaults={
                        "organization": organization,
                        "member_type": kind,
                        "member_email": member.get("email", ""),
                        "user": user,
                        "member_group": member_group,
                        "role": member.get("role", "MEMBER").lower(),
                        "direct": True,
                    },
                )

    if not fetch_only:
        missing = User.objects.filter(organization=organization, google_id__isnull=False).exclude(
            status=User.Status.ARCHIVED
        )
        for person in missing.iterator():
            if person.google_id not in seen:
                person.status = User.Status.ARCHIVED
                person.google_state = GoogleState.MISSING
                person.save()
                counts["archived"] += 1
    counts["api_calls"] = client.calls
    return counts


def _group_fields(resource: dict, now) -> dict:
    return {
        "email": resource.get("email", "").lower(),
        "name": resource.get("name", ""),
        "description": resource.get("description", ""),
        "etag": resource.get("etag", "")[:64],
        "synced_at": now,
    }


def _member_kind(member: dict) -> str:
    return {"USER": "user", "GROUP": "group"}.get(member.get("type"), "external")


def naive_paged_sync(*, organization, subject: str) -> dict:
    from integrations.google.client import google_client
    from usermanagement.models import GoogleState, Group, GroupMembership, User

    client = google_client(subject=subject)
    now = timezone.now()
    counts = {"users": 0, "deleted_users": 0, "groups": 0, "memberships": 0, "archived": 0}
    people = dict(
        User.objects.filter(organization=organization, google_id__isnull=False).values_list(
            "google_id", "pk"
        )
    )
    seen: set[str] = set()
    fields = None
    for page in client.users_pages():
        with transaction.atomic():
            new, old = [], []
            for resource in page:
                counts["users"] += 1
                seen.add(resource["id"])
                values = _person_fields(resource, now)
                fields = fields or list(values)
                person = User(organization=organization, google_id=resource["id"], **values)
                if resource["id"] in people:
                    person.pk = people[resource["id"]]
                    old.append(person)
                else:
                    person.password = "!"
                    new.append(person)
            for person in User.objects.bulk_create(new):
                people[person.google_id] = person.pk
            if old:
                User.objects.bulk_update(old, fields)
    for page in client.users_pages(show_deleted=True):
        counts["deleted_users"] += len(page)
        ids = [r["id"] for r in page if r["id"] in people]
        with transaction.atomic():
            User.objects.filter(organization=organization, google_id__in=ids).exclude(
                status=User.Status.ARCHIVED
            ).update(status=User.Status.ARCHIVED, google_state=GoogleState.DELETED)

    groups = dict(Group.objects.filter(organization=organization).values_list("google_id", "pk"))
    group_ids = []
    for page in client.groups_pages():
        with transaction.atomic():
            new, old = [], []
            for resource in page:
                counts["groups"] += 1
                group_ids.append(resource["id"])
                group = Group(
                    organization=organization,
                    google_id=resource["id"],
                    **_group_fields(resource, now),
                )
                if resource["id"] in groups:
                    group.pk = groups[resource["id"]]
                    old.append(group)
                else:
                    new.append(group)
            for group in Group.objects.bulk_create(new):
                groups[group.google_id] = group.pk
            if old:
                Group.objects.bulk_update(old, list(_group_fields({}, now)))
    for group_id in group_ids:
        members = client.members(group_id)
        counts["memberships"] += len(members)
        group_pk = groups[group_id]
        with transaction.atomic():
            current = dict(
                GroupMembership.objects.filter(group_id=group_pk).values_list(
                    "member_google_id", "pk"
                )
            )
            new, old = [], []
            for member in members:
                kind = _member_kind(member)
                key = member.get("id") or member.get("email", "")
                row = GroupMembership(
                    organization=organization,
                    group_id=group_pk,
                    member_google_id=key,
                    member_type=kind,
                    member_email=member.get("email", ""),
                    user_id=people.get(member.get("id")) if kind == "user" else None,
                    member_group_id=groups.get(member.get("id")) if kind == "group" else None,
                    role=member.get("role", "MEMBER").lower(),
                    direct=True,
                )
                if key in current:
                    row.pk = current.pop(key)
                    old.append(row)
                else:
                    new.append(row)
            GroupMembership.objects.bulk_create(new)
            if old:
                GroupMembership.objects.bulk_update(
                    old, ["member_type", "member_email", "user", "member_group", "role"]
                )
            if current:
                GroupMembership.objects.filter(pk__in=current.values()).delete()
    with transaction.atomic():
        missing = [gid for gid in people if gid not in seen]
        counts["archived"] = (
            User.objects.filter(organization=organization, google_id__in=missing)
            .exclude(status=User.Status.ARCHIVED)
            .update(status=User.Status.ARCHIVED, google_state=GoogleState.MISSING)
        )
    counts["api_calls"] = client.calls
    return counts


def main(argv: list[str]) -> dict:
    from organizations.models import Organization

    slug, subject, *flags = argv
    organization = Organization.objects.get(slug=slug)
    started = time.perf_counter()
    if "--paged" in flags:
        counts = naive_paged_sync(organization=organization, subject=subject)
    else:
        counts = naive_sync(
            organization=organization, subject=subject, fetch_only="--fetch-only" in flags
        )
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(main(sys.argv[1:])))
