"""Unassigning seats, with a second thought: the confirm step (config.confirm) says how many
people lose their seat, names them, and warns when the G Suite sync account or the admin
themselves is among them — which is why it lives in the panel (seats and the integration's
sync account together), not in licenses.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.confirm import confirm_step
from config.redirects import safe_next
from integrations.models import Integration
from licenses.services import LicenseError, license_unassign, seat_holders_selected
from licenses.views import people_words, selection_from_post
from organizations.tenancy import organization_admin_required, scoped
from usermanagement.models import User

# People a confirmation names one by one (the count is always given).
NAMED_IN_CONFIRMATION = 10


def sync_account_id(organization) -> int | None:
    return (
        Integration.objects.filter(organization=organization)
        .values_list("sync_account_id", flat=True)
        .first()
    )


def _confirmation(request, selection: dict):
    """None once confirmed, or when nobody selected holds a seat (the view says so)."""
    holders = seat_holders_selected(organization=request.organization, **selection)
    if not holders:
        return None
    people = list(
        scoped(User, request.organization)
        .filter(pk__in=holders)
        .order_by("last_name", "first_name", "email")
    )
    warnings = []
    account = next((p for p in people if p.pk == sync_account_id(request.organization)), None)
    if account is not None:
        warnings.append(
            f"{account.display_name} is the G Suite sync account. The sync goes on with their "
            f"Google identity, but without a seat they cannot sign in to {settings.PRODUCT_NAME} "
            "to see or fix it."
        )
    if any(p.pk == request.user.pk for p in people):
        warnings.append("You are among them: without a seat you cannot sign in again.")
    named = [f"{p.display_name} ({p.email})" for p in people[:NAMED_IN_CONFIRMATION]]
    if len(people) > NAMED_IN_CONFIRMATION:
        named.append(f"and {len(people) - NAMED_IN_CONFIRMATION:,} more")
    seats = "the seat" if len(people) == 1 else f"{len(people):,} seats"
    return confirm_step(
        request,
        title="Unassign seats?",
        message=f"{people_words(len(people))} will lose their seat and cannot sign in until "
        "they get one again.",
        details=named,
        warnings=warnings,
        confirm_label=f"Unassign {seats}",
        cancel_url=reverse("usermanagement:licenses"),
    )


@require_POST
@organization_admin_required
def unassign(request):
    selection = selection_from_post(request)
    if not selection:
        messages.warning(request, "Select people, a group or an organizational unit first.")
        return redirect(safe_next(request) or "usermanagement:licenses")
    if (asked := _confirmation(request, selection)) is not None:
        return asked
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
                f"Seat unassigned from {people_words(len(result.released))}. They cannot sign "
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
