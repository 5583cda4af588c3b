"""User Management → G Suite Settings: health, sync account, scope (with a preview), safety
threshold, auto-license policy, Sync All Users with live progress, history and held plans.

Each POST calls one service: integrations.services (settings, Sync All Users, the sync account
through views.finalize_as_sync_account), integrations.sync.review (approve / reject a held
plan), licenses.services (policy). The panel maps these pages under User Management
(panel/urls.py, namespace "usermanagement").
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from licenses import selectors as seats
from licenses.forms import LicensePolicyForm
from licenses.services import license_policy_update
from organizations.tenancy import organization_admin_required, scoped, scoped_get_or_404
from usermanagement.models import User
from usermanagement.selectors import admins_active

from . import services as integration_services
from .errors import IntegrationError, IntegrationStateError, SyncAllUsersTooSoon
from .forms import SafetyForm, ScopeForm
from .models import Integration, SyncChange, SyncRun
from .scope_preview import org_units_remote, scope_preview
from .sync import planning
from .sync.review import held_plans, sync_plan_approve, sync_plan_reject
from .views import finalize_as_sync_account

RUNS_PER_PAGE = 25
CHANGES_PER_PAGE = 100
LIVE = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


def _integration(request) -> Integration | None:
    return (
        Integration.objects.select_related("sync_account", "organization")
        .filter(organization=request.organization)
        .first()
    )


@organization_admin_required
def settings_page(request):
    organization = request.organization
    integration = _integration(request)
    if integration is None or integration.state in (
        Integration.State.NOT_STARTED,
        Integration.State.WAITING_FOR_ADMIN,
        Integration.State.INSTALLING,
    ):
        return render(
            request,
            "integrations/settings/not_connected.html",
            {"integration": integration, "tab": "settings"},
        )
    policy = seats.license_policy(organization=organization)
    runs = list(scoped(SyncRun, organization).select_related("requested_by")[:10])
    live = next((run for run in runs if run.status in LIVE), None)
    return render(
        request,
        "integrations/settings/page.html",
        {
            "integration": integration,
            "allowed_at": integration_services.sync_all_users_allowed_at(organization=organization),
            "live_run": live,
            "runs": runs,
            "held_plans": held_plans(organization=organization),
            "usage": seats.seats_usage(organization=organization),
            "safety_form": SafetyForm(
                initial={"deactivation_threshold": integration.deactivation_threshold},
                default=planning.removal_threshold(
                    active_people=scoped(User, organization)
                    .filter(status=User.Status.ACTIVE)
                    .count()
                ),
            ),
            "policy": policy,
            "policy_form": LicensePolicyForm(
                initial={
                    "auto_assign": policy.auto_assign,
                    "auto_assign_org_units": "\n".join(policy.auto_assign_org_units),
                    "release_after_days": policy.release_after_days,
                }
            ),
            "tab": "settings",
        },
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
            "Sync All Users can be used once a day. It is available again at "
            f"{error.allowed_at:%d %b %Y, %H:%M} UTC.",
        )
    except IntegrationStateError as error:
        messages.error(request, str(error))
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
    if form.is_valid():
        threshold = form.cleaned_data["deactivation_threshold"]
        integration = _integration(request)
        if integration is not None:
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
    else:
        messages.error(
            request, "The safety threshold must be a whole number of people (1 or more)."
        )
    return redirect("usermanagement:gsuite_settings")


@require_POST
@organization_admin_required
def license_policy(request):
    form = LicensePolicyForm(request.POST)
    if form.is_valid():
        license_policy_update(
            organization=request.organization, acting_user=request.user, **form.cleaned_data
        )
        messages.success(request, "Auto-license policy saved.")
    else:
        messages.error(request, "Check the auto-license policy: " + form.errors.as_text())
    return redirect("usermanagement:gsuite_settings")


@organization_admin_required
def history(request):
    runs = scoped(SyncRun, request.organization).select_related("requested_by")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/settings/history.html",
        # The "held for review" email links here: the plans waiting for review come first.
        {
            "page": page,
            "held_plans": held_plans(organization=request.organization),
            "tab": "settings",
        },
    )


@organization_admin_required
def run_detail(request, run_id: int):
    run = scoped_get_or_404(
        SyncRun.objects.select_related("requested_by"), request.organization, pk=run_id
    )
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:200]
    changes = run.changes.all()
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


def _review(request, run_id: int, *, approve: bool):
    run = scoped_get_or_404(SyncRun, request.organization, pk=run_id)
    try:
        if approve:
            applied = sync_plan_approve(run=run, acting_user=request.user)
            messages.success(
                request, f"Approved: {applied} {'person' if applied == 1 else 'people'} removed."
            )
        else:
            sync_plan_reject(run=run, acting_user=request.user)
            messages.success(
                request,
                "Rejected: nobody was removed. The same removals are not proposed again "
                "unless G Suite changes.",
            )
    except IntegrationStateError as error:
        messages.info(request, str(error))
    return redirect("usermanagement:gsuite_settings")


@require_POST
@organization_admin_required
def plan_approve(request, run_id: int):
    return _review(request, run_id, approve=True)


@require_POST
@organization_admin_required
def plan_reject(request, run_id: int):
    return _review(request, run_id, approve=False)


@organization_admin_required
def sync_account(request):
    """*Change sync account?* for a running integration: a Hearth admin who is a G Suite admin
    makes their own account the sync account (like Path A: nobody is volunteered). Hearth checks
    the access with it first (integration_finalize); the previous account stays on failure."""
    integration = _integration(request)
    if integration is None or integration.state not in (
        Integration.State.ACTIVE,
        Integration.State.ERROR,
    ):
        return redirect("integrations:change")
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
    colleagues = (
        admins_active(organization=request.organization)
        .filter(google_is_admin=True)
        .exclude(pk=request.user.pk)
        .order_by("last_name", "first_name")
    )
    return render(
        request,
        "integrations/settings/sync_account.html",
        {"integration": integration, "colleagues": colleagues, "tab": "settings"},
    )
