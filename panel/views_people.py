"""User Management → People: the list (search, filters, sorting, pages, bulk seats) and a
person's page. Reads come from panel.selectors (the list) and usermanagement.selectors; the
buttons post to the seats' views (licenses.views) and the admins' (panel.views_admins)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from integrations.models import SyncChange
from licenses.selectors import waiting_positions
from organizations.tenancy import organization_admin_required, scoped_get_or_404
from usermanagement.models import User
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
            "tab": "people",
        },
    )
