"""User Management → People: the list (search, filters, sorting, pages, bulk seats), its CSV
export (the list as filtered, streamed) and a person's page. Reads come from panel.selectors
(the list) and usermanagement.selectors; the buttons post to the seats' views (licenses.views)
and the admins' (panel.views_admins)."""

import csv
from datetime import UTC

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from integrations.models import Integration, SyncChange
from licenses.selectors import waiting_positions
from organizations.tenancy import organization_admin_required, scoped_get_or_404
from usermanagement.models import User
from usermanagement.rules import name_for_display
from usermanagement.selectors import groups_for_filter, org_units, person_groups

from . import selectors

PEOPLE_PER_PAGE = 50
HISTORY_SHOWN = 50
# From this many people skipped on, a page is found by its ids first (see PeoplePaginator).
DEFERRED_JOIN_FROM = 1_000


class PeoplePaginator(Paginator):
    """Offset pages; deep pages through a deferred join.

    `OFFSET 49,950` on the full query reads (and joins the seat of) every skipped person. For a
    deep page the ids are taken first — same filters and order, only `id`, which the sort
    indexes answer without the rows — then the page's people are loaded by id: one more query,
    whatever the page.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom < DEFERRED_JOIN_FROM:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._get_page(list(self.object_list.filter(pk__in=ids)), number, self)


@organization_admin_required
def person_list(request):
    organization = request.organization
    filters = selectors.PeopleFilters.from_query(request.GET)
    # the full page lists the org units for its form; the org-unit filter uses the same list
    units = None if request.htmx else org_units(organization=organization)
    people = selectors.person_list(organization=organization, filters=filters, units=units)
    page = PeoplePaginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    waiting = [
        person.pk
        for person in page
        if getattr(person, "license", None) is not None and person.license.is_waiting
    ]
    context = {
        "page": page,
        "filters": filters,
        "search": filters.search,
        "positions": waiting_positions(organization=organization, person_ids=waiting),
        "tab": "people",
    }
    if request.htmx:
        return render(request, "panel/_person_rows.html", context)
    context["org_units"] = units
    context["groups"] = groups_for_filter(organization=organization)
    return render(request, "panel/person_list.html", context)


@organization_admin_required
def person_detail(request, person_id: int):
    organization = request.organization
    person = scoped_get_or_404(User.objects.select_related("license"), organization, pk=person_id)
    seat = getattr(person, "license", None)
    position = None
    if seat is not None and seat.is_waiting:
        position = waiting_positions(organization=organization, person_ids=[person.pk]).get(
            person.pk
        )
    history = (
        SyncChange.objects.filter(
            object_type="user", object_id=str(person.pk), run__organization=organization
        )
        .exclude(kind=SyncChange.Kind.UPDATE, diff={})  # an update that changed nothing shown
        .select_related("run")
        .order_by("-run__created_at", "-id")[:HISTORY_SHOWN]
    )
    return render(
        request,
        "panel/person_detail.html",
        {
            "person": person,
            "seat": seat,
            "position": position,
            "memberships": person_groups(person=person),
            "history": history,
            "is_sync_account": Integration.objects.filter(
                organization=organization, sync_account=person
            ).exists(),
            "tab": "people",
        },
    )


# The export's columns: (header, value of a person of person_list's query).
EXPORT_COLUMNS = (
    ("Name", lambda p: p.full_name),
    ("Email", lambda p: p.email),
    ("Org unit", lambda p: p.org_unit_path),
    ("Status", lambda p: p.get_status_display()),
    ("Seat", lambda p: _seat_words(p)),
    ("Role", lambda p: p.get_role_display()),
    ("G Suite admin", lambda p: "yes" if p.google_is_admin else "no"),
    ("Source", lambda p: "Google" if p.google_id else "Invited or signed up"),
    (
        "Last sign-in (UTC)",
        lambda p: f"{timezone.localtime(p.google_last_login_at, UTC):%Y-%m-%d %H:%M}"
        if p.google_last_login_at
        else "",
    ),
)
EXPORT_CHUNK = 2_000


def _seat_words(person) -> str:
    seat = getattr(person, "license", None)
    if seat is None:
        return "Not counted yet"
    if seat.is_licensed:
        return "Licensed"
    return "Waiting for a seat" if seat.is_waiting else "Unlicensed"


class _Echo:
    def write(self, value):
        return value


def _cell(value: str) -> str:
    """A cell as a spreadsheet reads it: no bidi controls, and no formula (a value starting
    with = + - @ is read as one by spreadsheet programs)."""
    value = name_for_display(str(value))
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@organization_admin_required
def person_export(request):
    """The People list as filtered and sorted now, as CSV, streamed: rows are written as they
    are read (a server-side cursor in chunks), so 100,000 people never sit in memory."""
    filters = selectors.PeopleFilters.from_query(request.GET)
    people = selectors.person_list(organization=request.organization, filters=filters)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # the byte-order mark: spreadsheet programs then read UTF-8 names right
        yield writer.writerow([header for header, _value in EXPORT_COLUMNS])
        for person in people.iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow([_cell(value(person)) for _header, value in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="people-{stamp}.csv"'
    return response
