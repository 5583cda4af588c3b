"""The schedule (integrations.tasks.sync_schedule_due, every minute) keeps each organization's
interval: a run requested a moment after a tick is due again at the tick one interval later."""

from datetime import timedelta

from django.utils import timezone

from integrations.models import Integration, SyncRun
from integrations.tasks import sync_schedule_due
from tests.organizations.factories import OrganizationFactory


def test_an_interval_of_n_minutes_runs_every_n_minutes_not_n_plus_one(db):
    organization = OrganizationFactory()
    Integration.objects.create(
        organization=organization, state=Integration.State.ACTIVE, sync_interval_minutes=2
    )
    tick = timezone.now()
    # the last run was requested half a second after the tick that made it
    SyncRun.objects.create(
        organization=organization, trigger="schedule", status="succeeded"
    )
    SyncRun.objects.update(created_at=tick + timedelta(seconds=0.5))

    assert sync_schedule_due(now=tick + timedelta(minutes=1)) == []  # one tick later: not due
    due = sync_schedule_due(now=tick + timedelta(minutes=2))  # the tick one interval later
    assert [run.organization_id for run in due] == [organization.pk]
