"""The People page's list query (panel/views_people.py), with its seat in the same query.

`person_list` is the People page's query at 100,000 people: every filter is an indexed column
or a semi-join, search is one `LIKE` on the trigram-indexed `search_text` column, each sort
order has its own (organization, ...) index, and the page carries its seat in the same query
(LEFT JOIN). A page therefore costs a count, the page itself and at most one query for the
waiting-line places of its waiting people — whatever the number of people.
"""

from dataclasses import dataclass

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from licenses.models import PersonLicense
from organizations.models import Organization
from organizations.tenancy import scoped
from usermanagement.models import GroupMembership, User
from usermanagement.selectors import org_units

SORTS = {
    "name": ("last_name", "first_name", "email", "pk"),
    "-name": ("-last_name", "-first_name", "-email", "-pk"),
    "email": ("email", "pk"),
    "-email": ("-email", "-pk"),
    "joined": ("date_joined", "pk"),
    "-joined": ("-date_joined", "-pk"),
    "login": ("google_last_login_at", "pk"),
    "-login": ("-google_last_login_at", "-pk"),
}
STATUSES = ("current", "active", "deactivated", "archived", "all")
LICENSES = ("licensed", "unlicensed", "waiting", "uncounted")
SOURCES = ("google", "invited")


@dataclass(frozen=True)
class PeopleFilters:
    search: str = ""
    status: str = "current"  # active + deactivated: archived people are hidden by default
    license: str = ""
    org_unit: str = ""
    group_id: int | None = None
    source: str = ""
    google_admin: bool = False
    sort: str = "name"

    @classmethod
    def from_query(cls, query) -> "PeopleFilters":
        group = query.get("group", "")
        status = query.get("status", "current")
        return cls(
            search=query.get("q", "").strip()[:200],
            status=status if status in STATUSES else "current",
            license=query.get("license", "") if query.get("license") in LICENSES else "",
            org_unit=query.get("org_unit", "").strip()[:500],
            group_id=int(group) if group.isdigit() else None,
            source=query.get("source", "") if query.get("source") in SOURCES else "",
            google_admin=query.get("google_admin") == "1",
            sort=query.get("sort", "name") if query.get("sort") in SORTS else "name",
        )

    @property
    def active_count(self) -> int:
        """How many filters differ from the defaults (for the "Clear filters" link)."""
        return sum(
            (
                self.status != "current",
                bool(self.license),
                bool(self.org_unit),
                self.group_id is not None,
                bool(self.source),
                self.google_admin,
            )
        )


def person_list(
    *,
    organization: Organization,
    filters: PeopleFilters | None = None,
    search: str = "",
    units: list[str] | None = None,
) -> QuerySet[User]:
    """`units`: the organization's org units when the caller has them already (`org_units`)."""
    filters = filters or PeopleFilters(search=search)
    people = scoped(User, organization)
    if filters.status == "current":
        # IN rather than NOT: the count can then be an index-only scan of (organization, status)
        people = people.filter(status__in=[User.Status.ACTIVE, User.Status.DEACTIVATED])
    elif filters.status != "all":
        people = people.filter(status=filters.status)
    if filters.search:
        people = people.filter(search_text__contains=filters.search.lower())
    if filters.license == "licensed":
        people = people.filter(license__state=PersonLicense.State.LICENSED)
    elif filters.license == "unlicensed":
        people = people.filter(license__state=PersonLicense.State.UNLICENSED)
    elif filters.license == "waiting":
        people = people.filter(
            license__state=PersonLicense.State.UNLICENSED, license__waiting_since__isnull=False
        )
    elif filters.license == "uncounted":
        people = people.filter(license__isnull=True)
    if filters.org_unit:
        if units is None:
            units = org_units(organization=organization)
        people = _in_org_unit(people, units, filters.org_unit)
    if filters.group_id is not None:
        people = people.filter(
            pk__in=GroupMembership.objects.filter(
                group_id=filters.group_id, organization=organization, user__isnull=False
            ).values("user_id")
        )
    if filters.source == "google":
        people = people.filter(google_id__isnull=False)
    elif filters.source == "invited":
        people = people.filter(google_id__isnull=True)
    if filters.google_admin:
        people = people.filter(google_is_admin=True)
    # Only the columns the list shows: at 100,000 people a page stays one narrow query.
    return (
        people.select_related("license")
        .only(
            "pk",
            "email",
            "first_name",
            "last_name",
            "role",
            "status",
            "org_unit_path",
            "google_id",
            "google_is_admin",
            "google_last_login_at",
            "license__state",
            "license__waiting_since",
        )
        .order_by(*_ordering(filters))
    )


def _in_org_unit(people: QuerySet[User], units: list[str], raw: str) -> QuerySet[User]:
    """People in the unit or its sub-units, as `org_unit_path IN (the units that exist)`.

    The same people as licenses' `org_unit_q` (path = X OR path LIKE 'X/%'), but the IN list
    is an index-only scan of (organization, org_unit_path) INCLUDE status for the count
    (~15 ms at 100,000 people) where the OR read every row (~95 ms). The units come from
    `org_units` (a loose index scan, ~1 ms), which the full page needs for its form anyway.
    """
    path = "/" + raw.strip().strip("/")
    if path == "/":
        return people
    inside = [unit for unit in units if unit == path or unit.startswith(path + "/")]
    return people.filter(org_unit_path__in=inside) if inside else people.none()


def _ordering(filters: PeopleFilters) -> tuple:
    """The sort, with its leading text column hidden from the planner during a search.

    A search matches few people, but they may all sort late ("hopper": 3,000 people, all
    after 31,000 others by name); PostgreSQL then walks the sort index and filters row by row
    (~400 ms at 100,000 people). COALESCE(column, '') sorts the same (the columns are NOT NULL)
    but matches no index, so a search is planned as the trigram lookup plus a top-50 sort.
    """
    ordering = SORTS[filters.sort]
    first = ordering[0].lstrip("-")
    if len(filters.search) < 3 or first not in ("last_name", "email"):
        return ordering  # too short for the trigram index: the index walk is the better plan
    key = Coalesce(F(first), Value(""))
    return (key.desc() if ordering[0].startswith("-") else key.asc(), *ordering[1:])
