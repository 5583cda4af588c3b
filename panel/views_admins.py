"""User Management → Hearth admins: who they are, make or revoke admin, invite by email.

"Add an admin" takes an address: a person already in the organization becomes an admin at
once; anyone else gets an invitation (invitations.services — the same flow as the wizard's).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.roles import RoleError, person_admin_grant, person_admin_revoke
from config.redirects import safe_next
from invitations.models import Invitation
from invitations.services import InvitationError, invitation_send
from organizations.tenancy import organization_admin_required, scoped, scoped_get_or_404
from usermanagement.models import User

from .forms import AdminAddForm


def _can_sign_in(admin: User) -> bool:
    # A missing seat row raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
    seat = getattr(admin, "license", None)
    return admin.is_active and (seat is None or seat.is_licensed)


def _page(request, form):
    admins = list(
        scoped(User, request.organization)
        .filter(role=User.Role.ADMIN)
        .exclude(status=User.Status.ARCHIVED)
        .select_related("license")
        .order_by("last_name", "first_name", "email")
    )
    pending = scoped(Invitation, request.organization).filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    can_sign_in = [admin for admin in admins if _can_sign_in(admin)]
    return render(
        request,
        "panel/admins/list.html",
        {
            "admins": admins,
            "pending": pending,
            "form": form,
            "last_admin_pk": can_sign_in[0].pk if len(can_sign_in) == 1 else None,
            "tab": "admins",
        },
    )


@organization_admin_required
def admin_list(request):
    form = AdminAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        person = (
            scoped(User, request.organization)
            .exclude(status=User.Status.ARCHIVED)
            .filter(email__iexact=email)
            .first()
        )
        try:
            if person is not None and person.status == User.Status.ACTIVE:
                if person.role == User.Role.ADMIN:
                    raise RoleError(
                        f"{person.display_name} is already a {settings.PRODUCT_NAME} admin."
                    )
                person_admin_grant(
                    organization=request.organization, person=person, acting_user=request.user
                )
                messages.success(
                    request, f"{person.display_name} is now a {settings.PRODUCT_NAME} admin."
                )
            else:
                invitation = invitation_send(
                    organization=request.organization, email=email, acting_user=request.user
                )
                messages.success(
                    request,
                    f"Invitation sent to {invitation.email}. They become an admin when they "
                    "accept it.",
                )
        except (RoleError, InvitationError) as error:
            form.add_error("email", error.message)
        else:
            return redirect("usermanagement:admins")
    return _page(request, form)


@require_POST
@organization_admin_required
def admin_grant(request, person_id: int):
    person = scoped_get_or_404(User, request.organization, pk=person_id)
    try:
        person_admin_grant(
            organization=request.organization, person=person, acting_user=request.user
        )
    except RoleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.display_name} is now a {settings.PRODUCT_NAME} admin.")
    return redirect(safe_next(request) or "usermanagement:admins")


@require_POST
@organization_admin_required
def admin_revoke(request, person_id: int):
    person = scoped_get_or_404(User, request.organization, pk=person_id)
    try:
        person_admin_revoke(
            organization=request.organization, person=person, acting_user=request.user
        )
    except RoleError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{person.display_name} is no longer a {settings.PRODUCT_NAME} admin."
        )
    if person.pk == request.user.pk:
        return redirect("home")
    return redirect(safe_next(request) or "usermanagement:admins")
