"""Push health as each notification records it (integrations.realtime.health.push_received)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import RealtimeState
from integrations.realtime import health
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

Health = RealtimeState.PushHealth


def test_the_first_notification_makes_push_healthy_and_counts_as_a_change():
    organization = OrganizationFactory()
    now = timezone.now()
    health.push_received(organization_id=organization.pk, now=now)
    state = RealtimeState.objects.get(organization=organization)
    assert state.push_health == Health.HEALTHY
    assert state.push_received_at == now and state.last_change_received_at == now
    assert state.feed_next_poll_at is not None and state.feed_idle_polls == 0


def test_a_notification_brings_back_a_degraded_push_and_answers_what_the_feed_expected():
    organization = OrganizationFactory()
    now = timezone.now()
    RealtimeState.objects.create(
        organization=organization,
        push_health=Health.DEGRADED,
        push_expected_since=now - timedelta(seconds=30),
    )
    health.push_received(organization_id=organization.pk, now=now, change=False)
    state = RealtimeState.objects.get(organization=organization)
    assert state.push_health == Health.HEALTHY and state.push_health_changed_at == now
    assert state.push_expected_since is None
    assert state.last_change_received_at is None  # an update waiting for its activity


def test_a_notification_to_a_healthy_push_is_one_statement_and_keeps_a_later_expectation():
    organization = OrganizationFactory()
    now = timezone.now()
    later = now + timedelta(seconds=5)  # the feed saw a change after this notification
    RealtimeState.objects.create(
        organization=organization,
        push_health=Health.HEALTHY,
        push_health_changed_at=now - timedelta(hours=1),
        push_expected_since=later,
        feed_idle_polls=4,
        feed_next_poll_at=now + timedelta(minutes=8),
    )
    with CaptureQueriesContext(connection) as queries:
        health.push_received(organization_id=organization.pk, now=now)
    assert len(queries.captured_queries) == 1
    state = RealtimeState.objects.get(organization=organization)
    assert state.push_expected_since == later
    assert state.push_received_at == now and state.push_health_changed_at < now
    # the backed-off feed poll comes back to within a minute
    assert state.feed_idle_polls == 0 and state.feed_next_poll_at <= now + timedelta(minutes=1)
    health.push_received(organization_id=organization.pk, now=later)
    assert RealtimeState.objects.get(pk=state.pk).push_expected_since is None


def test_a_change_the_feed_shows_is_expected_from_push_unless_a_notification_came_after_it():
    organization = OrganizationFactory()
    now = timezone.now()
    health.push_expected(organization_id=organization.pk, since=now - timedelta(seconds=50))
    state = RealtimeState.objects.get(organization=organization)  # made by the first
    assert state.push_expected_since == now - timedelta(seconds=50)
    assert state.last_change_received_at is not None

    with CaptureQueriesContext(connection) as queries:
        # a later change keeps the earliest expectation; an earlier one takes its place
        health.push_expected(organization_id=organization.pk, since=now - timedelta(seconds=10))
    assert len(queries.captured_queries) == 1
    assert RealtimeState.objects.get(pk=state.pk).push_expected_since == state.push_expected_since
    health.push_expected(organization_id=organization.pk, since=now - timedelta(seconds=90))
    assert RealtimeState.objects.get(pk=state.pk).push_expected_since == now - timedelta(seconds=90)

    # a notification came after the change: push brought it, nothing is expected
    RealtimeState.objects.filter(pk=state.pk).update(push_expected_since=None, push_received_at=now)
    health.push_expected(organization_id=organization.pk, since=now - timedelta(seconds=5))
    assert RealtimeState.objects.get(pk=state.pk).push_expected_since is None
