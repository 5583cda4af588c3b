"""Seats: who holds one, the organizations' policies and alerts. Read-only; the number of
purchased seats changes through the action below (licenses.services, audited, reconciled)."""

from django import forms
from django.contrib import admin, messages

from licenses.models import LicensePolicy, PersonLicense, SeatAlert
from licenses.services import LicenseError, seats_purchased_set

from .base import ReadOnlyAdmin, action_form, answered, organization_filter


class SeatsForm(forms.Form):
    seats = forms.IntegerField(min_value=0, label="Seats purchased")


@admin.register(PersonLicense)
class PersonLicenseAdmin(ReadOnlyAdmin):
    list_display = (
        "person",
        "organization",
        "state",
        "assigned_at",
        "waiting_since",
        "released_at",
    )
    list_filter = ("state", "unassigned_by_admin", organization_filter())
    search_fields = ("=person__email",)
    search_help_text = "Search by the exact email of a person."
    list_select_related = ("person", "organization")
    ordering = ("-id",)


@admin.register(LicensePolicy)
class LicensePolicyAdmin(ReadOnlyAdmin):
    list_display = ("organization", "auto_assign", "release_after_days", "seats_purchased")
    list_filter = (organization_filter(),)
    list_select_related = ("organization",)
    actions = ["change_seats"]

    @admin.display(description="Seats purchased")
    def seats_purchased(self, policy):
        return policy.organization.seats_purchased

    @admin.action(description="Change the number of purchased seats…", permissions=["support"])
    def change_seats(self, request, queryset):
        form = SeatsForm(request.POST if answered(request) else None)
        policies = list(queryset.select_related("organization"))
        if answered(request) and form.is_valid():
            for policy in policies:
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
            return None
        return action_form(
            self,
            request,
            queryset,
            action="change_seats",
            title="Change the number of purchased seats",
            items=[
                f"{p.organization.name}: {p.organization.seats_purchased} seats now"
                for p in policies
            ],
            form=form,
            submit="Change seats",
        )


@admin.register(SeatAlert)
class SeatAlertAdmin(ReadOnlyAdmin):
    list_display = ("organization", "kind", "used", "total", "emailed", "created_at", "cleared_at")
    list_filter = ("kind", organization_filter())
    list_select_related = ("organization",)
