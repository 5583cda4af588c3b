"""User Management → Licenses: seats used / purchased, the waiting line, assign and unassign.

Assign / unassign take a selection of people (checkboxes of the people list, a person's page,
the waiting line), a group or an org unit, and call licenses.services; running out of seats is
a message on the page, never an error page.
"""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.redirects import safe_next
from organizations.tenancy import organization_admin_required, scoped
from usermanagement.models import Group, User

from . import selectors as seats
from .services import LicenseError, license_assign, license_unassign, seats_reconcile


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
            "groups": scoped(Group, organization)
            .annotate(people=Count("memberships"))
            .order_by("email")[:500],
            "org_units": _org_units(organization),
            "tab": "licenses",
        },
    )


def _selection(request) -> dict:
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


def _describe(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


@require_POST
@organization_admin_required
def assign(request):
    selection = _selection(request)
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
                messages.success(request, f"Seat assigned to {_describe(len(result.assigned))}.")
            else:
                messages.info(request, "Everyone selected already had a seat (or is not active).")
    return redirect(safe_next(request) or "usermanagement:licenses")


@require_POST
@organization_admin_required
def unassign(request):
    selection = _selection(request)
    if not selection:
        messages.warning(request, "Select people, a group or an organizational unit first.")
    else:
        try:
            result = license_unassign(
                organization=request.organization, acting_user=request.user, **selection
            )
        except LicenseError as error:
            messages.error(request, error.message)
        else:
            if result.released:
                messages.success(
                    request,
                    f"Seat unassigned from {_describe(len(result.released))}. They cannot sign "
                    "in until they get a seat again.",
                )
            if result.kept:
                kept = scoped(User, request.organization).get(pk=result.kept)
                messages.info(
                    request,
                    f"{kept.display_name} kept their seat: the organization needs at least one "
                    "admin who can sign in.",
                )
            if not result.released and not result.kept:
                messages.info(request, "Nobody selected had a seat.")
    return redirect(safe_next(request) or "usermanagement:licenses")


@require_POST
@organization_admin_required
def fill(request):
    """Give the free seats to the waiting line now (the sync also does it on every run)."""
    result = seats_reconcile(organization=request.organization, acting_user=request.user)
    if result.assigned:
        messages.success(
            request,
            f"{_describe(len(result.assigned))} from the waiting line got a seat, in the order "
            "they arrived.",
        )
    else:
        messages.info(request, "No free seat, or nobody waiting.")
    return redirect(safe_next(request) or "usermanagement:licenses")
