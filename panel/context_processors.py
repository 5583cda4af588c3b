import zoneinfo

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from integrations.models import Integration

from .navigation import panel_navigation


def hearth(request):
    """Names every page needs: the product (a setting), the visitor's organization, the admin
    panel's navigation and the organization's time zone (computed only when a page renders
    them: the panel's layout shows every time in that zone)."""
    return {
        "product_name": settings.PRODUCT_NAME,
        "organization": getattr(request, "organization", None),
        "panel_navigation": SimpleLazyObject(lambda: panel_navigation(request)),
        # {% timezone panel_time_zone.zone %}: the tag needs the zone itself, not a lazy object
        "panel_time_zone": SimpleLazyObject(lambda: {"zone": organization_time_zone(request)}),
    }


def organization_time_zone(request) -> zoneinfo.ZoneInfo:
    """The organization's time zone (chosen on the G Suite settings page; UTC until then)."""
    organization = getattr(request, "organization", None)
    name = None
    if organization is not None:
        name = (
            Integration.objects.filter(organization=organization)
            .values_list("time_zone", flat=True)
            .first()
        )
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
