"""The refresh queue: people and groups Google said changed, until the sync engine applied
them (PendingRefresh). Bursts about one person merge; a refresh is sent after the debounce."""

from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from ..models import PendingRefresh

MAX_KEY_LENGTH = 254


def refresh_request(
    *,
    organization_id: int,
    kind: str,
    keys: Iterable[str],
    source: str,
    event_at=None,
    now=None,
) -> int:
    """Queue a refresh of each key (a Google id or an email) and send the apply task after the
    debounce. Returns how many keys were queued."""
    from .tasks import refresh_apply_task  # the task module imports this one

    now = now or timezone.now()
    due_at = now + timedelta(seconds=settings.REALTIME_DEBOUNCE_SECONDS)
    keys = {key.strip().lower() for key in keys if key and len(key) <= MAX_KEY_LENGTH}
    for key in sorted(keys):
        updated = PendingRefresh.objects.filter(
            organization_id=organization_id, kind=kind, key=key
        ).update(
            received_at=now,
            due_at=due_at,
            event_at=(
                Least(Coalesce(F("event_at"), event_at), event_at) if event_at else F("event_at")
            ),
        )
        if not updated:
            PendingRefresh.objects.bulk_create(
                [
                    PendingRefresh(
                        organization_id=organization_id,
                        kind=kind,
                        key=key,
                        source=source,
                        event_at=event_at,
                        first_received_at=now,
                        received_at=now,
                        due_at=due_at,
                    )
                ],
                ignore_conflicts=True,  # a concurrent notification queued it: merged
            )
    if keys:
        transaction.on_commit(
            partial(
                refresh_apply_task.apply_async,
                (organization_id,),
                countdown=settings.REALTIME_DEBOUNCE_SECONDS,
            )
        )
    return len(keys)
