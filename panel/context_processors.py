from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .navigation import panel_navigation


def hearth(request):
    """Names every page needs: the product (a setting), the visitor's organization and the
    admin panel's navigation (computed only when a page renders it)."""
    return {
        "product_name": settings.PRODUCT_NAME,
        "organization": getattr(request, "organization", None),
        "panel_navigation": SimpleLazyObject(lambda: panel_navigation(request)),
    }
