"""Template helpers of the panel's lists: query strings for pages and sorting, sync change
labels, seat badges and filter options. Loaded as `{% load panel_extras %}` by the panel's and
the apps' panel pages.

The badges and the options are written in Python rather than as included templates and
template loops: the people list shows fifty badges and up to 500 groups in its filter, and
Django's template engine spent more time on them (an include and a dozen lookups each) than
the page's queries took.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from licenses.models import PersonLicense

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


@register.simple_tag
def seat_badge(seat: PersonLicense | None, position: int | None = None) -> str:
    """A person's seat: licensed, waiting (with their place in the line when given), unlicensed,
    or not counted yet (no seat row: the next sync counts them; a template passes "" then)."""
    if not seat:
        return mark_safe(
            '<span class="badge text-bg-light border" title="Counted at the next sync">'
            "Not counted yet</span>"
        )
    if seat.state == PersonLicense.State.LICENSED:
        return mark_safe('<span class="badge text-bg-success">Licensed</span>')
    if seat.waiting_since:
        place = f" #{position}" if position else ""
        return format_html(
            '<span class="badge text-bg-warning">Unlicensed · waiting{}</span>', place
        )
    return mark_safe('<span class="badge text-bg-secondary">Unlicensed</span>')


@register.simple_tag
def select_options(choices, selected) -> str:
    """The <option>s of a filter: `choices` are values, or (value, label) pairs; the one equal
    to `selected` is marked selected."""
    pairs = (choice if isinstance(choice, tuple) else (choice, choice) for choice in choices)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in pairs),
    )
