"""People across organizations, their groups and memberships, and a person's story.

A person of an organization is read-only here for everyone: their synced fields are Google's,
their role, status and organization are changed by services (the actions below, the admin
panel, the sync). Only vendor staff rows (no organization) are edited, by superusers.
"""

from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html

from integrations.models import SyncChange
from usermanagement.models import Group, GroupMembership, User

from .. import actions
from ..access import SupportAccess
from ..selectors import people_matching, person_license, person_memberships, person_story
from .base import (
    CappedPaginator,
    ReadOnlyAdmin,
    action_done,
    action_form,
    admin_url,
    answered,
    changelist_url,
    organization_filter,
)

GOOGLE_FIELDS = (
    "google_id",
    "google_state",
    "aliases",
    "org_unit_path",
    "title",
    "department",
    "manager_email",
    "google_is_admin",
    "google_archived",
    "google_created_at",
    "google_last_login_at",
    "google_synced_at",
)
# What services own on every person (the sync, roles, the people services).
SERVICE_FIELDS = ("organization", "role", "status", "source_label", "date_joined", "last_login")
VENDOR_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [("google", "G Suite"), ("invited", "Invited or signed up"), ("staff", "Staff")]

    def queryset(self, request, queryset):
        return {
            "google": queryset.filter(google_id__isnull=False),
            "invited": queryset.filter(google_id__isnull=True, organization__isnull=False),
            "staff": queryset.filter(organization__isnull=True),
        }.get(self.value(), queryset)


@admin.register(User)
class UserAdmin(SupportAccess, DjangoUserAdmin):
    paginator = CappedPaginator
    show_full_result_count = False
    list_per_page = 50
    list_display = ("email", "full_name", "organization", "role", "status", "source_label")
    list_filter = (organization_filter(), "status", "role", SourceFilter, "is_staff")
    # The search runs on the trigram-indexed search_text (name, email, aliases): see below.
    search_fields = ("email",)
    search_help_text = "Search by email, alias or name, across organizations."
    list_select_related = ("organization",)
    # The (organization, email, id) index serves this order.
    ordering = ("organization_id", "email", "id")
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "password")}),
        ("In Hearth", {"fields": SERVICE_FIELDS}),
        ("From G Suite (read-only: the sync writes these)", {"fields": GOOGLE_FIELDS}),
        ("Vendor staff", {"fields": VENDOR_FIELDS}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    change_form_template = "support/person_change_form.html"
    actions = ["resync_people", "deactivate_people", "restore_people"]

    @admin.display(description="Source")
    def source_label(self, person):
        if person.organization_id is None:
            return "Vendor staff"
        return "G Suite" if person.google_id else "Invited or signed up"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Shown read-only: no password hash, and vendor fields only on vendor staff rows.
        shown = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f != "password"]
            if obj.organization_id is not None and name == "Vendor staff":
                continue
            shown.append((name, {**options, "fields": fields}))
        return shown

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [*SERVICE_FIELDS, *GOOGLE_FIELDS]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.organization_id is not None:
            return False  # their changes are the actions below, and the services behind them
        return super().has_change_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(people_matching(term=term)), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id)
        extra = {}
        if person is not None and person.organization_id is not None:
            extra = {
                "story": person_story(person=person),
                "seat": person_license(person=person),
                "memberships": person_memberships(person=person),
                "organization_url": admin_url(person.organization),
                "changes_url": changelist_url(SyncChange, q=person.email),
                "object_actions": self.object_actions(request, person),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def object_actions(self, request, person):
        if not self.has_support_permission(request):
            return None
        buttons = [("resync_people", "Re-sync from Google")]
        if person.status == User.Status.ACTIVE:
            buttons.append(("deactivate_people", "Deactivate…"))
        else:
            buttons.append(("restore_people", "Restore…"))
        return [{"url": changelist_url(User), "pk": person.pk, "buttons": buttons}]

    # --- actions ----------------------------------------------------------------------------

    def _people(self, request, queryset) -> list[User] | None:
        people = list(
            queryset.filter(organization__isnull=False).select_related("organization")[
                : actions.PEOPLE_LIMIT + 1
            ]
        )
        if len(people) > actions.PEOPLE_LIMIT:
            self.message_user(
                request, f"At most {actions.PEOPLE_LIMIT} people at a time.", messages.ERROR
            )
            return None
        if not people:
            self.message_user(request, "Choose people of an organization.", messages.ERROR)
            return None
        return people

    @admin.action(description="Re-sync from Google", permissions=["support"])
    def resync_people(self, request, queryset):
        people = self._people(request, queryset)
        if people is None:
            return None
        by_organization = defaultdict(list)
        for person in people:
            by_organization[person.organization].append(person.google_id or person.email)
        outcomes = [
            actions.people_resync(organization=organization, keys=keys, acting_user=request.user)
            for organization, keys in by_organization.items()
        ]
        return action_done(self, request, outcomes, follow_run=False)

    def _status_change(self, request, queryset, *, deactivate: bool):
        people = self._people(request, queryset)
        if people is None:
            return None
        if answered(request):
            change = actions.person_deactivate if deactivate else actions.person_restore
            outcomes = [change(person=person, acting_user=request.user) for person in people]
            return action_done(self, request, outcomes, follow_run=False)
        return action_form(
            self,
            request,
            queryset,
            action="deactivate_people" if deactivate else "restore_people",
            title="Deactivate these people" if deactivate else "Restore these people",
            intro=(
                "They will not be able to sign in, and every session of theirs ends now; their "
                "seats follow the organization's policy. The sync keeps this decision until "
                "Google changes the person."
                if deactivate
                else "They become active again (a seat follows when one is free)."
            ),
            items=[f"{p.email} ({p.organization.name}, {p.get_status_display()})" for p in people],
            submit="Deactivate" if deactivate else "Restore",
        )

    @admin.action(description="Deactivate…", permissions=["support"])
    def deactivate_people(self, request, queryset):
        return self._status_change(request, queryset, deactivate=True)

    @admin.action(description="Restore…", permissions=["support"])
    def restore_people(self, request, queryset):
        return self._status_change(request, queryset, deactivate=False)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("email", "name", "organization", "synced_at", "kept_since", "members")
    list_filter = (organization_filter(),)
    search_fields = ("email", "name")
    list_select_related = ("organization",)
    ordering = ("organization_id", "email", "id")
    exclude = ("etag",)

    @admin.display(description="Members")
    def members(self, group):
        return format_html(
            '<a href="{}">members</a>', changelist_url(GroupMembership, group=group.pk)
        )


@admin.register(GroupMembership)
class GroupMembershipAdmin(ReadOnlyAdmin):
    list_display = ("group", "member_email", "member_type", "role", "direct", "user", "kept_since")
    list_filter = ("member_type", "role", "direct", organization_filter())
    search_fields = ("=member_email", "=group__email")
    search_help_text = "Search by the exact address of a member or of a group."
    list_select_related = ("group", "user")
    ordering = ("-id",)
