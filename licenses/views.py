"""User Management → Licenses: seats used / purchased, the waiting line, assign and unassign.

Assign takes a selection of people (checkboxes of the people list, a person's page, the
waiting line), a group or an org unit, and calls licenses.services; running out of seats is a
message on the page, never an error page. Unassigning asks first, naming the sync account when
it is affected — which the panel knows, not this app: panel.views_seats.
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.redirects import safe_next
from organizations.tenancy import organization_admin_required, scoped
from usermanagement.models import Group, User

from . import selectors as seats
from .services import LicenseError, license_assign, seats_reconcile


def _org_units(organization) -> list[str]:
    return list(
        scoped(User, organization)
        .exclude(org_unit_path="")
        .exclude(status=User.Status.ARCHIVED)
        .values_list("org_unit_path", flat=True)
        .distinct()
        .order_by("org_unit_path")
    )


@organization_admin_required
def licenses(request):
    organization = request.organization
    return render(
        request,
        "licenses/page.html",
        {
            "usage": seats.seats_usage(organization=organization),
            "line": seats.waiting_line(organization=organization, limit=50),
            "policy": seats.license_policy(organization=organization),
            # people, as the Groups list counts them: not nested groups, not external members
            "groups": scoped(Group, organization)
            .annotate(people=Count("memberships", filter=Q(memberships__member_type="user")))
            .order_by("email")[:500],
            "org_units": _org_units(organization),
            "tab": "licenses",
        },
    )


def selection_from_post(request) -> dict:
    organization = request.organization
    selection = {}
    ids = [value for value in request.POST.getlist("person") if value.isdigit()]
    if ids:
        selection["people"] = list(
            scoped(User, organization).filter(pk__in=ids).values_list("pk", flat=True)
        )
    group_id = request.POST.get("group", "")
    if group_id.isdigit():
        group = scoped(Group, organization).filter(pk=group_id).first()
        if group is not None:
            selection["group"] = group
    org_unit = request.POST.get("org_unit", "").strip()
    if org_unit:
        selection["org_unit"] = org_unit
    return selection


def people_words(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


@require_POST
@organization_admin_required
def assign(request):
    selection = selection_from_post(request)
    if not selection:
        messages.warning(request, "Select people, a group or an organizational unit first.")
    else:
        try:
            result = license_assign(
                organization=request.organization, acting_user=request.user, **selection
            )
        except LicenseError as error:
            messages.error(request, error.message)
        else:
            if result.assigned:
                messages.success(request, f"Seat assigned to {people_words(len(result.assigned))}.")
            else:
                messages.info(request, "Everyone selected already had a seat (or is not active).")
    return redirect(safe_next(request) or "usermanagement:licenses")


@require_POST
@organization_admin_required
def fill(request):
    """Give the free seats to the waiting line now (the sync also does it on every run)."""
    result = seats_reconcile(organization=request.organization, acting_user=request.user)
    if result.assigned:
        messages.success(
            request,
            f"{people_words(len(result.assigned))} from the waiting line got a seat, in the order "
            "they arrived.",
        )
    else:
        messages.info(request, "No free seat, or nobody waiting.")
    return redirect(safe_next(request) or "usermanagement:licenses")
