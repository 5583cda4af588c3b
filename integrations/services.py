"""The transitions people make on an organization's G Suite integration: start the install
(Path A), ask a colleague (Path B), change whom was asked, open the Marketplace, finalize,
disconnect; plus the settings and Sync All Users.

The states and which transition each allows are integrations.state's (the state machine, with
its diagram); every service here names its transition there, and an illegal one is refused
with IntegrationStateError before anything changes. Every transition runs in a transaction,
writes an AuditEvent and schedules its side effects (emails, the first sync) on commit.
`integration_finalize` is the check: it asks Google, through integrations.google, for a token
and one small answer from each API Hearth uses, and maps a failure to one of the typed errors
of integrations.errors. During setup a failure stays in the wizard (`setup_failed`: the error is
kept on the row for Step 2 to show; no sync is scheduled, nobody is emailed); only a running
integration's *sync* moves it to error (integrations.sync.notify).
"""

import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from notifications.links import absolute_url
from notifications.services import email_send
from organizations.models import Organization
from organizations.services import domains_claim, domains_release
from usermanagement.models import User

from .errors import (
    CustomerAlreadyConnected,
    InstallPending,
    IntegrationError,
    IntegrationStateError,
    NotInstalled,
    SyncAllUsersTooSoon,
)
from .google.client import directory_check
from .models import Integration, SyncRun
from .realtime.channels import push_channels_stop
from .realtime.tasks import channels_open_task
from .state import (
    error_fields_set,
    install_pending_until,
    integration_audit,
    integration_locked,
    integration_setup_failed,
    integration_transition,
)
from .tasks import sync_enqueue

SYNC_ALL_USERS_PERIOD = timedelta(hours=24)


def _finalize_link(token: str) -> str:
    return absolute_url(reverse("integrations:finalize_link", kwargs={"token": token}))


def _people_link() -> str:
    return absolute_url(reverse("person_list"))


@transaction.atomic
def integration_start_install(*, organization: Organization, acting_user: User) -> Integration:
    """Path A: the acting Hearth admin says they are a G Suite admin and becomes the sync account.

    The integration moves to installing (Step 1 / Step 2 of the wizard). Any outstanding Path B
    request is withdrawn (its link stops working).
    """
    integration = integration_locked(organization)
    integration_transition(integration, "install_started")
    error_fields_set(integration, None)  # a new attempt: the last check's error is history
    integration.sync_account = acting_user
    integration.requested_by = None
    integration.request_token = ""
    integration.requested_at = None
    integration.save()
    integration_audit(
        integration, acting_user, "integration.install_started", sync_account=acting_user.email
    )
    return integration


@transaction.atomic
def integration_marketplace_opened(*, organization: Organization, acting_user: User) -> None:
    """Step 1's *Open G Suite Marketplace*: remember when, so that a finalize in the next minutes
    waits for Google to apply the install instead of failing (integration_finalize)."""
    integration = integration_locked(organization)
    integration_transition(integration, "marketplace_opened")
    integration.marketplace_opened_at = timezone.now()
    integration.save(update_fields=["marketplace_opened_at", "updated_at"])
    integration_audit(integration, acting_user, "integration.marketplace_opened")


def _request_send(
    integration: Integration, *, colleague: User, acting_user: User, action: str, transition: str
) -> Integration:
    if colleague.organization_id != integration.organization_id or not colleague.is_hearth_admin:
        raise IntegrationStateError("The colleague must be a Hearth admin of this organization.")
    if not colleague.is_active:
        raise IntegrationStateError("The colleague's account is not active.")
    integration_transition(integration, transition)
    error_fields_set(integration, None)  # the new colleague has not tried yet
    integration.sync_account = colleague
    integration.requested_by = acting_user
    integration.request_token = secrets.token_urlsafe(32)
    integration.requested_at = timezone.now()
    integration.save()
    integration_audit(integration, acting_user, action, colleague=colleague.email)
    email_send(
        template="sync_request",
        to=colleague.email,
        context={
            "asker_name": acting_user.display_name,
            "colleague_name": colleague.display_name,
            "finalize_url": _finalize_link(integration.request_token),
            "help_url": _help_link(),
            "organization_name": integration.organization.name,
        },
        organization=integration.organization,
    )
    return integration


def _help_link() -> str:
    return absolute_url(settings.HELP_ARTICLE_URL)


@transaction.atomic
def integration_request_admin(
    *, organization: Organization, colleague: User, acting_user: User
) -> Integration:
    """Path B: ask a colleague (a Hearth admin) to finish the setup as G Suite admin.

    The integration waits for them (waiting_for_admin); they get the `sync_request` email with a
    direct finalize link carrying a fresh request token.
    """
    integration = integration_locked(organization)
    return _request_send(
        integration,
        colleague=colleague,
        acting_user=acting_user,
        action="integration.requested",
        transition="admin_requested",
    )


@transaction.atomic
def integration_change_sync_account(
    *, organization: Organization, colleague: User, acting_user: User
) -> Integration:
    """"Change sync account?": ask someone else; the token rotates so the old link stops working."""
    integration = integration_locked(organization)
    return _request_send(
        integration,
        colleague=colleague,
        acting_user=acting_user,
        action="integration.sync_account_changed",
        transition="sync_account_changed",
    )


def integration_by_request_token(*, token: str) -> Integration | None:
    """The integration waiting for the finalize link with `token`, or None (unknown/rotated)."""
    if not token:
        return None
    return (
        Integration.objects.select_related("organization", "sync_account", "requested_by")
        .filter(state=Integration.State.WAITING_FOR_ADMIN, request_token=token)
        .first()
    )


def integration_finalize(
    *, organization: Organization, sync_account: User, acting_user: User | None
) -> Integration:
    """Check the rights with `sync_account` as subject; on success the integration is active.

    The check asks Google for a token, then a one-user users.list, groups.list, orgunits.list,
    customers.get and a Reports API call. A failure raises ApiAccessDisabled, NotInstalled,
    DirectoryAccessDenied, SyncAccountInvalid, GoogleTemporaryError or GoogleUnknownError; a
    Workspace customer already bound to another organization raises CustomerAlreadyConnected.
    During setup the error is kept on the integration for the wizard (`setup_failed`); a
    running integration keeps its working sync account and state. "Not installed" in the
    install-pending sub-state raises InstallPending and records nothing. On success the first
    full sync is enqueued after commit and, for Path B, the asker gets the `setup_completed`
    email.
    """
    try:
        check = directory_check(subject=sync_account.email)
    except NotInstalled as error:
        integration = Integration.objects.filter(organization=organization).first()
        until = install_pending_until(integration) if integration is not None else None
        if until is not None:
            # Just back from the Marketplace: not applied yet, nothing to record.
            raise InstallPending(error.detail, until=until) from error
        integration_setup_failed(organization=organization, error=error, acting_user=acting_user)
        raise
    except IntegrationError as error:
        integration_setup_failed(organization=organization, error=error, acting_user=acting_user)
        raise
    taken = (
        Integration.objects.filter(google_customer_id=check.customer_id)
        .exclude(organization=organization)
        .exists()
    )
    if taken:
        error = CustomerAlreadyConnected(f"Customer {check.customer_id} is taken.")
        integration_setup_failed(organization=organization, error=error, acting_user=acting_user)
        raise error
    try:
        with transaction.atomic():
            integration = _finalize_success(
                organization, sync_account=sync_account, acting_user=acting_user, check=check
            )
    except IntegrityError as exc:
        # Another organization finalized the same customer between the check and the save.
        error = CustomerAlreadyConnected(f"Customer {check.customer_id} is taken.")
        integration_setup_failed(organization=organization, error=error, acting_user=acting_user)
        raise error from exc
    return integration


def _finalize_success(organization, *, sync_account, acting_user, check) -> Integration:
    integration = integration_locked(organization)
    asker = integration.requested_by if integration.request_token else None
    previous_state = integration_transition(integration, "finalized")
    now = timezone.now()
    integration.sync_account = sync_account
    integration.google_customer_id = check.customer_id
    integration.domain = check.domain
    integration.request_token = ""
    integration.activated_at = integration.activated_at or now
    integration.disconnected_at = None
    error_fields_set(integration, None)
    integration.error_notified_at = None
    integration.save()
    integration_audit(
        integration,
        acting_user,
        "integration.finalized",
        previous_state=previous_state,
        sync_account=sync_account.email,
        customer_id=check.customer_id,
        domain=check.domain,
    )
    # The Workspace's domain now belongs to this organization: no other organization can invite
    # or sign up its addresses (a name another organization already holds stays with it).
    domains_claim(organization=organization, domains=[check.domain], acting_user=acting_user)
    sync_enqueue(
        organization=organization, trigger=SyncRun.Trigger.WIZARD, requested_by=acting_user
    )
    # real-time sync starts now (its channels open on a worker, not in this request)
    transaction.on_commit(partial(channels_open_task.delay, organization.pk))
    if asker is not None and asker.is_active:
        email_send(
            template="setup_completed",
            to=asker.email,
            context={
                "asker_name": asker.display_name,
                "sync_account_name": sync_account.display_name,
                "organization_name": organization.name,
                "people_url": _people_link(),
            },
            organization=organization,
        )
    return integration


@transaction.atomic
def integration_disconnect(*, organization: Organization, acting_user: User | None) -> Integration:
    """Stop syncing: synced people, groups and history stay; schedules skip the organization.

    The customer id is released so that the Workspace may be connected again (here or, via
    support, elsewhere).
    """
    integration = integration_locked(organization)
    integration_transition(integration, "disconnected")
    integration.disconnected_at = timezone.now()
    integration.request_token = ""
    integration.google_customer_id = None
    integration.save()
    integration_audit(integration, acting_user, "integration.disconnected")
    domains_release(organization=organization, acting_user=acting_user)
    # Google stops posting; after the commit, so no Google call holds the row lock
    transaction.on_commit(partial(push_channels_stop, organization=organization))
    return integration


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# A setting left out of integration_settings_update keeps its value; None is a value (the
# safety threshold's None means "the default rule").
UNCHANGED: Any = _Unchanged()


def integration_settings_update(
    *,
    organization: Organization,
    acting_user: User | None,
    org_units_included: list[str] = UNCHANGED,
    org_units_excluded: list[str] = UNCHANGED,
    deactivation_threshold: int | None = UNCHANGED,
    sync_interval_minutes: int = UNCHANGED,
    reconcile_nightly: bool = UNCHANGED,
    flatten_nested_groups: bool = UNCHANGED,
    time_zone: str = UNCHANGED,
) -> Integration:
    """Change the sync settings (scope, safety threshold, schedule, nested groups); a setting
    not passed keeps its value. `deactivation_threshold=None` goes back to the default rule."""
    with transaction.atomic():
        integration = integration_locked(organization)
        changes = {}
        for name, value in (
            ("org_units_included", org_units_included),
            ("org_units_excluded", org_units_excluded),
            ("deactivation_threshold", deactivation_threshold),
            ("sync_interval_minutes", sync_interval_minutes),
            ("reconcile_nightly", reconcile_nightly),
            ("flatten_nested_groups", flatten_nested_groups),
            ("time_zone", time_zone),
        ):
            if value is not UNCHANGED and getattr(integration, name) != value:
                changes[name] = [getattr(integration, name), value]
                setattr(integration, name, value)
        if changes:
            integration.save()
            integration_audit(
                integration, acting_user, "integration.settings_changed", changes=changes
            )
    return integration


def integration_sync_account_ask(
    *, organization: Organization, colleague: User, acting_user: User
) -> None:
    """*Change sync account?* while the sync runs: ask a colleague (a Hearth admin) to make
    their account the sync account. No transition: the current account keeps syncing until
    the colleague's own account passes the check (views_settings.sync_account)."""
    with transaction.atomic():
        integration = integration_locked(organization)
        if not integration.is_syncing:
            raise IntegrationStateError("G Suite sync is not running for this organization.")
        if colleague.organization_id != organization.pk or not colleague.is_hearth_admin:
            raise IntegrationStateError(
                "The colleague must be a Hearth admin of this organization."
            )
        integration_audit(
            integration,
            acting_user,
            "integration.sync_account_requested",
            colleague=colleague.email,
        )
        email_send(
            template="sync_account_request",
            to=colleague.email,
            context={
                "asker_name": acting_user.display_name,
                "colleague_name": colleague.display_name,
                "current_account": integration.sync_account.email
                if integration.sync_account
                else "",
                "sync_account_url": absolute_url(reverse("usermanagement:gsuite_sync_account")),
                "help_url": _help_link(),
                "organization_name": organization.name,
            },
            organization=organization,
        )


def sync_all_users_allowed_at(*, organization: Organization):
    """When Sync All Users may next be used (None = now)."""
    last = (
        SyncRun.objects.filter(organization=organization, trigger=SyncRun.Trigger.SYNC_ALL)
        .exclude(status=SyncRun.Status.SKIPPED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return None
    allowed_at = last + SYNC_ALL_USERS_PERIOD
    return allowed_at if allowed_at > timezone.now() else None


def sync_all_users_start(*, organization: Organization, acting_user: User) -> SyncRun:
    """The Sync All Users button: a full run now, once per rolling 24 hours per organization.

    Raises SyncAllUsersTooSoon (with `allowed_at`) when used again too soon, and
    IntegrationStateError when the integration does not sync.
    """
    with transaction.atomic():
        # The integration row lock serialises two clicks: the second sees the first's run.
        integration = integration_locked(organization)
        if not integration.is_syncing:
            raise IntegrationStateError("G Suite sync is not active for this organization.")
        allowed_at = sync_all_users_allowed_at(organization=organization)
        if allowed_at is not None:
            raise SyncAllUsersTooSoon(allowed_at)
        run = sync_enqueue(
            organization=organization,
            trigger=SyncRun.Trigger.SYNC_ALL,
            requested_by=acting_user,
        )
        integration_audit(integration, acting_user, "integration.sync_all_users", run=run.pk)
    return run
