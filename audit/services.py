"""Writing the audit log.

Every service that changes state calls `audit_record` (one target) or `audit_record_many` (a set,
in one INSERT) inside its own transaction, so the audit row commits or rolls back with the change
it describes. Actions are dotted lowercase names, `<area>.<verb>` ("integration.finalized",
"user.deactivated"); `acting_user=None` means the system (the sync, a periodic task).
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from audit.models import AuditEvent
from config.bulk import records_insert

_ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_REPR_LENGTH = AuditEvent._meta.get_field("target_repr").max_length


def _action_check(action: str) -> None:
    # A typo'd action would be unfindable in the support console's filter; fail loudly instead.
    if not _ACTION_PATTERN.match(action):
        raise ValueError(
            f"Audit action must be dotted lowercase like 'user.deactivated': {action!r}"
        )


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _actor_repr(acting_user: Any) -> str:
    if acting_user is None:
        return ""
    return _truncate(acting_user.get_username(), _REPR_LENGTH)


def _event_build(
    *,
    organization: Any,
    acting_user: Any,
    action: str,
    target: models.Model | None,
    details: Mapping[str, Any] | None,
) -> AuditEvent:
    event = AuditEvent(
        organization=organization,
        acting_user=acting_user,
        acting_user_repr=_actor_repr(acting_user),
        action=action,
        details=dict(details or {}),
    )
    if target is not None:
        if target.pk is None:
            raise ValueError("Audit targets must be saved before they are recorded.")
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
        event.target_repr = _truncate(str(target), _REPR_LENGTH)
    return event


def audit_record(
    *,
    organization: Any,
    acting_user: Any,
    action: str,
    target: models.Model | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. `organization=None` for vendor-level events."""
    _action_check(action)
    event = _event_build(
        organization=organization,
        acting_user=acting_user,
        action=action,
        target=target,
        details=details,
    )
    event.save()
    return event


def audit_record_many(
    *,
    organization: Any,
    acting_user: Any,
    action: str,
    targets: Iterable[models.Model],
    details_by_target: Mapping[models.Model, Mapping[str, Any]] | None = None,
) -> list[AuditEvent]:
    """Append one audit event per target with a single INSERT, for set-based services.

    `details_by_target` maps a target instance to its own details; targets absent from it get
    empty details.
    """
    _action_check(action)
    details_by_target = details_by_target or {}
    events = [
        _event_build(
            organization=organization,
            acting_user=acting_user,
            action=action,
            target=target,
            details=details_by_target.get(target),
        )
        for target in targets
    ]
    if not events:
        return []
    return AuditEvent.objects.bulk_create(events)


def audit_record_rows(
    *,
    organization: Any,
    acting_user: Any,
    action: str,
    target_model: type[models.Model],
    targets: Iterable[tuple[Any, str, Mapping[str, Any] | None]],
) -> int:
    """Like `audit_record_many`, for targets known only as (pk, repr, details) rows: no model
    instance per target and no instance per event — the rows are streamed (config.bulk), as a
    first sync audits one seat per person, by the thousand. Returns how many were recorded."""
    _action_check(action)
    now = timezone.now()
    common = {
        "organization_id": organization.pk if organization is not None else None,
        "acting_user_id": acting_user.pk if acting_user is not None else None,
        "acting_user_repr": _actor_repr(acting_user),
        "action": action,
        "target_type": target_model._meta.label_lower,
        "created_at": now,
    }
    records = [
        {
            "target_id": str(pk),
            "target_repr": _truncate(str(target_repr), _REPR_LENGTH),
            "details": dict(details or {}),
        }
        for pk, target_repr, details in targets
    ]
    records_insert(AuditEvent, records, common=common)
    return len(records)
