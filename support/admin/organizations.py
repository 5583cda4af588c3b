"""Organizations — the console's front door — with their integration, and the actions on an
organization's sync (offered on organizations and on integrations alike)."""

import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from audit.models import AuditEvent
from integrations.models import Integration, SyncChange, SyncRun
from invitations.models import Invitation
from licenses.models import PersonLicense
from notifications.models import EmailLog
from organizations.models import ConnectedDomain, Organization
from usermanagement.models import Group, User

from .. import actions
from ..selectors import lock_state, organization_overview
from .base import (
    ConsoleAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_done,
    action_form,
    answered,
    changelist_url,
    organization_filter,
)

# Organizations one click may queue a sync for.
ORGANIZATIONS_PER_ACTION = 50


class ResyncForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=(
            "The addresses from the ticket, one per line (or separated by commas or spaces); "
            f"Google ids work too. At most {actions.RESYNC_LIMIT}."
        ),
    )

    def clean_emails(self) -> list[str]:
        keys = [key for key in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if key]
        if not keys:
            raise forms.ValidationError("Give at least one address.")
        return keys


class SyncAccountForm(forms.Form):
    email = forms.EmailField(
        label="New sync account",
        help_text=(
            "A person of the organization. While the setup waits for a G Suite admin, they are "
            "asked by email to finish it; otherwise Google is asked now whether they have the "
            "rights (if not, the integration shows Google's answer, as in the wizard)."
        ),
    )


class OrganizationActions:
    """The actions on an organization's sync. The rows are organizations, or rows with an
    `organization` (integrations)."""

    sync_actions = [
        "sync_now",
        "dry_run",
        "resync_people",
        "reset_sync",
        "renew_push_channels",
        "change_sync_account",
    ]

    def _organizations(self, queryset) -> list[Organization]:
        if self.model is Organization:
            return list(queryset[: ORGANIZATIONS_PER_ACTION + 1])
        rows = queryset.select_related("organization")[: ORGANIZATIONS_PER_ACTION + 1]
        return [row.organization for row in rows]

    def _one(self, request, queryset) -> Organization | None:
        organizations = self._organizations(queryset)
        if len(organizations) != 1:
            self.message_user(request, "Choose one organization for this action.", messages.ERROR)
            return None
        return organizations[0]

    def _syncs(self, request, queryset, *, dry_run: bool):
        organizations = self._organizations(queryset)
        if len(organizations) > ORGANIZATIONS_PER_ACTION:
            self.message_user(
                request,
                f"At most {ORGANIZATIONS_PER_ACTION} organizations at a time.",
                messages.ERROR,
            )
            return None
        outcomes = [
            actions.sync_start(organization=organization, acting_user=request.user, dry_run=dry_run)
            for organization in organizations
        ]
        return action_done(self, request, outcomes)

    @admin.action(description="Run a full sync now", permissions=["support"])
    def sync_now(self, request, queryset):
        return self._syncs(request, queryset, dry_run=False)

    @admin.action(
        description="Dry run: count what a full sync would change", permissions=["support"]
    )
    def dry_run(self, request, queryset):
        return self._syncs(request, queryset, dry_run=True)

    @admin.action(description="Re-sync these people now…", permissions=["support"])
    def resync_people(self, request, queryset):
        organization = self._one(request, queryset)
        if organization is None:
            return None
        form = ResyncForm(request.POST if answered(request) else None)
        if answered(request) and form.is_valid():
            outcome = actions.people_resync(
                organization=organization,
                keys=form.cleaned_data["emails"],
                acting_user=request.user,
            )
            return action_done(self, request, [outcome], follow_run=False)
        return action_form(
            self,
            request,
            queryset,
            action="resync_people",
            title=f"Re-sync people of {organization.name} from Google",
            intro=(
                "Each person is read from Google now and synced through the same path as a "
                "full sync, as a run of their own: someone missing from Hearth is created, a "
                "changed one updated, one Google no longer has is removed (judged like any "
                "removal)."
            ),
            form=form,
            submit="Re-sync now",
        )

    @admin.action(description="Renew the push channels now", permissions=["support"])
    def renew_push_channels(self, request, queryset):
        organization = self._one(request, queryset)
        if organization is None:
            return None
        outcome = actions.push_channels_renew(organization=organization, acting_user=request.user)
        return action_done(self, request, [outcome], follow_run=False)

    @admin.action(description="Reset a stuck sync…", permissions=["support"])
    def reset_sync(self, request, queryset):
        organization = self._one(request, queryset)
        if organization is None:
            return None
        if answered(request):
            outcome = actions.integration_reset(organization=organization, acting_user=request.user)
            return action_done(self, request, [outcome])
        lock = lock_state(organization=organization)
        stuck = SyncRun.objects.filter(
            organization=organization, status__in=[SyncRun.Status.RUNNING, SyncRun.Status.QUEUED]
        ).order_by("-created_at")[:20]
        if lock is None or not lock.holder:
            lock_line = "The sync lock is free."
        elif lock.live:
            lock_line = (
                f"The sync lock is held by run #{lock.run_id} and was renewed moments ago "
                f"(until {lock.expires_at:%H:%M:%S} UTC): a worker is at work, so a reset "
                "will be refused."
            )
        else:
            lock_line = (
                f"The sync lock is held by run #{lock.run_id}, whose lease expired at "
                f"{lock.expires_at:%Y-%m-%d %H:%M:%S} UTC: its worker has stopped."
            )
        return action_form(
            self,
            request,
            queryset,
            action="reset_sync",
            title=f"Reset the sync of {organization.name}",
            intro=(
                f"{lock_line} A reset frees the lock and closes the runs left running (and runs "
                "queued over an hour ago, whose message was lost) as failed; the next run does "
                "their work. Runs queued or running now:"
            ),
            items=[
                f"#{run.pk} {run.get_trigger_display()} — {run.get_status_display()} since "
                f"{run.started_at or run.created_at:%Y-%m-%d %H:%M} UTC"
                for run in stuck
            ]
            or ["none"],
            submit="Reset",
        )

    @admin.action(description="Change the sync account…", permissions=["support"])
    def change_sync_account(self, request, queryset):
        organization = self._one(request, queryset)
        if organization is None:
            return None
        form = SyncAccountForm(request.POST if answered(request) else None)
        if answered(request) and form.is_valid():
            outcome = actions.sync_account_change(
                organization=organization,
                email=form.cleaned_data["email"],
                acting_user=request.user,
            )
            return action_done(self, request, [outcome])
        integration = Integration.objects.filter(organization=organization).first()
        current = (
            integration.sync_account.email if integration and integration.sync_account else "none"
        )
        return action_form(
            self,
            request,
            queryset,
            action="change_sync_account",
            title=f"Change the sync account of {organization.name}",
            intro=f"The sync account now: {current}.",
            form=form,
            submit="Change",
        )


class ConnectedDomainInline(ReadOnlyInline):
    """Domains are claimed and released by connecting and disconnecting."""

    model = ConnectedDomain
    fields = ("domain", "kind", "claimed_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Organization)
class OrganizationAdmin(OrganizationActions, ConsoleAdmin):
    list_display = (
        "name",
        "primary_domain",
        "slug",
        "integration_state",
        "last_error",
        "seats",
        "created_at",
    )
    search_fields = ("name", "primary_domain", "slug", "connected_domains__domain")
    search_help_text = "Search by name, slug or domain."
    list_filter = (("integration__state", admin.ChoicesFieldListFilter),)
    # The primary domain is claimed when the organization is created; seats change through the
    # "Change the number of purchased seats" action on license policies (audited, reconciled).
    fields = ("name", "slug", "primary_domain", "seats_purchased", "created_at")
    readonly_fields = ("primary_domain", "seats_purchased", "created_at")
    inlines = [ConnectedDomainInline]
    change_form_template = "support/organization_change_form.html"
    actions = OrganizationActions.sync_actions

    def get_queryset(self, request):
        used = (
            PersonLicense.objects.filter(
                organization=OuterRef("pk"), state=PersonLicense.State.LICENSED
            )
            .order_by()
            .values("organization")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("integration")
            .annotate(seats_used=Coalesce(Subquery(used), 0))
        )

    @admin.display(description="G Suite sync", ordering="integration__state")
    def integration_state(self, organization):
        integration = getattr(organization, "integration", None)
        return integration.get_state_display() if integration else "Not started"

    @admin.display(description="Last error")
    def last_error(self, organization):
        integration = getattr(organization, "integration", None)
        return (integration.last_error_headline if integration else "") or "—"

    @admin.display(description="Seats used", ordering="seats_used")
    def seats(self, organization):
        return f"{organization.seats_used} / {organization.seats_purchased}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        organization = self.get_object(request, object_id)
        extra = {}
        if organization is not None:
            extra = {
                "overview": organization_overview(organization=organization),
                "links": organization_links(organization),
                "object_actions": self.object_actions(request, organization),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def object_actions(self, request, organization):
        """The buttons on the organization's page: its actions, posted to the changelist."""
        if not self.has_support_permission(request):
            return None
        return [
            {
                "url": changelist_url(Organization),
                "pk": organization.pk,
                "buttons": [
                    ("sync_now", "Run a full sync now"),
                    ("dry_run", "Dry run"),
                    ("resync_people", "Re-sync people…"),
                    ("reset_sync", "Reset a stuck sync…"),
                    ("renew_push_channels", "Renew push channels"),
                    ("change_sync_account", "Change the sync account…"),
                ],
            }
        ]


def organization_links(organization: Organization) -> list[tuple[str, str]]:
    """Where the organization's rows are listed, filtered to it."""
    pk = organization.pk
    return [
        ("People", changelist_url(User, organization=pk)),
        ("Sync runs", changelist_url(SyncRun, organization=pk)),
        ("Sync changes", changelist_url(SyncChange, organization=pk)),
        ("Groups", changelist_url(Group, organization=pk)),
        ("Seats", changelist_url(PersonLicense, organization=pk)),
        ("Emails", changelist_url(EmailLog, organization=pk)),
        ("Audit log", changelist_url(AuditEvent, organization=pk)),
        ("Invitations", changelist_url(Invitation, organization=pk)),
    ]


@admin.register(Integration)
class IntegrationAdmin(OrganizationActions, ReadOnlyAdmin):
    """Read-only: the integration moves through its services (the wizard, the sync, the
    actions here), never by editing its row."""

    list_display = (
        "organization",
        "state",
        "domain",
        "sync_account",
        "last_synced_at",
        "last_error_headline",
    )
    list_filter = ("state", organization_filter())
    search_fields = ("organization__name", "organization__primary_domain", "domain")
    list_select_related = ("organization", "sync_account")
    exclude = ("request_token",)  # a credential: the finalize link's secret
    actions = OrganizationActions.sync_actions


@admin.register(ConnectedDomain)
class ConnectedDomainAdmin(ReadOnlyAdmin):
    """Which organization owns a domain: the first question of a cross-organization conflict."""

    list_display = ("domain", "organization", "kind", "claimed_at")
    list_filter = ("kind", organization_filter())
    search_fields = ("domain", "organization__name", "organization__primary_domain")
    list_select_related = ("organization",)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = (
        "email",
        "organization",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_filter = (organization_filter(), "accepted_at", "revoked_at")
    search_fields = ("email",)
    list_select_related = ("organization", "invited_by")
    exclude = ("token_hash",)

