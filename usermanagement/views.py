from django.core.paginator import Paginator
from django.shortcuts import render

from organizations.tenancy import organization_admin_required, scoped_get_or_404

from . import selectors
from .models import User

PEOPLE_PER_PAGE = 50


@organization_admin_required
def person_list(request):
    search = request.GET.get("q", "")[:200]
    people = selectors.person_list(organization=request.organization, search=search)
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    template = (
        "usermanagement/_person_rows.html" if request.htmx else "usermanagement/person_list.html"
    )
    return render(request, template, {"page": page, "search": search})


@organization_admin_required
def person_detail(request, person_id: int):
    person = scoped_get_or_404(User, request.organization, pk=person_id)
    return render(request, "usermanagement/person_detail.html", {"person": person})
