from django.contrib import admin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "primary_domain", "slug", "seats_purchased", "created_at")
    search_fields = ("name", "primary_domain", "slug")
    # Seats change through the "Change the number of purchased seats" action on License
    # policies, which audits the change and hands new seats to the waiting line at once.
    readonly_fields = ("created_at", "seats_purchased")
