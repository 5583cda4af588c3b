"""Reads of people, always scoped to one organization: their org units (a loose index scan),
groups, the active Hearth admins, the person behind a Google id.

The People page's list query (filters, search, sorts, seats in the same query) is the panel's:
panel/selectors.py.
"""

from django.db import connection
from django.db.models import QuerySet

from organizations.models import Organization
from organizations.tenancy import scoped

from .models import Group, GroupMembership, User


def org_units(*, organization: Organization) -> list[str]:
    """The org units people are in, sorted.

    A loose index scan: one probe of the (organization, org_unit_path) index per distinct unit
    ("the first path after the previous one"), so a few dozen units cost a few dozen index
    lookups whatever the number of people. `SELECT DISTINCT` read every person (~60 ms at
    100,000) on every People page.
    """
    table = User._meta.db_table
    # MIN(...) rather than a parenthesised ORDER BY ... LIMIT 1: PostgreSQL turns it into the
    # same single index probe, and SQLite (local runs) accepts no parentheses around a member
    # of a compound SELECT.
    sql = f"""
        WITH RECURSIVE units(path) AS (
            SELECT MIN(org_unit_path) FROM {table}
             WHERE organization_id = %(org)s AND org_unit_path > ''
            UNION ALL
            SELECT (SELECT MIN(org_unit_path) FROM {table}
                     WHERE organization_id = %(org)s AND org_unit_path > units.path)
              FROM units WHERE units.path IS NOT NULL
        )
        SELECT path FROM units WHERE path IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organization.pk})
        return [path for (path,) in cursor.fetchall()]


def admins_active(*, organization: Organization) -> QuerySet[User]:
    """The organization's active Hearth admins: who is emailed about the organization, who may
    be asked to finish the G Suite setup, whom a refused person is told to ask."""
    return scoped(User, organization).filter(role=User.Role.ADMIN, status=User.Status.ACTIVE)


def person_for_google_sub(*, sub: str) -> User | None:
    """The synced person with this Google id (Sign in with Google's `sub`, any organization);
    one who is not archived wins over archived ones."""
    if not sub:
        return None
    candidates = User.objects.filter(google_id=sub, organization__isnull=False).select_related(
        "organization"
    )
    return candidates.exclude(status=User.Status.ARCHIVED).first() or candidates.first()


def groups_for_filter(*, organization: Organization, limit: int = 500) -> list[tuple[int, str]]:
    return list(
        scoped(Group, organization).order_by("email").values_list("pk", "email")[:limit]
    )


def person_groups(*, person: User) -> list[GroupMembership]:
    return list(
        GroupMembership.objects.filter(user=person)
        .select_related("group")
        .order_by("-direct", "group__email")
    )
