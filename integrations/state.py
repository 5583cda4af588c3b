"""The integration's state machine: its states, the named transitions between them, and the row
as every transition reads and writes it.

    not_started ──install_started (Path A)──► installing ──finalized──► active ◄──────┐
         │                                     │  ▲                      │  │        │
         └──admin_requested (Path B)──► waiting_for_admin ──finalized────┘  │ sync_failed
                   sync_account_changed ↺      │                             ▼        │ recovered
                                               │                           error ─────┘
         setup_failed ↺ (installing, waiting: the error is shown in the wizard, nothing else)
    installing | waiting | active | error ──disconnected──► disconnected ──install_started ...

Setup (installing, waiting_for_admin) and running (active, error) are two worlds. A finalize that
fails during setup is `setup_failed`: the integration stays in its setup state with the error
on the row for the wizard to show — no run is scheduled (the schedule reads only active and
error) and nobody is emailed. Only an integration that was once finalized can be in *error*,
which the scheduler keeps retrying and which emails the admins once per incident
(integrations.sync.notify).

Install pending is a named *sub-state* of the two setup states (and of error, whose wizard
offers Step 1 again), not a state of its own
(`integration_phase`): it is the few minutes after an admin left for the Marketplace
(`Integration.marketplace_opened_at` + GOOGLE_INSTALL_PATIENCE_SECONDS) while Google applies a
domain install. It begins with `marketplace_opened` and ends by itself when the time is up —
no write, no timer that could be late — and during it the card, the schedule and every
transition behave exactly as in the parent state; only the finalize check reads it, answering
"not installed" with InstallPending instead of `setup_failed`.

A transition the current state does not allow is refused (IntegrationStateError) and changes
nothing. `integration_transition` is the one place `Integration.state` is assigned; the people's
transitions are in integrations.services, the sync's two (`sync_failed`, `recovered`) are here,
at the bottom of the integration's one-way chain (services → tasks → runs → engine → notify →
state, docs/architecture.md), so that the sync never needs the services.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from organizations.models import Organization
from usermanagement.models import User

from .errors import IntegrationError, IntegrationStateError
from .models import Integration

logger = structlog.get_logger(__name__)

State = Integration.State
SETUP = frozenset({State.INSTALLING, State.WAITING_FOR_ADMIN})
RUNNING = frozenset({State.ACTIVE, State.ERROR})
# The sub-state of SETUP while Google applies a fresh Marketplace install (see the docstring).
INSTALL_PENDING = "install_pending"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    # None: the state stays what it is (the transition changes what the row holds, not where
    # the integration is).
    target: str | None


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "install_started",
            frozenset({State.NOT_STARTED, State.DISCONNECTED, *SETUP}),
            State.INSTALLING,
        ),
        Transition(
            "admin_requested",
            frozenset({State.NOT_STARTED, State.DISCONNECTED, State.INSTALLING}),
            State.WAITING_FOR_ADMIN,
        ),
        Transition("sync_account_changed", frozenset({State.WAITING_FOR_ADMIN}), None),
        # Step 1 is reachable while running too ("Go back to Step 1" after an error).
        Transition("marketplace_opened", frozenset({*SETUP, *RUNNING}), None),
        # Finalize is the rights check: scripts and support run it from any state
        # (`integration_connect`), people from the wizard's Step 2 and the settings page.
        Transition(
            "setup_failed", frozenset({State.NOT_STARTED, State.DISCONNECTED, *SETUP}), None
        ),
        Transition("finalized", frozenset(State), State.ACTIVE),
        Transition("sync_failed", RUNNING, State.ERROR),
        Transition("recovered", RUNNING, State.ACTIVE),
        Transition("disconnected", frozenset({*SETUP, *RUNNING}), State.DISCONNECTED),
    )
}


def transition_allowed(integration: Integration, name: str) -> bool:
    return integration.state in TRANSITIONS[name].sources


def integration_transition(integration: Integration, name: str) -> str:
    """Move the (locked) row along the named transition; returns the state it left. The caller
    saves the row. Refused with IntegrationStateError when the state does not allow it."""
    step = TRANSITIONS[name]
    previous = integration.state
    if previous not in step.sources:
        raise IntegrationStateError(
            f"The integration is {integration.get_state_display().lower()}: "
            f"“{name.replace('_', ' ')}” is not possible now."
        )
    if step.target is not None:
        integration.state = step.target
    return previous


def install_patience() -> timedelta:
    """How long after an admin left for the Marketplace a 'not installed' answer means 'not yet'
    (Google applies a domain install and its delegation within minutes)."""
    return timedelta(seconds=settings.GOOGLE_INSTALL_PATIENCE_SECONDS)


def install_pending_until(integration: Integration, *, now: datetime | None = None):
    """When the install-pending sub-state ends, or None when the integration is not in it.
    (After an error the wizard's Step 1 is open too: a reinstall gets the same patience.)"""
    opened = integration.marketplace_opened_at
    if integration.state not in (*SETUP, State.ERROR) or opened is None:
        return None
    until = opened + install_patience()
    return until if (now or timezone.now()) < until else None


def integration_phase(integration: Integration, *, now: datetime | None = None) -> str:
    """The state, or its sub-state INSTALL_PENDING while Google applies a fresh install."""
    if install_pending_until(integration, now=now) is not None:
        return INSTALL_PENDING
    return integration.state


def setup_error_shown(integration: Integration) -> bool:
    """Whether the row holds a failed setup check for the wizard to show (setup_failed)."""
    return integration.state in SETUP and bool(integration.last_error_headline)


# --- the row ------------------------------------------------------------------------------------


def integration_get_or_create(*, organization: Organization) -> Integration:
    """The organization's integration, created in state not_started on first use."""
    integration, _ = Integration.objects.get_or_create(organization=organization)
    return integration


def integration_locked(organization: Organization) -> Integration:
    """The integration row, locked for the caller's transaction (created first if needed)."""
    integration_get_or_create(organization=organization)
    return Integration.objects.select_for_update().get(organization=organization)


def integration_audit(integration: Integration, acting_user, action: str, **details) -> None:
    """Record a transition of the integration (its new state is always in the details)."""
    audit_record(
        organization=integration.organization,
        acting_user=acting_user,
        action=action,
        target=integration,
        details={"state": integration.state, **details},
    )


def error_fields_set(integration: Integration, error: IntegrationError | None) -> None:
    """The error a person reads (headline, fix) and the raw detail support reads, or none."""
    integration.last_error_headline = error.headline[:300] if error else ""
    integration.last_error_fix = error.fix[:500] if error else ""
    integration.last_error_detail = (error.detail or str(error)) if error else ""


def integration_setup_failed(
    *, organization: Organization, error: IntegrationError, acting_user: User | None
) -> Integration:
    """A finalize check failed during setup: the integration stays where it is (installing or
    waiting) with the error for the wizard to show; nothing is scheduled, nobody emailed. A
    failed check of a running integration (another sync account tried) changes nothing: the
    account that works stays, and the person who tried sees why on their page."""
    with transaction.atomic():
        integration = integration_locked(organization)
        if transition_allowed(integration, "setup_failed"):
            integration_transition(integration, "setup_failed")
            error_fields_set(integration, error)
            integration.save()
        integration_audit(
            integration,
            acting_user,
            "integration.finalize_failed",
            error=error.code,
            headline=error.headline,
        )
    return integration


# --- the sync's two transitions -----------------------------------------------------------------


def integration_error_set(
    *, organization: Organization, error: IntegrationError, acting_user: User | None = None
) -> tuple[Integration, bool]:
    """A sync failed in a way a person must fix: move to error; True if this starts an incident.

    The caller (the sync run) emails the admins once per incident: only when the returned flag
    is True. An integration that is not running (disconnected while the run worked) is left as
    it is: the run's own record says it failed.
    """
    with transaction.atomic():
        integration = integration_locked(organization)
        if not transition_allowed(integration, "sync_failed"):
            logger.info(
                "sync_failed_ignored", organization_id=organization.pk, state=integration.state
            )
            return integration, False
        new_incident = integration.error_notified_at is None
        integration_transition(integration, "sync_failed")
        error_fields_set(integration, error)
        if new_incident:
            integration.error_notified_at = timezone.now()
        integration.save()
        integration_audit(integration, acting_user, "integration.sync_failed", error=error.code)
    return integration, new_incident


def integration_recovered(*, organization: Organization) -> tuple[Integration, bool]:
    """A sync succeeded: leave error; True if an incident (with its email) just ended."""
    with transaction.atomic():
        integration = integration_locked(organization)
        if not transition_allowed(integration, "recovered"):
            return integration, False
        was_incident = integration.error_notified_at is not None
        was_error = integration.state == State.ERROR
        integration.last_synced_at = timezone.now()
        fields = ["last_synced_at", "updated_at"]
        if was_error or was_incident:
            integration_transition(integration, "recovered")
            error_fields_set(integration, None)
            integration.error_notified_at = None
            fields += [
                "state",
                "last_error_headline",
                "last_error_fix",
                "last_error_detail",
                "error_notified_at",
            ]
        integration.save(update_fields=fields)
        if was_error:
            integration_audit(integration, None, "integration.recovered")
    return integration, was_incident
