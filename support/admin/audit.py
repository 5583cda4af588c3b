"""The audit log: searchable, filterable and strictly read-only — for everyone."""

import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditEvent

from .base import ReadOnlyAdmin, organization_filter

AREAS = ["support", "integration", "sync", "person", "license", "organization", "invitation"]


class AreaFilter(admin.SimpleListFilter):
    """What kind of event: a fixed list of action prefixes (no DISTINCT over the table)."""

    title = "area"
    parameter_name = "area"

    def lookups(self, request, model_admin):
        return [(area, area) for area in AREAS]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(action__startswith=f"{value}.") if value in AREAS else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "organization", "actor", "target_type", "target_repr"]
    list_filter = [AreaFilter, ("created_at", admin.DateFieldListFilter), organization_filter()]
    search_fields = ["action", "acting_user_repr", "target_repr", "target_id"]
    list_select_related = ["organization"]
    ordering = ["-created_at", "-id"]
    fields = [
        "created_at",
        "organization",
        "acting_user",
        "acting_user_repr",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "details_pretty",
    ]
    readonly_fields = fields

    @admin.display(description="Acting user", ordering="acting_user_repr")
    def actor(self, event: AuditEvent) -> str:
        return event.acting_user_repr or "system"

    @admin.display(description="Details")
    def details_pretty(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.details, indent=2, sort_keys=True))
