"""Multi-tenancy in one place.

Views never read an organization from the URL or a form: the organization is the signed-in
person's (`request.organization`, set by OrganizationMiddleware), and every customer-owned
queryset a view touches comes from `scoped()`. An object of another organization therefore
simply does not exist for the view, which answers 404 — never 403, which would confirm that the
id exists.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from .models import Organization


def scoped(model_or_queryset: type[Model] | QuerySet, organization: Organization) -> QuerySet:
    """The rows of `model_or_queryset` that belong to `organization`."""
    queryset = (
        model_or_queryset._default_manager.all()
        if isinstance(model_or_queryset, type)
        else model_or_queryset
    )
    if organization is None:
        return queryset.none()
    return queryset.filter(organization=organization)


def scoped_get_or_404(
    model_or_queryset: type[Model] | QuerySet, organization: Organization, **lookup
) -> Model:
    return get_object_or_404(scoped(model_or_queryset, organization), **lookup)


def _require(check: Callable) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.organization is None or not check(user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


organization_member_required = _require(lambda user: user.is_active)
organization_admin_required = _require(lambda user: user.is_active and user.is_hearth_admin)
