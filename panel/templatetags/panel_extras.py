"""Template helpers of the panel's lists: query strings for pages and sorting, sync change
labels. Loaded as `{% load panel_extras %}` by the panel's and the apps' panel pages."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = value
    return query.urlencode()


CHANGE_LABELS = {
    "create": "Created",
    "adopt": "Adopted",
    "update": "Updated",
    "deactivate": "Deactivated",
    "archive": "Archived",
    "restore": "Restored",
    "kept": "Kept",
    "skipped": "Skipped",
    "group_create": "Groups created",
    "group_update": "Groups updated",
    "group_delete": "Groups deleted",
    "member_add": "Members added",
    "member_update": "Members changed",
    "member_remove": "Members removed",
    "seat_assign": "Seats assigned",
    "seat_release": "Seats released",
}


@register.filter
def change_label(kind: str) -> str:
    return CHANGE_LABELS.get(kind, kind.replace("_", " ").capitalize())


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, toggling the direction when already sorted."""
    current = context["request"].GET.get("sort", "name")
    target = f"-{field}" if current == field else field
    marker = ""
    if current.lstrip("-") == field:
        marker = " ▲" if not current.startswith("-") else " ▼"
    query = query_with(context, sort=target, page="")
    return format_html(
        '<a class="link-body-emphasis text-decoration-none" href="?{}">{}{}</a>',
        query,
        label,
        marker,
    )
