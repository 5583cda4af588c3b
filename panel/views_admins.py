"""User Management → Hearth admins: who they are, make or revoke admin, invite by email.

"Add an admin" takes an address: a person already in the organization becomes an admin at
once; anyone else gets an invitation (invitations.services — the same flow as the wizard's).
Revoking asks first (config.confirm), with a warning when the person is the G Suite sync
account or the admin themselves.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.roles import RoleError, person_admin_grant, person_admin_revoke
from config.confirm import confirm_step
from config.redirects import safe_next
from invitations.models import Invitation
from invitations.services import InvitationError, invitation_send
from organizations.tenancy import organization_admin_required, scoped, scoped_get_or_404
from usermanagement.models import User

from .forms import AdminAddForm
from .views_seats import sync_account_id


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


def _revoke_confirmation(request, person: User):
    """What revoking means, and the warnings that matter: the sync account, oneself."""
    product = settings.PRODUCT_NAME
    warnings = []
    if person.pk == sync_account_id(request.organization):
        warnings.append(
            f"{person.display_name} is the G Suite sync account. The sync goes on with their "
            f"Google identity, but they can no longer see or fix it in {product}. To hand the "
            "sync over, change the sync account first (G Suite Settings)."
        )
    if person.pk == request.user.pk:
        warnings.append(f"This is you: you leave the {product} admin panel at once.")
    return confirm_step(
        request,
        title=f"Revoke {product} admin?",
        message=f"{person.display_name} ({person.email}) keeps their account but can no longer "
        "manage people, seats or the G Suite sync.",
        warnings=warnings,
        confirm_label="Revoke admin",
        cancel_url=reverse("usermanagement:admins"),
    )


@require_POST
@organization_admin_required
def admin_revoke(request, person_id: int):
    person = scoped_get_or_404(User, request.organization, pk=person_id)
    if (asked := _revoke_confirmation(request, person)) is not None:
        return asked
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
