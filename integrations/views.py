"""The Integrations tab: the G Suite card and the connect wizard (the help article's flow).

Pages and the service each one calls (integrations/services.py owns every state change):

    home            the card, in the integration's state (docs/sync.md, "Integration states")
    install         "Are you a G Suite administrator?"
    start     POST  *I am a G Suite admin* -> integration_start_install   (Path A)
    ask             *Ask a G Suite admin*  -> integration_request_admin   (Path B)
    change          *Change sync account?* -> integration_change_sync_account
    finalize_link   the emailed link: the asked colleague lands on the card in Finalize state;
                    anyone else is told whose request it is; a replaced link is refused
    step_1          Step 1: the Marketplace (skippable)
    marketplace     *Open G Suite Marketplace* -> integration_marketplace_opened, then Google
    step_2          Step 2: *Finalize G Suite sync* -> integration_finalize; an error keeps the
                    wizard on Step 2 with its headline and fix and the way to fix it (Step 1
                    for "not installed", the Admin console's API access page, another account)
                    — during setup nothing else happens (integrations.state, setup_failed);
                    right after the Marketplace (the install-pending sub-state), "not installed
                    yet" shows a panel that checks again by itself every few seconds until it
                    works or the patience runs out
    done            the success page, with the first sync's progress (htmx polling)
    disconnect      confirmation -> integration_disconnect

Every page is for the organization's Hearth admins only (member: 403) and reads the integration of
the signed-in admin's organization, never one named in the URL.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from organizations.tenancy import organization_admin_required, scoped
from usermanagement.models import User

from . import services
from .errors import (
    ApiAccessDisabled,
    InstallPending,
    IntegrationError,
    IntegrationStateError,
    NotInstalled,
    error_matching,
)
from .forms import ColleagueForm
from .models import Integration, SyncRun
from .realtime.health import realtime_health
from .state import RUNNING, SETUP, integration_phase, setup_error_shown
from .tasks import sync_interval_effective, sync_next_at

State = Integration.State

# The card each state shows (docs/sync.md); the waiting card turns into Finalize for the colleague.
CARD_BY_STATE = {
    State.NOT_STARTED: "install",
    State.DISCONNECTED: "install",
    State.WAITING_FOR_ADMIN: "waiting",
    State.INSTALLING: "finalize",
    State.ACTIVE: "active",
    State.ERROR: "error",
}
# While Google applies a fresh install, Step 2 checks again this often, by itself.
INSTALL_RECHECK_SECONDS = 4
# Steps of the stepper shown on the wizard pages.
WIZARD_STEPS = (
    ("install", "Install"),
    ("step_1", "Step 1 · Marketplace"),
    ("step_2", "Step 2 · Finalize"),
    ("done", "Done"),
)


def _integration(request) -> Integration:
    """The organization's integration; an unsaved *not started* one until something happens."""
    integration = (
        scoped(Integration, request.organization)
        .select_related("sync_account", "requested_by")
        .first()
    )
    return integration or Integration(organization=request.organization)


def _card(integration: Integration, user: User) -> str:
    card = CARD_BY_STATE[integration.state]
    if card == "waiting" and integration.sync_account_id == user.pk:
        return "finalize"
    return card


def _wizard_context(current: str, *, step_1_failed: bool = False, **context) -> dict:
    """`step_1_failed`: Google says the Marketplace install is missing (or not applied yet), so
    Step 1 is not ticked as done: it is where the fix is."""
    position = [key for key, _ in WIZARD_STEPS].index(current)

    def status(index: int, key: str) -> str:
        if key == "step_1" and step_1_failed and index < position:
            return "attention"
        return "done" if index < position else "current" if index == position else "todo"

    context["steps"] = [
        {"key": key, "label": label, "number": index + 1, "status": status(index, key)}
        for index, (key, label) in enumerate(WIZARD_STEPS)
    ]
    context["marketplace_url"] = settings.GOOGLE_MARKETPLACE_URL
    context["help_url"] = settings.HELP_ARTICLE_URL
    return context


def api_access_url(organization, integration: Integration | None = None) -> str:
    """Where a G Suite admin turns API access on, for this organization's domain."""
    domain = (integration.domain if integration else "") or organization.primary_domain
    return settings.GOOGLE_API_ACCESS_URL.replace("{domain}", domain)


def error_kept(integration: Integration) -> IntegrationError | None:
    """The failed check or sync the row keeps, as its typed error (headline and fix as they were
    recorded), for the pages that show it again."""
    if not integration.last_error_headline:
        return None
    cls = error_matching(integration.last_error_headline) or IntegrationError
    return cls(
        integration.last_error_detail,
        headline=integration.last_error_headline,
        fix=integration.last_error_fix,
    )


def _someone_elses_request(request, integration: Integration) -> HttpResponse:
    return render(
        request,
        "integrations/request_elsewhere.html",
        {"integration": integration},
        status=403,
    )


def _wizard_gate(request, integration: Integration) -> HttpResponse | None:
    """None when the signed-in admin may be at Step 1/2 now, else where they should be."""
    if integration.state == State.WAITING_FOR_ADMIN:
        if integration.sync_account_id != request.user.pk:
            return _someone_elses_request(request, integration)
        return None
    if integration.state in (*SETUP, State.ERROR):
        return None
    if integration.state == State.ACTIVE:
        messages.info(request, "The G Suite synchronization is already set up.")
    return redirect("integrations:home")


@organization_admin_required
def home(request):
    integration = _integration(request)
    latest_run = None
    if integration.state in RUNNING:
        # a dry run changes nothing: it says nothing about the sync's health
        latest_run = (
            scoped(SyncRun, request.organization).exclude(mode=SyncRun.Mode.DRY_RUN).first()
        )
    kept = error_kept(integration)
    # the schedule as it is now (one real-time health query for the interval and the next run)
    interval = sync_interval_effective(integration=integration)
    return render(
        request,
        "integrations/home.html",
        {
            "integration": integration,
            "api_access": isinstance(kept, ApiAccessDisabled),
            "api_access_url": api_access_url(request.organization, integration),
            "now_at": timezone.now(),
            "card": _card(integration, request.user),
            "phase": integration_phase(integration) if integration.pk else integration.state,
            # a failed setup check stays in the wizard: the card shows it where setup goes on
            "setup_error": kept if setup_error_shown(integration) else None,
            "latest_run": latest_run,
            "next_sync_at": (
                sync_next_at(integration=integration, interval_minutes=interval)
                if integration.pk
                else None
            ),
            "sync_interval": interval,
            "realtime": realtime_health(organization_id=request.organization.pk),
            "held_count": _held_count(request.organization) if integration.state in RUNNING else 0,
            "help_url": settings.HELP_ARTICLE_URL,
        },
    )


def _held_count(organization) -> int:
    return scoped(SyncRun, organization).filter(review=SyncRun.Review.PENDING).count()


@organization_admin_required
def install(request):
    """ "Are you a G Suite administrator?" — the fork between Path A and Path B."""
    integration = _integration(request)
    if integration.state in RUNNING:
        return redirect("integrations:home")
    if (
        integration.state == State.WAITING_FOR_ADMIN
        and integration.sync_account_id != request.user.pk
    ):
        return redirect("integrations:change")
    return render(request, "integrations/install.html", _wizard_context("install"))


@organization_admin_required
@require_POST
def start(request):
    """*I am a G Suite admin*: the signed-in admin sets it up themselves (Path A)."""
    try:
        services.integration_start_install(
            organization=request.organization, acting_user=request.user
        )
    except IntegrationStateError:
        messages.info(request, "The G Suite synchronization is already set up.")
        return redirect("integrations:home")
    return redirect("integrations:step_1")


@organization_admin_required
def ask(request):
    """*Ask a G Suite admin* (Path B): choose a colleague among the Hearth admins."""
    integration = _integration(request)
    if integration.state in RUNNING:
        return redirect("integrations:home")
    if integration.state == State.WAITING_FOR_ADMIN:
        return redirect("integrations:change")
    return _colleague_form(request, integration, changing=False)


@organization_admin_required
def change(request):
    """*Change sync account?*: ask another colleague; the earlier link stops working."""
    integration = _integration(request)
    if integration.state in RUNNING:
        # A running integration keeps syncing with its account until another one is checked:
        # that is the G Suite settings page's *Change sync account?*.
        return redirect("usermanagement:gsuite_sync_account")
    if integration.state not in SETUP:
        return redirect("integrations:home")
    return _colleague_form(request, integration, changing=True)


def _colleague_form(request, integration: Integration, *, changing: bool) -> HttpResponse:
    form = ColleagueForm(
        request.POST or None, organization=request.organization, asking_user=request.user
    )
    if request.method == "POST" and form.is_valid():
        colleague = form.cleaned_data["colleague"]
        service = (
            services.integration_change_sync_account
            if changing and integration.state == State.WAITING_FOR_ADMIN
            else services.integration_request_admin
        )
        try:
            service(
                organization=request.organization, colleague=colleague, acting_user=request.user
            )
        except IntegrationStateError:
            messages.info(request, "The G Suite synchronization is already set up.")
            return redirect("integrations:home")
        messages.success(
            request,
            f"Request sent to {colleague.display_name}. They will receive an email explaining "
            "what to do.",
        )
        return redirect("integrations:home")
    invite_url = f"{reverse('invitations:create')}?next={request.path}"
    return render(
        request,
        "integrations/ask.html",
        _wizard_context(
            "install",
            form=form,
            integration=integration,
            changing=changing,
            invite_url=invite_url,
        ),
    )


@organization_admin_required
def finalize_link(request, token: str):
    """The link in the sync-request email."""
    integration = services.integration_by_request_token(token=token)
    if integration is None or integration.organization_id != request.organization.pk:
        # Replaced by *Change sync account?*, already finalized, or not this organization's.
        return render(request, "integrations/link_expired.html", status=404)
    if integration.sync_account_id != request.user.pk:
        return _someone_elses_request(request, integration)
    return redirect("integrations:home")


def finalize_as_sync_account(request) -> IntegrationError | None:
    """The panel's one finalize: the signed-in Hearth admin becomes the sync account once Google
    confirms their rights (services.integration_finalize). Step 2 of the wizard and *Change
    sync account?* on the G Suite settings page both post to views that call this, and show
    its outcome each in their own place; None is success. A transition the integration's state
    does not allow raises IntegrationStateError."""
    try:
        services.integration_finalize(
            organization=request.organization,
            sync_account=request.user,
            acting_user=request.user,
        )
    except IntegrationError as error:
        return error
    return None


@organization_admin_required
def step_1(request):
    integration = _integration(request)
    if (gate := _wizard_gate(request, integration)) is not None:
        return gate
    return render(
        request, "integrations/step_1.html", _wizard_context("step_1", integration=integration)
    )


@organization_admin_required
def marketplace(request):
    """*Open G Suite Marketplace* (a new tab): noted, then on to Google's listing."""
    integration = _integration(request)
    if _wizard_gate(request, integration) is None:
        services.integration_marketplace_opened(
            organization=request.organization, acting_user=request.user
        )
    return redirect(settings.GOOGLE_MARKETPLACE_URL)


@organization_admin_required
def step_2(request):
    integration = _integration(request)
    if (gate := _wizard_gate(request, integration)) is not None:
        return gate
    error = None
    if request.method == "POST":
        try:
            error = finalize_as_sync_account(request)
        except IntegrationStateError:
            return redirect("integrations:home")
        if error is None:
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("integrations:done")
                return response
            return redirect("integrations:done")
    elif setup_error_shown(integration) or integration.state == State.ERROR:
        # Coming back to a failed check: show what failed until it is retried.
        error = error_kept(integration)
    pending = isinstance(error, InstallPending)
    context = _wizard_context(
        "step_2",
        step_1_failed=pending or isinstance(error, NotInstalled),
        integration=integration,
        error=error,
        pending=pending,
        api_access=isinstance(error, ApiAccessDisabled),
        api_access_url=api_access_url(request.organization, integration),
        recheck_seconds=INSTALL_RECHECK_SECONDS,
    )
    template = "integrations/_step_2_panel.html" if request.htmx else "integrations/step_2.html"
    return render(request, template, context)


@organization_admin_required
def done(request):
    integration = _integration(request)
    if integration.state != State.ACTIVE:
        return redirect("integrations:home")
    return render(
        request,
        "integrations/done.html",
        _wizard_context("done", integration=integration, **_progress(request)),
    )


@organization_admin_required
def progress(request):
    """The first sync's progress on the success page (polled by htmx until it finishes)."""
    return render(request, "integrations/_progress.html", _progress(request))


def _progress(request) -> dict:
    run = scoped(SyncRun, request.organization).first()
    people = scoped(User, request.organization).exclude(status=User.Status.ARCHIVED).count()
    finished = run is not None and run.status not in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
    return {"run": run, "people_count": people, "finished": finished}


@organization_admin_required
def disconnect(request):
    integration = _integration(request)
    if integration.state in (State.NOT_STARTED, State.DISCONNECTED):
        return redirect("integrations:home")
    if request.method == "POST":
        services.integration_disconnect(organization=request.organization, acting_user=request.user)
        messages.success(
            request,
            "G Suite is disconnected. The synchronization has stopped; the people already "
            f"synced stay in {settings.PRODUCT_NAME}.",
        )
        return redirect("integrations:home")
    return render(request, "integrations/disconnect.html", {"integration": integration})


def help_article(request):
    """The public help article (HELP_ARTICLE_URL points here)."""
    return render(request, "integrations/help_article.html")
