"""User Management → G Suite Settings: health and schedule, sync account, scope (with a
preview), safety threshold, auto-license policy, time zone, Sync All Users with live progress,
the sync history in words, and the review of held plans with what it keeps against G Suite.

Each POST calls one service: integrations.services (settings, Sync All Users, asking a colleague
to become the sync account, the sync account through views.finalize_as_sync_account),
integrations.sync.review (approve / reject a held plan, release what a rejection kept),
licenses.services (policy). Destructive ones ask first (config.confirm: a confirm step stating
what happens, how many, and whether the sync account is affected). A form that does not
validate is shown again with its errors next to its fields, in words. The panel maps these
pages under User Management (panel/urls.py, namespace "usermanagement").
"""

import zoneinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.confirm import confirm_step
from licenses import selectors as seats
from licenses.forms import LicensePolicyForm
from licenses.services import license_policy_update
from organizations.tenancy import organization_admin_required, scoped, scoped_get_or_404
from usermanagement.models import User
from usermanagement.selectors import admins_active, org_units

from . import services as integration_services
from .errors import IntegrationError, IntegrationStateError, SyncAllUsersTooSoon
from .forms import SafetyForm, ScopeForm, SyncAccountAskForm, TimeZoneForm
from .models import Integration, SyncChange, SyncRun
from .realtime.health import realtime_health
from .scope_preview import org_units_remote, scope_preview
from .state import RUNNING
from .sync import planning
from .sync.review import (
    held_changes,
    held_counts,
    held_plans,
    kept_against_google,
    kept_release,
    sync_plan_approve,
    sync_plan_reject,
)
from .tasks import sync_interval_effective, sync_next_at
from .views import api_access_url, error_kept, finalize_as_sync_account

RUNS_PER_PAGE = 25
CHANGES_PER_PAGE = 100
KEPT_SHOWN = 200
LIVE = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
# Kinds of change that say "this changed": one whose fields all stayed the same says nothing.
UPDATE_KINDS = (SyncChange.Kind.UPDATE, SyncChange.Kind.GROUP_UPDATE, SyncChange.Kind.MEMBER_UPDATE)


def _integration(request) -> Integration | None:
    return (
        Integration.objects.select_related("sync_account", "organization")
        .filter(organization=request.organization)
        .first()
    )


def _zone(integration: Integration | None):
    try:
        return zoneinfo.ZoneInfo(integration.time_zone if integration else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _local(moment, integration) -> str:
    """A time in a message, in the organization's time zone, with the zone's name."""
    zone = _zone(integration)
    return f"{timezone.localtime(moment, zone):%d %b %Y, %H:%M} ({zone.key})"


def _directory_units(integration: Integration) -> tuple[list[str], IntegrationError | None]:
    """The domain's org units from Google; the units people are in when Google cannot say."""
    try:
        return org_units_remote(integration=integration), None
    except IntegrationError as error:
        return ["/", *org_units(organization=integration.organization)], error


@organization_admin_required
def settings_page(request, **forms):
    organization = request.organization
    integration = _integration(request)
    if integration is None or integration.state not in RUNNING:
        return render(
            request,
            "integrations/settings/not_connected.html",
            {"integration": integration, "tab": "settings"},
        )
    policy = seats.license_policy(organization=organization)
    runs = list(scoped(SyncRun, organization).select_related("requested_by")[:10])
    live = next((run for run in runs if run.status in LIVE), None)
    safety_default = planning.removal_threshold(
        active_people=scoped(User, organization).filter(status=User.Status.ACTIVE).count()
    )
    kept = kept_against_google(organization=organization)
    interval = sync_interval_effective(integration=integration)
    return render(
        request,
        "integrations/settings/page.html",
        {
            "integration": integration,
            "error": error_kept(integration),
            "api_access_url": api_access_url(organization, integration),
            "allowed_at": integration_services.sync_all_users_allowed_at(organization=organization),
            "next_sync_at": sync_next_at(integration=integration, interval_minutes=interval),
            "sync_interval": interval,
            "realtime": realtime_health(organization_id=organization.pk),
            "now_at": timezone.now(),
            "live_run": live,
            "runs": runs,
            "held_plans": held_plans(organization=organization),
            "kept_people": kept.people.count(),
            "usage": seats.seats_usage(organization=organization),
            "safety_form": forms.get("safety_form")
            or SafetyForm(
                initial={"deactivation_threshold": integration.deactivation_threshold},
                default=safety_default,
            ),
            "policy": policy,
            "policy_form": forms.get("policy_form")
            or LicensePolicyForm(
                initial={
                    "auto_assign": policy.auto_assign,
                    "auto_assign_org_units": "\n".join(policy.auto_assign_org_units),
                    "release_after_days": policy.release_after_days,
                }
            ),
            "time_zone_form": forms.get("time_zone_form")
            or TimeZoneForm(initial={"time_zone": integration.time_zone}),
            "tab": "settings",
        },
        status=400 if forms else 200,
    )


@require_POST
@organization_admin_required
def sync_all_users(request):
    try:
        integration_services.sync_all_users_start(
            organization=request.organization, acting_user=request.user
        )
    except SyncAllUsersTooSoon as error:
        messages.error(
            request,
            "Sync All Users can be used once a day. It is available again on "
            f"{_local(error.allowed_at, _integration(request))}.",
        )
    except IntegrationStateError:
        messages.error(
            request, "G Suite sync is not running for your organization: finalize the setup first."
        )
    else:
        messages.success(request, "Sync All Users has started. Progress is shown below.")
    return redirect("usermanagement:gsuite_settings")


@organization_admin_required
def run_progress(request, run_id: int):
    """The live progress bar (htmx polls this fragment until the run has finished)."""
    run = scoped_get_or_404(SyncRun, request.organization, pk=run_id)
    live = run.status in LIVE
    response = render(request, "integrations/settings/_progress.html", {"run": run, "live": live})
    if not live:
        # The page's sync history reloads itself on this event (hx-trigger ... from:body).
        response["HX-Trigger"] = "sync-finished"
    return response


@organization_admin_required
def scope(request):
    integration = _integration(request)
    if integration is None or not integration.is_syncing:
        return redirect("usermanagement:gsuite_settings")
    error = None
    try:
        units = org_units_remote(integration=integration)
    except IntegrationError as exc:
        error = exc
        units = sorted({"/", *integration.org_units_included, *integration.org_units_excluded})
    initial = {
        "scope": ScopeForm.CHOSEN if integration.org_units_included else ScopeForm.WHOLE,
        "included": integration.org_units_included,
        "excluded": integration.org_units_excluded,
    }
    form = ScopeForm(request.POST or None, initial=initial, org_units=units)
    preview = None
    if request.method == "POST" and form.is_valid():
        included, excluded = form.cleaned_data["included"], form.cleaned_data["excluded"]
        if request.POST.get("action") == "save":
            integration_services.integration_settings_update(
                organization=request.organization,
                acting_user=request.user,
                org_units_included=included,
                org_units_excluded=excluded,
            )
            messages.success(
                request,
                "Sync scope saved. The next sync adds and removes people accordingly.",
            )
            return redirect("usermanagement:gsuite_settings")
        try:
            preview = scope_preview(integration=integration, included=included, excluded=excluded)
        except IntegrationError as exc:
            error = exc
    return render(
        request,
        "integrations/settings/scope.html",
        {
            "integration": integration,
            "form": form,
            "preview": preview,
            "error": error,
            "tab": "settings",
        },
    )


@require_POST
@organization_admin_required
def safety(request):
    form = SafetyForm(request.POST)
    integration = _integration(request)
    if integration is None:
        return redirect("usermanagement:gsuite_settings")
    if not form.is_valid():
        return settings_page(request, safety_form=form)
    threshold = form.cleaned_data["deactivation_threshold"]
    # empty: back to the default rule (20% of active people or 500, at least 10)
    integration_services.integration_settings_update(
        organization=request.organization,
        acting_user=request.user,
        deactivation_threshold=threshold,
    )
    messages.success(
        request,
        "Safety threshold saved."
        if threshold is not None
        else "Safety threshold set back to the default rule.",
    )
    return redirect("usermanagement:gsuite_settings")


@require_POST
@organization_admin_required
def license_policy(request):
    integration = _integration(request)
    if integration is None:
        return redirect("usermanagement:gsuite_settings")
    units, _unreachable = _directory_units(integration)
    form = LicensePolicyForm(request.POST, org_units=units)
    if not form.is_valid():
        return settings_page(request, policy_form=form)
    license_policy_update(
        organization=request.organization, acting_user=request.user, **form.cleaned_data
    )
    messages.success(request, "Auto-license policy saved.")
    return redirect("usermanagement:gsuite_settings")


@require_POST
@organization_admin_required
def time_zone(request):
    form = TimeZoneForm(request.POST)
    if _integration(request) is None:
        return redirect("usermanagement:gsuite_settings")
    if not form.is_valid():
        return settings_page(request, time_zone_form=form)
    integration_services.integration_settings_update(
        organization=request.organization,
        acting_user=request.user,
        time_zone=form.cleaned_data["time_zone"],
    )
    messages.success(request, f"Times are now shown in {form.cleaned_data['time_zone']}.")
    return redirect("usermanagement:gsuite_settings")


@organization_admin_required
def history(request):
    runs = scoped(SyncRun, request.organization).select_related("requested_by")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/settings/history.html",
        {
            "page": page,
            "held_plans": held_plans(organization=request.organization),
            "tab": "settings",
        },
    )


def _telling(changes):
    """Changes that say something: an update whose fields all stayed the same is left out."""
    return changes.exclude(kind__in=UPDATE_KINDS, diff={})


@organization_admin_required
def run_detail(request, run_id: int):
    run = scoped_get_or_404(
        SyncRun.objects.select_related("requested_by", "reviewed_by"),
        request.organization,
        pk=run_id,
    )
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:200]
    changes = _telling(run.changes.select_related("run"))
    if kind:
        changes = changes.filter(kind=kind)
    if search:
        changes = changes.filter(Q(object_repr__icontains=search))
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/settings/run.html",
        {
            "run": run,
            "page": page,
            "kind": kind,
            "search": search,
            "kinds": SyncChange.Kind.choices,
            "live": run.status in LIVE,
            "tab": "settings",
        },
    )


# --- held plans --------------------------------------------------------------------------------


@organization_admin_required
def reviews(request):
    """Removals waiting for review, what earlier reviews kept against G Suite (with a way to
    release it), and the latest decisions."""
    organization = request.organization
    kept = kept_against_google(organization=organization)
    decided = (
        scoped(SyncRun, organization)
        .filter(review__in=[SyncRun.Review.APPROVED, SyncRun.Review.REJECTED])
        .select_related("reviewed_by")
        .order_by("-reviewed_at", "-id")[:10]
    )
    return render(
        request,
        "integrations/settings/reviews.html",
        {
            "held_plans": held_plans(organization=organization),
            "kept_people": list(kept.people.select_related("license")[:KEPT_SHOWN]),
            "kept_people_count": kept.people.count(),
            "kept_groups": list(kept.groups[:KEPT_SHOWN]),
            "kept_memberships": list(kept.memberships[:KEPT_SHOWN]),
            "decided": decided,
            "sync_account_id": _sync_account_id(organization),
            "tab": "settings",
        },
    )


def _sync_account_id(organization) -> int | None:
    return (
        Integration.objects.filter(organization=organization)
        .values_list("sync_account_id", flat=True)
        .first()
    )


@organization_admin_required
def plan_review(request, run_id: int):
    """One held plan: every removal with its reason, and Approve / Reject."""
    run = scoped_get_or_404(
        SyncRun.objects.select_related("reviewed_by"), request.organization, pk=run_id
    )
    changes = held_changes(run).select_related("run")
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    people = User.objects.filter(organization=request.organization).in_bulk(
        [int(c.object_id) for c in page if c.object_type == "user" and c.object_id.isdigit()]
    )
    return render(
        request,
        "integrations/settings/review.html",
        {
            "run": run,
            "page": page,
            "rows": [(change, people.get(int(change.object_id or 0))) for change in page],
            "counts": held_counts(run),
            "words": _count_words(held_counts(run)),
            "pending": run.review == SyncRun.Review.PENDING,
            "sync_account_id": _sync_account_id(request.organization),
            "tab": "settings",
        },
    )


def _count_words(counts: dict[str, int]) -> str:
    parts = [
        f"{number:,} {singular if number == 1 else plural}"
        for number, singular, plural in (
            (counts["people"], "person", "people"),
            (counts["groups"], "group", "groups"),
            (counts["memberships"], "group membership", "group memberships"),
        )
        if number
    ]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _review(request, run_id: int, *, approve: bool):
    run = scoped_get_or_404(SyncRun, request.organization, pk=run_id)
    review_url = reverse("usermanagement:sync_plan_review", args=[run.pk])
    counts = held_counts(run)
    if run.review != SyncRun.Review.PENDING:
        messages.info(request, "This sync plan is not waiting for review any more.")
        return redirect(review_url)
    words = _count_words(counts)
    warnings = []
    sync_account_id = _sync_account_id(request.organization)
    held_people = {entry["pk"] for entry in run.held_removals if entry.get("type") == "user"}
    if approve and sync_account_id in held_people:
        warnings.append(
            "The sync account is among the people to remove. G Suite sync reads the directory "
            "with its identity: change the sync account first, or the next syncs may fail."
        )
    asked = confirm_step(
        request,
        title="Approve the removals?" if approve else "Reject the removals?",
        message=(
            f"Approving removes {words} from {request.organization.name} now, as G Suite says. "
            "People who are removed cannot sign in, and their seats are released."
            if approve
            else f"Rejecting keeps {words} in {request.organization.name} although G Suite "
            "removed them. They are listed as kept against G Suite, and you can release them "
            "later."
        ),
        confirm_label=f"Approve: remove {words}" if approve else f"Reject: keep {words}",
        warnings=warnings,
        cancel_url=review_url,
        danger=approve,
    )
    if asked is not None:
        return asked
    try:
        if approve:
            sync_plan_approve(run=run, acting_user=request.user)
            messages.success(request, f"Approved: {words} removed as G Suite says.")
        else:
            sync_plan_reject(run=run, acting_user=request.user)
            messages.success(
                request,
                f"Rejected: nobody was removed. {words[0].upper()}{words[1:]} "
                f"{'is' if sum(counts.values()) == 1 else 'are'} kept against G Suite "
                "until you release them.",
            )
    except IntegrationStateError as error:
        messages.info(request, str(error))
    return redirect(review_url)


@require_POST
@organization_admin_required
def plan_approve(request, run_id: int):
    return _review(request, run_id, approve=True)


@require_POST
@organization_admin_required
def plan_reject(request, run_id: int):
    return _review(request, run_id, approve=False)


def _pks(request, name: str) -> list[int]:
    return [int(value) for value in request.POST.getlist(name) if value.isdigit()]


@require_POST
@organization_admin_required
def kept_release_view(request):
    """Release what a review kept against G Suite: G Suite's removal is applied now."""
    organization = request.organization
    people, groups, memberships = (
        _pks(request, "person"),
        _pks(request, "group"),
        _pks(request, "membership"),
    )
    back = reverse("usermanagement:sync_reviews")
    if not (people or groups or memberships):
        messages.warning(request, "Select who or what to release first.")
        return redirect(back)
    kept = kept_against_google(organization=organization)
    chosen_people = list(kept.people.filter(pk__in=people))
    counts = {
        "people": len(chosen_people),
        "groups": kept.groups.filter(pk__in=groups).count(),
        "memberships": kept.memberships.filter(pk__in=memberships).count(),
    }
    words = _count_words(counts)
    warnings = []
    sync_account_id = _sync_account_id(organization)
    if any(person.pk == sync_account_id for person in chosen_people):
        warnings.append(
            "The sync account is among them. G Suite sync reads the directory with its "
            "identity: change the sync account first, or the next syncs may fail."
        )
    asked = confirm_step(
        request,
        title="Release from the review's decision?",
        message=(
            f"Releasing applies G Suite's removal to {words} now: people are deactivated or "
            "archived as G Suite says (they cannot sign in and their seats are released), "
            "groups and memberships are removed."
        ),
        details=[
            f"{p.display_name} ({p.email}): {p.get_google_state_display()}"
            for p in chosen_people[:20]
        ],
        confirm_label=f"Release {words}",
        warnings=warnings,
        cancel_url=back,
    )
    if asked is not None:
        return asked
    released = kept_release(
        organization=organization,
        acting_user=request.user,
        people=people,
        groups=groups,
        memberships=memberships,
    )
    done = _count_words(
        {
            "people": len(released.people),
            "groups": len(released.groups),
            "memberships": len(released.memberships),
        }
    )
    messages.success(request, f"Released: G Suite's removal was applied to {done}.")
    if released.kept_admin is not None:
        messages.info(
            request,
            "One admin stays: your organization needs at least one admin who can sign in.",
        )
    return redirect(back)


# --- the sync account --------------------------------------------------------------------------


def _sync_account_candidates(request):
    return (
        admins_active(organization=request.organization)
        .filter(google_is_admin=True)
        .exclude(pk=request.user.pk)
        .order_by("last_name", "first_name")
    )


@organization_admin_required
def sync_account(request):
    """*Change sync account?* for a running integration: a Hearth admin who is a G Suite admin
    makes their own account the sync account (Hearth checks the access with it first; the
    previous account stays on failure) — or asks a colleague to, by email."""
    integration = _integration(request)
    if integration is None or integration.state not in RUNNING:
        return redirect("integrations:change")
    ask_form = SyncAccountAskForm(organization=request.organization, asking_user=request.user)
    if request.method == "POST":
        error = finalize_as_sync_account(request)
        if error is not None:
            messages.error(request, f"{error.headline} {error.fix}")
        else:
            messages.success(
                request,
                f"{request.user.email} is now the sync account. A sync has started with it.",
            )
            return redirect("usermanagement:gsuite_settings")
    return _sync_account_page(request, integration, ask_form)


def _sync_account_page(request, integration, ask_form, status=200):
    return render(
        request,
        "integrations/settings/sync_account.html",
        {
            "integration": integration,
            "colleagues": _sync_account_candidates(request),
            "ask_form": ask_form,
            "tab": "settings",
        },
        status=status,
    )


@require_POST
@organization_admin_required
def sync_account_ask(request):
    """Ask a colleague (a Hearth admin) to make their account the sync account: they get an
    email with a link to this page; the current account keeps working until they do."""
    integration = _integration(request)
    if integration is None or integration.state not in RUNNING:
        return redirect("integrations:change")
    form = SyncAccountAskForm(
        request.POST, organization=request.organization, asking_user=request.user
    )
    if not form.is_valid():
        return _sync_account_page(request, integration, form, status=400)
    colleague = form.cleaned_data["colleague"]
    integration_services.integration_sync_account_ask(
        organization=request.organization, colleague=colleague, acting_user=request.user
    )
    messages.success(
        request,
        f"Request sent to {colleague.display_name}. The sync account stays "
        f"{integration.sync_account.email if integration.sync_account else 'as it is'} until "
        "they use their account.",
    )
    return redirect("usermanagement:gsuite_sync_account")
