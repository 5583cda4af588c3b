"""Google's JSON resource shapes for sandbox rows (Directory API v1 and Reports API v1).

Pure functions from model instances to dicts, shared by the API views, the push bodies and the
pages. Field names, kinds and formats follow the discovery documents shipped in
google-api-python-client (admin.directory_v1.json, admin.reports_v1.json).
"""

import hashlib
import json
from datetime import datetime

from .models import Activity, DirGroup, DirMember, DirUser, Domain, OrgUnit

USER_ETAG_FIELDS = (
    "google_id", "primary_email", "aliases", "given_name", "family_name", "org_unit_path",
    "is_admin", "suspended", "archived", "title", "department", "phone", "manager_email",
    "last_login_time", "deleted_at",
)


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def etag_for(*parts) -> str:
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:27]
    return f'"{digest}"'


def user_etag_from(values: dict) -> str:
    """The etag of a user from its field values (dict keyed by USER_ETAG_FIELDS)."""
    parts = []
    for field in USER_ETAG_FIELDS:
        value = values.get(field)
        parts.append(value.isoformat() if isinstance(value, datetime) else value)
    return etag_for(*parts)


def user_etag(user: DirUser) -> str:
    return user_etag_from({field: getattr(user, field) for field in USER_ETAG_FIELDS})


PHOTO_BASE_PLACEHOLDER = "https://sandbox-base.invalid/"


def user_resource_json(user, *, customer_id: str, domain_aliases: dict | None = None) -> str:
    """The stored JSON of a user (DirUser or an object with the same attributes)."""
    resource = user_resource(
        user,
        customer_id=customer_id,
        photo_base=PHOTO_BASE_PLACEHOLDER,
        domain_aliases=domain_aliases,
    )
    return json.dumps(resource, separators=(",", ":"))


def non_editable_aliases(addresses, domain_aliases: dict | None) -> list[str]:
    """The addresses a domain alias gives: local@alias for each local@domain it aliases."""
    found = []
    for address in addresses:
        local, _, host = address.rpartition("@")
        found += [f"{local}@{alias}" for alias in (domain_aliases or {}).get(host, ())]
    return found


def user_push_body(user) -> dict:
    """What a users.watch notification carries: only these four fields, as Google sends them."""
    return {
        "kind": "admin#directory#user",
        "id": user.google_id,
        "etag": user.etag,
        "primaryEmail": user.primary_email,
    }


def user_resource(
    user: DirUser,
    *,
    domain: Domain | None = None,
    customer_id: str = "",
    photo_base: str = "",
    domain_aliases: dict | None = None,
) -> dict:
    resource = {
        "kind": "admin#directory#user",
        "id": user.google_id,
        "etag": user.etag,
        "primaryEmail": user.primary_email,
        "name": {
            "givenName": user.given_name,
            "familyName": user.family_name,
            "fullName": f"{user.given_name} {user.family_name}".strip(),
        },
        "isAdmin": user.is_admin,
        "isDelegatedAdmin": False,
        "lastLoginTime": rfc3339(user.last_login_time) or "1970-01-01T00:00:00.000Z",
        "creationTime": rfc3339(user.creation_time),
        "agreedToTerms": user.last_login_time is not None,
        "suspended": user.suspended,
        "archived": user.archived,
        "changePasswordAtNextLogin": False,
        "ipWhitelisted": False,
        "emails": [{"address": user.primary_email, "primary": True}]
        + [{"address": alias} for alias in user.aliases],
        "customerId": domain.customer_id if domain else customer_id,
        "orgUnitPath": user.org_unit_path,
        "isMailboxSetup": True,
        "isEnrolledIn2Sv": False,
        "isEnforcedIn2Sv": False,
        "includeInGlobalAddressList": True,
    }
    if user.suspended:
        resource["suspensionReason"] = user.suspension_reason or "ADMIN"
    if user.aliases:
        resource["aliases"] = list(user.aliases)
    extra = non_editable_aliases([user.primary_email, *user.aliases], domain_aliases)
    if extra:
        resource["nonEditableAliases"] = extra
    if user.title or user.department:
        resource["organizations"] = [
            {
                "title": user.title,
                "department": user.department,
                "primary": True,
                "customType": "",
            }
        ]
    if user.phone:
        resource["phones"] = [{"value": user.phone, "type": "work"}]
    if user.manager_email:
        resource["relations"] = [{"value": user.manager_email, "type": "manager"}]
    if photo_base:
        resource["thumbnailPhotoUrl"] = f"{photo_base}photos/{user.google_id}.svg"
        resource["thumbnailPhotoEtag"] = user.etag
    if user.deleted_at is not None:
        resource["deletionTime"] = rfc3339(user.deleted_at)
    return resource


def group_resource(group: DirGroup, *, direct_members_count: int | None = None) -> dict:
    resource = {
        "kind": "admin#directory#group",
        "id": group.google_id,
        "etag": group.etag,
        "email": group.email,
        "name": group.name,
        "description": group.description,
        "adminCreated": group.admin_created,
    }
    if direct_members_count is not None:
        resource["directMembersCount"] = str(direct_members_count)
    if group.aliases:
        resource["aliases"] = list(group.aliases)
    return resource


def member_resource(member: DirMember, *, domain: Domain) -> dict:
    if member.member_type == DirMember.TYPE_CUSTOMER:
        member_id, email, status = domain.customer_id, None, None
    elif member.user_id:
        user = member.user
        member_id, email = user.google_id, user.primary_email
        status = "SUSPENDED" if user.suspended else "ACTIVE"
    elif member.member_group_id:
        member_id, email, status = member.member_group.google_id, member.member_group.email, None
    else:
        member_id, email, status = member.external_id, member.external_email, "ACTIVE"
    resource = {
        "kind": "admin#directory#member",
        "etag": etag_for(member.id, member.role, member_id, email),
        "id": member_id,
        "role": member.role,
        "type": member.member_type,
        "delivery_settings": "ALL_MAIL",
    }
    if email:
        resource["email"] = email
    if status:
        resource["status"] = status
    return resource


def org_unit_resource(unit: OrgUnit, *, parent_id: str | None) -> dict:
    resource = {
        "kind": "admin#directory#orgUnit",
        "etag": unit.etag,
        "name": unit.name,
        "description": unit.description,
        "orgUnitPath": unit.path,
        "orgUnitId": unit.org_unit_id,
        "parentOrgUnitPath": unit.parent_path,
        "blockInheritance": False,
    }
    if parent_id:
        resource["parentOrgUnitId"] = parent_id
    return resource


def customer_resource(domain: Domain) -> dict:
    return {
        "kind": "admin#directory#customer",
        "id": domain.customer_id,
        "etag": etag_for(domain.customer_id, domain.name),
        "customerDomain": domain.name,
        "alternateEmail": f"postmaster@{domain.name}",
        "customerCreationTime": rfc3339(domain.created_at),
        "language": "en",
        "postalAddress": {
            "organizationName": domain.organization_name or domain.name,
            "countryCode": "US",
        },
    }


def activity_resource(activity: Activity, *, customer_id: str) -> dict:
    return {
        "kind": "admin#reports#activity",
        "id": {
            "time": rfc3339(activity.time),
            "uniqueQualifier": activity.unique_qualifier,
            "applicationName": "admin",
            "customerId": customer_id,
        },
        "etag": etag_for(activity.id, activity.unique_qualifier),
        "actor": {
            "callerType": "USER",
            "email": activity.actor_email,
            "profileId": activity.actor_profile_id,
        },
        "ipAddress": "127.0.0.1",
        "events": [
            {
                "type": activity.event_type,
                "name": activity.event_name,
                "parameters": activity.parameters,
            }
        ],
    }
