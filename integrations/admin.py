"""Support console: integrations, sync runs with their changes, and the changes themselves."""

from django.contrib import admin

from .models import Integration, SyncChange, SyncRun


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "state",
        "domain",
        "sync_account",
        "last_synced_at",
        "last_error_headline",
    )
    list_filter = ("state",)
    search_fields = ("organization__name", "organization__primary_domain", "domain")
    list_select_related = ("organization", "sync_account")
    raw_id_fields = ("organization", "sync_account", "requested_by")
    readonly_fields = ("request_token", "created_at", "updated_at")


class SyncChangeInline(admin.TabularInline):
    model = SyncChange
    fields = ("kind", "object_type", "object_repr", "diff", "applied")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    max_num = 0


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "organization",
        "trigger",
        "mode",
        "status",
        "review",
        "created_at",
        "duration",
        "counts",
        "error_class",
    )
    list_filter = ("status", "trigger", "mode", "review", "created_at")
    search_fields = ("organization__name", "organization__primary_domain")
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    inlines = [SyncChangeInline]
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SyncChange)
class SyncChangeAdmin(admin.ModelAdmin):
    list_display = ("run", "kind", "object_type", "object_repr", "applied")
    list_filter = ("kind", "object_type", "applied")
    search_fields = ("object_repr", "google_id")
    list_select_related = ("run",)
    raw_id_fields = ("run",)
    readonly_fields = [f.name for f in SyncChange._meta.fields]

    def has_add_permission(self, request):
        return False
