"""Template helpers of the panel's lists: query strings for pages and sorting, sync change
labels, seat badges and filter options. Loaded as `{% load panel_extras %}` by the panel's and
the apps' panel pages.

The badges, the People list's rows and the options are written in Python rather than as
included templates and template loops: the people list shows fifty people with a badge each and
up to 500 groups in its filter, and Django's template engine spent more time on them (an include
and a dozen lookups a row, 170 µs a row) than the page's queries took.
"""

import html

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from licenses.models import PersonLicense
from usermanagement.models import User

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
    return mark_safe(
        "".join(
            f'<option value="{text(value)}"{" selected" if value == selected else ""}>'
            f"{text(label)}</option>"
            for value, label in pairs
        )
    )


def text(value) -> str:
    """`value` escaped for HTML. Django's escape() is the same html.escape behind a check for
    lazy strings that cost more than the escaping itself, a thousand times a page here; these
    values come from the database, never lazy or already safe."""
    return html.escape(str(value))


STATUS_BADGE = {
    User.Status.ACTIVE: "success",
    User.Status.DEACTIVATED: "warning",
}


@register.simple_tag
def status_badge(person: User, size: str = "") -> str:
    """A person's status as a badge: active green, deactivated amber, archived grey. `size`: a
    CSS class added to the badge (the person's page shows it larger, "fs-6")."""
    classes = f"badge {size} " if size else "badge "
    colour = STATUS_BADGE.get(person.status, "secondary")
    return mark_safe(
        f'<span class="{text(classes)}text-bg-{colour}">{text(person.get_status_display())}'
        "</span>"
    )


@register.simple_tag
def person_row(person: User, position: int | None = None) -> str:
    """One row of the People list: select box, name (a link, isolated), email, org unit, status,
    seat (`position`: their place in the line for a seat), role and last sign-in (a date in the
    current time zone, which the panel's layout sets to the organization's)."""
    signed_in = "—"
    if person.google_last_login_at is not None:
        signed_in = dateformat.format(timezone.localtime(person.google_last_login_at), "j M Y")
    invited = (
        ""
        if person.google_id
        else ' <span class="badge text-bg-light border"'
        ' title="Signed up or invited, not from Google">Invited</span>'
    )
    google_admin = (
        '<div class="small text-body-secondary">G Suite admin</div>'
        if person.google_is_admin
        else ""
    )
    seat = seat_badge(getattr(person, "license", None), position)
    url = reverse("person_detail", args=[person.pk])
    # full_name has no bidi controls; <bdi> keeps a right-to-left name from reordering the row
    return mark_safe(
        "<tr>"
        f'<td class="ps-3"><input class="form-check-input" type="checkbox" name="person"'
        f' value="{person.pk}" aria-label="Select {text(person.display_name)}"></td>'
        f'<td class="text-nowrap"><a href="{text(url)}"><bdi>{text(person.full_name or "—")}'
        f"</bdi></a>{invited}</td>"
        f"<td>{text(person.email)}</td><td>{text(person.org_unit_path or '—')}</td>"
        f"<td>{status_badge(person)}</td>"
        f'<td class="text-nowrap">{seat}</td>'
        f"<td>{text(person.get_role_display())}{google_admin}</td>"
        f'<td class="small">{text(signed_in)}</td>'
        "</tr>"
    )
