"""The integration row as every transition reads and writes it, and the two the sync makes.

The bottom of the integration's one-way chain (services → tasks → runs → engine → notify →
state, see docs/architecture.md): the user-facing transitions (integrations.services) and the
sync's outcome (integrations.sync.notify) both lock and audit the row through these helpers, so
neither needs the other. `integration_error_set` and `integration_recovered` are the sync's
transitions: into *error* when a person must act, and back to *active* after a success.
"""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from organizations.models import Organization
from usermanagement.models import User

from .errors import IntegrationError
from .models import Integration


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


def integration_error_set(
    *, organization: Organization, error: IntegrationError, acting_user: User | None = None
) -> tuple[Integration, bool]:
    """A sync failed in a way a person must fix: move to error; True if this starts an incident.

    The caller (the sync run) emails the admins once per incident: only when the returned flag
    is True.
    """
    with transaction.atomic():
        integration = integration_locked(organization)
        new_incident = integration.error_notified_at is None
        integration.state = Integration.State.ERROR
        integration.last_error_headline = error.headline[:300]
        integration.last_error_fix = error.fix[:500]
        integration.last_error_detail = error.detail or str(error)
        if new_incident:
            integration.error_notified_at = timezone.now()
        integration.save()
        integration_audit(integration, acting_user, "integration.sync_failed", error=error.code)
    return integration, new_incident


def integration_recovered(*, organization: Organization) -> tuple[Integration, bool]:
    """A sync succeeded: leave error; True if an incident (with its email) just ended."""
    with transaction.atomic():
        integration = integration_locked(organization)
        was_incident = integration.error_notified_at is not None
        was_error = integration.state == Integration.State.ERROR
        integration.last_synced_at = timezone.now()
        fields = ["last_synced_at", "updated_at"]
        if was_error or was_incident:
            integration.state = Integration.State.ACTIVE
            integration.last_error_headline = ""
            integration.last_error_fix = ""
            integration.last_error_detail = ""
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
