from django.contrib import admin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "primary_domain", "slug", "seats_purchased", "created_at")
    search_fields = ("name", "primary_domain", "slug")
    readonly_fields = ("created_at",)
