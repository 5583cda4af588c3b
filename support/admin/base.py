"""What every page of the console shares: access, bounded counting, filters, links, actions.

- `ConsoleAdmin`: a ModelAdmin that support staff may view (support.access) and whose
  changelist never counts a big table whole (`CappedPaginator`, no full-count query).
- `ReadOnlyAdmin`: data that services or Google own — nobody adds, changes or deletes it here.
- `organization_filter(path)`: the organization filter, bounded at any number of organizations.
- `action_done(...)`: how an action reports its Outcome (a message; the run it started).
- `action_form(...)`: the intermediate page of an action that asks for input or confirmation,
  posted back to the same changelist action (Django's own pattern, as delete_selected).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from config.redirects import safe_next
from organizations.models import Organization

from ..access import SupportAccess


class CappedPaginator(Paginator):
    """Counts at most CAP rows (one COUNT over a LIMITed subquery): a changelist over a million
    sync changes answers as fast as one over a hundred. Beyond the cap the console says "more
    than"; nobody pages that far — they filter or search."""

    CAP = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list[: self.CAP + 1].count()
        self.capped = found > self.CAP
        return min(found, self.CAP)


class ConsoleAdmin(SupportAccess, admin.ModelAdmin):
    paginator = CappedPaginator
    show_full_result_count = False
    list_per_page = 50


class ReadOnlyAdmin(ConsoleAdmin):
    """Data that services or Google own: read here, changed only through actions."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True  # shown inside a page the viewer may see


# Above this many organizations the filter lists none (only the one chosen): an organization
# is chosen from its own page, whose links lead to its people, runs, emails...
ORGANIZATIONS_LISTED = 30


def organization_filter(path: str = "organization"):
    """A list filter by organization over the `path` lookup (e.g. "run__organization")."""

    class OrganizationFilter(admin.SimpleListFilter):
        title = "organization"
        parameter_name = "organization"

        def lookups(self, request, model_admin):
            organizations = Organization.objects.order_by("name").values_list("pk", "name")
            listed = list(organizations[: ORGANIZATIONS_LISTED + 1])
            if len(listed) > ORGANIZATIONS_LISTED:
                chosen = self.value() or ""
                listed = list(organizations.filter(pk=chosen)) if chosen.isdigit() else []
            return [(str(pk), name) for pk, name in listed]

        def queryset(self, request, queryset):
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{f"{path}_id": int(value)})
            return queryset

    return OrganizationFilter


def admin_url(obj, view: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def changelist_url(model, **params) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if params:
        url += "?" + urlencode(params)
    return url


def link(obj, text=None):
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else obj)


def action_done(modeladmin, request, outcomes, *, follow_run: bool = True):
    """Report what actions did; after a single action that started one run, show that run."""
    for outcome in outcomes:
        modeladmin.message_user(
            request, outcome.message, messages.SUCCESS if outcome.ok else messages.ERROR
        )
    if follow_run and len(outcomes) == 1 and len(outcomes[0].runs) == 1:
        return redirect(admin_url(outcomes[0].runs[0]))
    target = safe_next(request)
    return redirect(target) if target else None


def action_form(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    intro: str = "",
    form: forms.Form | None = None,
    items=(),
    submit: str,
):
    """The intermediate page of an action: its form (or a confirmation) posted back to the
    changelist with the same selection, `post=yes` marking the answer."""
    return TemplateResponse(
        request,
        "support/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "items": items,
            "submit": submit,
            "action": action,
            "selected": [obj.pk for obj in queryset],
            "opts": modeladmin.model._meta,
            "next": safe_next(request),
            "cancel_url": safe_next(request) or changelist_url(modeladmin.model),
        },
    )


def answered(request) -> bool:
    """True when the action's intermediate page was submitted (not the first click)."""
    return request.POST.get("post") == "yes"
