from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render

from config.redirects import safe_next
from organizations.tenancy import organization_admin_required

from .forms import InvitationAcceptForm, InvitationForm
from .services import InvitationError, invitation_accept, invitation_pending_get, invitation_send


@organization_admin_required
def invitation_create(request):
    """Invite a colleague to become a Hearth admin (linked from the wizard's Path B)."""
    next_url = safe_next(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_send(
                organization=request.organization,
                email=form.cleaned_data["email"],
                acting_user=request.user,
            )
        except InvitationError as error:
            form.add_error("email", error.message)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. Once they have accepted it, they "
                f"appear in the list of {settings.PRODUCT_NAME} admins.",
            )
            return redirect(next_url or "invitations:create")
    return render(request, "invitations/invite.html", {"form": form, "next": next_url})


def invitation_accept_view(request, token: str):
    """The invited person chooses their name and password and is signed in as a Hearth admin."""
    try:
        invitation = invitation_pending_get(token=token)
    except InvitationError as error:
        return render(request, "invitations/invalid.html", {"reason": error.message}, status=404)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            person = invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except InvitationError as error:
            return render(
                request, "invitations/invalid.html", {"reason": error.message}, status=404
            )
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            f"Welcome! You are now a {settings.PRODUCT_NAME} admin of {person.organization.name}.",
        )
        return redirect("home")
    return render(request, "invitations/accept.html", {"form": form, "invitation": invitation})
