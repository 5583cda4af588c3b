"""Sync runs, their per-object changes, held plans and conflicts: what happened to a customer's
sync, and the review of held plans. All read-only; the held-plan decisions are actions."""

from django.contrib import admin, messages
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html

from integrations.models import SyncChange, SyncConflict, SyncRun
from integrations.sync.planning import REMOVAL_KINDS
from organizations.models import Organization
from usermanagement.models import User

from .. import actions
from ..models import HeldPlan
from ..selectors import diff_text, people_matching, run_overview
from .base import (
    ReadOnlyAdmin,
    action_done,
    action_form,
    admin_url,
    answered,
    changelist_url,
    organization_filter,
)

# People found by a search whose changes are listed (a search by name may match many).
PEOPLE_SEARCHED = 200
HELD_LISTED = 100


def counts_short(counts: dict) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted((counts or {}).items()) if n) or "—"


class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "trigger",
        "mode",
        "status",
        "review",
        "created_at",
        "duration",
        "counts_summary",
        "error",
    )
    list_display_links = ("id",)
    list_filter = (
        "status",
        "trigger",
        "mode",
        "review",
        ("created_at", admin.DateFieldListFilter),
        organization_filter(),
    )
    search_fields = ("organization__name", "organization__primary_domain")
    search_help_text = "Search by organization name or domain, or a run's number."
    list_select_related = ("organization", "requested_by")
    ordering = ("-created_at", "-id")
    fieldsets = (
        (None, {"fields": ("organization", "trigger", "mode", "status", "review", "requested_by")}),
        (
            "When",
            {"fields": ("created_at", "started_at", "finished_at", "duration", "attempt")},
        ),
        ("Outcome", {"fields": ("counts", "error_class", "error_message", "note")}),
        (
            "Google",
            {"fields": ("api_calls", "api_failures", "progress_processed", "progress_total")},
        ),
    )
    readonly_fields = [f.name for f in SyncRun._meta.fields] + ["duration"]
    change_form_template = "support/syncrun_change_form.html"
    actions = ["approve_plan", "reject_plan"]

    @admin.display(description="Changes")
    def counts_summary(self, run):
        return counts_short(run.counts)

    @admin.display(description="Error")
    def error(self, run):
        return run.error_class or "—"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra = {}
        if run is not None:
            extra = {
                "run_overview": run_overview(run=run),
                "changes_url": changelist_url(SyncChange, run=run.pk),
                "organization_url": admin_url(run.organization),
                "object_actions": self.object_actions(request, run),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def object_actions(self, request, run):
        if not self.has_support_permission(request):
            return None
        forms = [
            {
                "url": changelist_url(Organization),
                "pk": run.organization_id,
                "buttons": [("sync_now", f"Run a full sync of {run.organization.name} now")],
            }
        ]
        if run.review == SyncRun.Review.PENDING:
            forms.append(
                {
                    "url": changelist_url(self.model),
                    "pk": run.pk,
                    "buttons": [
                        ("approve_plan", "Approve the held removals…"),
                        ("reject_plan", "Reject the held removals…"),
                    ],
                }
            )
        return forms

    def _plan_decide(self, request, queryset, *, approve: bool):
        runs = list(queryset.select_related("organization")[:2])
        if len(runs) != 1:
            self.message_user(request, "Choose one held plan.", messages.ERROR)
            return None
        (run,) = runs
        if answered(request):
            decide = actions.plan_approve if approve else actions.plan_reject
            return action_done(self, request, [decide(run=run, acting_user=request.user)])
        held = run.changes.filter(applied=False, kind__in=REMOVAL_KINDS).order_by("object_repr")
        verb = "Approve" if approve else "Reject"
        return action_form(
            self,
            request,
            queryset,
            action="approve_plan" if approve else "reject_plan",
            title=f"{verb} the held plan of sync #{run.pk} ({run.organization.name})",
            intro=(
                (
                    "Approving applies the held removals that still hold (each is checked "
                    "again; never the last admin), and seats follow."
                    if approve
                    else "Rejecting removes nobody, and the same removals are not proposed again "
                    "until Google changes them."
                )
                + f" The plan holds {sum(1 for e in run.held_removals if e['type'] == 'user')} "
                f"people, {sum(1 for e in run.held_removals if e['type'] == 'group')} groups "
                f"and {sum(1 for e in run.held_removals if e['type'] == 'membership')} "
                "memberships. People:"
            ),
            items=[
                f"{change.get_kind_display()}: {change.object_repr}"
                for change in held[:HELD_LISTED]
            ],
            submit=verb,
        )

    @admin.action(description="Approve the held removals…", permissions=["support"])
    def approve_plan(self, request, queryset):
        return self._plan_decide(request, queryset, approve=True)

    @admin.action(description="Reject the held removals…", permissions=["support"])
    def reject_plan(self, request, queryset):
        return self._plan_decide(request, queryset, approve=False)


admin.site.register(SyncRun, SyncRunAdmin)


@admin.register(HeldPlan)
class HeldPlanAdmin(SyncRunAdmin):
    """Runs whose removals were held for review; the ones still waiting come first."""

    list_display = ("id", "organization", "review", "created_at", "people_held", "note")
    list_filter = ("review", organization_filter())

    def get_ordering(self, request):
        return ("waiting", "-created_at", "-id")  # an annotation: see get_queryset

    def get_queryset(self, request):
        # Not super(): it orders by get_ordering before the annotation exists.
        waiting = Case(When(review=SyncRun.Review.PENDING, then=Value(0)), default=Value(1))
        return (
            self.model._default_manager.filter(status=SyncRun.Status.HELD)
            .select_related(*self.list_select_related)
            .annotate(waiting=waiting)
            .order_by(*self.get_ordering(request))
        )

    @admin.display(description="People held")
    def people_held(self, run):
        return sum(1 for entry in run.held_removals if entry.get("type") == "user")


class ObjectTypeFilter(admin.SimpleListFilter):
    """The three kinds of object a change is about (a fixed list: no DISTINCT over the table)."""

    title = "object"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [("user", "Person"), ("group", "Group"), ("membership", "Membership")]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(SyncChange)
class SyncChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "run_link",
        "organization",
        "kind",
        "object_link",
        "diff_short",
        "applied",
    )
    list_filter = ("kind", ObjectTypeFilter, "applied", organization_filter("run__organization"))
    search_fields = ("object_repr",)
    search_help_text = (
        "Search by a person's email or alias (their changes under any earlier address too), or "
        "by a Google id."
    )
    list_select_related = ("run", "run__organization")
    ordering = ("-id",)
    fields = (
        "run",
        "kind",
        "object_type",
        "object_id",
        "google_id",
        "object_repr",
        "diff_pretty",
        "applied",
    )
    readonly_fields = fields

    @admin.display(description="Run", ordering="run")
    def run_link(self, change):
        return format_html('<a href="{}">#{}</a>', admin_url(change.run), change.run_id)

    @admin.display(description="Organization")
    def organization(self, change):
        return change.run.organization.name

    @admin.display(description="Object", ordering="object_repr")
    def object_link(self, change):
        if change.object_type == "user" and change.object_id.isdigit():
            url = reverse("admin:usermanagement_user_change", args=[change.object_id])
            return format_html('<a href="{}">{}</a>', url, change.object_repr)
        return change.object_repr

    @admin.display(description="What changed")
    def diff_short(self, change):
        text = diff_text(change.diff)
        return text if len(text) <= 160 else text[:159] + "…"

    @admin.display(description="Diff")
    def diff_pretty(self, change):
        return diff_text(change.diff) or "—"

    def get_search_results(self, request, queryset, search_term):
        """By email (today's or an earlier one), alias or Google id — index lookups only: the
        changes recorded under the address, and every change of the people it names."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # Google's user ids are digits; an email goes to the trigram-indexed search column.
        match = Q(google_id=term) if term.isdigit() else people_matching(term=term)
        people = list(User.objects.filter(match).values_list("pk", flat=True)[:PEOPLE_SEARCHED])
        found = Q(object_repr=term.lower())
        if people:
            found |= Q(object_type="user", object_id__in=[str(pk) for pk in people])
        return queryset.filter(found), False


@admin.register(SyncConflict)
class SyncConflictAdmin(ReadOnlyAdmin):
    """People a sync skipped because another organization's account uses their address."""

    list_display = ("email", "organization", "other_user", "first_seen_at", "last_seen_at")
    list_filter = (organization_filter(), "resolved_at")
    search_fields = ("=email",)
    list_select_related = ("organization", "other_user")
