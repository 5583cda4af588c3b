from django.contrib import admin

from .models import ConnectedDomain, Organization


class ConnectedDomainInline(admin.TabularInline):
    """Read-only: domains are claimed and released by connecting and disconnecting."""

    model = ConnectedDomain
    fields = ("domain", "kind", "claimed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "primary_domain", "slug", "seats_purchased", "created_at")
    search_fields = ("name", "primary_domain", "slug", "connected_domains__domain")
    # Seats change through the "Change the number of purchased seats" action on License
    # policies, which audits the change and hands new seats to the waiting line at once.
    readonly_fields = ("created_at", "seats_purchased")
    inlines = [ConnectedDomainInline]


@admin.register(ConnectedDomain)
class ConnectedDomainAdmin(admin.ModelAdmin):
    """Which organization owns a domain: the first question of a cross-organization conflict."""

    list_display = ("domain", "organization", "kind", "claimed_at")
    list_filter = ("kind",)
    search_fields = ("domain", "organization__name", "organization__primary_domain")
    list_select_related = ("organization",)
    readonly_fields = ("domain", "organization", "kind", "claimed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
