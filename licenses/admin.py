"""Support console: seats per organization. Rows are read-only here (services own the writes);
the number of purchased seats is changed with the action below, which reconciles at once."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render

from organizations.models import Organization

from .models import LicensePolicy, PersonLicense, SeatAlert
from .services import LicenseError, seats_purchased_set


class SeatsForm(forms.Form):
    seats = forms.IntegerField(min_value=0, label="Seats purchased")


@admin.register(PersonLicense)
class PersonLicenseAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "state", "assigned_at", "waiting_since")
    list_filter = ("state", "unassigned_by_admin")
    search_fields = ("person__email", "organization__name")
    list_select_related = ("person", "organization")
    readonly_fields = [f.name for f in PersonLicense._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LicensePolicy)
class LicensePolicyAdmin(admin.ModelAdmin):
    list_display = ("organization", "auto_assign", "release_after_days", "seats_purchased")
    list_select_related = ("organization",)
    readonly_fields = [f.name for f in LicensePolicy._meta.fields]
    actions = ["change_seats"]

    @admin.display(description="Seats purchased")
    def seats_purchased(self, policy):
        return policy.organization.seats_purchased

    def has_add_permission(self, request):
        return False

    @admin.action(description="Change the number of purchased seats")
    def change_seats(self, request, queryset):
        form = SeatsForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for policy in queryset.select_related("organization"):
                try:
                    seats_purchased_set(
                        organization=policy.organization,
                        seats=form.cleaned_data["seats"],
                        acting_user=request.user,
                    )
                except LicenseError as error:
                    self.message_user(request, error.message, messages.ERROR)
                    return None
            self.message_user(request, "Seats changed and reconciled.", messages.SUCCESS)
            return redirect(request.get_full_path())
        return render(
            request,
            "licenses/admin_seats.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "policies": queryset,
                "organizations": Organization.objects.filter(
                    pk__in=queryset.values("organization_id")
                ),
            },
        )


@admin.register(SeatAlert)
class SeatAlertAdmin(admin.ModelAdmin):
    list_display = ("organization", "kind", "used", "total", "emailed", "created_at", "cleared_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in SeatAlert._meta.fields]

    def has_add_permission(self, request):
        return False
