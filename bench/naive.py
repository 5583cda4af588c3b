"""The naive reference sync — kept in the bench only, as the baseline Hearth is compared with.

It is what a first, straightforward implementation would do: fetch sequentially (one call at a
time) with the same Google client module Hearth uses (integrations.google.client), and write
row by row with the ORM: `update_or_create` per person, per group and per membership (each a
SELECT and then an INSERT or UPDATE, in autocommit), one lookup of the member's person per
membership, then archive the people missing from the listing one `save()` at a time.

Flow: users (active listing, then deleted listing) → groups → each group's members.

`fetch_only=True` makes the same calls and writes nothing: the sequential fetch of scenario 3.
Run it in its own process through bench.probe: `python -m bench.probe OUT bench.naive:main
ORG_SLUG SUBJECT_EMAIL [--fetch-only]`.
"""

import json
import sys
import time
from datetime import datetime

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
                    defaults={
                        "email": resource.get("email", "").lower(),
                        "name": resource.get("name", ""),
                        "description": resource.get("description", ""),
                        "etag": resource.get("etag", "")[:64],
                        "synced_at": now,
                    },
                )
            for member in client.members(resource["id"]):
                counts["memberships"] += 1
                if fetch_only:
                    continue
                kind = {"USER": "user", "GROUP": "group"}.get(member.get("type"), "external")
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


def main(argv: list[str]) -> dict:
    from organizations.models import Organization

    slug, subject, *flags = argv
    organization = Organization.objects.get(slug=slug)
    started = time.perf_counter()
    counts = naive_sync(
        organization=organization, subject=subject, fetch_only="--fetch-only" in flags
    )
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(main(sys.argv[1:])))
