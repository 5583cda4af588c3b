"""Reads of people, always scoped to one organization."""

from django.db.models import Q, QuerySet

from organizations.models import Organization
from organizations.tenancy import scoped

from .models import User


def person_list(*, organization: Organization, search: str = "") -> QuerySet[User]:
    people = scoped(User, organization).exclude(status=User.Status.ARCHIVED)
    search = search.strip()
    if search:
        people = people.filter(
            Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    # Only the columns the list shows: at 100,000 people a page stays one narrow query.
    return people.only(
        "pk", "email", "first_name", "last_name", "role", "status", "org_unit_path"
    ).order_by("last_name", "first_name", "email", "pk")
