"""The audit log in the support console: searchable, filterable and strictly read-only."""

import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "organization", "actor", "target_type", "target_repr"]
    list_filter = ["action", "organization"]
    search_fields = ["action", "acting_user_repr", "target_repr", "target_id", "organization__name"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
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

    # The log is evidence: nobody, not even a superuser, adds, edits or deletes through the admin.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
