"""The panel's front door: where a signed-in person lands, and the overview of the panel."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from licenses.selectors import seats_usage
from organizations.tenancy import organization_admin_required
from usermanagement.models import User
from usermanagement.selectors import admins_active


@login_required
def home(request):
    """Hearth admins land in the admin panel; members on their welcome page; vendor staff in
    the support console."""
    user = request.user
    if request.organization is None:
        if user.is_staff:
            return redirect("admin:index")
        return render(request, "panel/no_organization.html")
    if user.is_hearth_admin:
        return redirect("panel_overview")
    return render(request, "panel/member_home.html")


@organization_admin_required
def panel_overview(request):
    organization = request.organization
    return render(
        request,
        "panel/overview.html",
        {
            "people_count": organization.people.exclude(status=User.Status.ARCHIVED).count(),
            "admin_count": admins_active(organization=organization).count(),
            "seats": seats_usage(organization=organization),
        },
    )
