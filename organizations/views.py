from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from licenses.selectors import seats_usage

from .tenancy import organization_admin_required


@login_required
def home(request):
    """Hearth admins land in the admin panel; members on their welcome page; vendor staff in
    the support console."""
    user = request.user
    if request.organization is None:
        if user.is_staff:
            return redirect("admin:index")
        return render(request, "organizations/no_organization.html")
    if user.is_hearth_admin:
        return redirect("panel_overview")
    return render(request, "organizations/member_home.html")


@organization_admin_required
def panel_overview(request):
    organization = request.organization
    return render(
        request,
        "organizations/panel_overview.html",
        {
            "people_count": organization.people.exclude(status="archived").count(),
            "admin_count": organization.people.filter(role="admin", status="active").count(),
            "seats": seats_usage(organization=organization),
        },
    )
