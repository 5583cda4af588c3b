"""Emails about syncs to an organization's Hearth admins: failed (once per incident), recovered,
held for review (once per pending review)."""

from django.db import transaction
from django.urls import NoReverseMatch, reverse

from notifications.links import absolute_url
from notifications.services import email_send
from organizations.models import Organization
from usermanagement.selectors import admins_active

from ..errors import IntegrationError
from ..models import SyncRun
from ..state import integration_error_set, integration_recovered


def _admins(organization: Organization) -> list[str]:
    return list(admins_active(organization=organization).values_list("email", flat=True))


def _link(name: str, fallback: str) -> str:
    try:
        return absolute_url(reverse(name))
    except NoReverseMatch:
        return absolute_url(fallback)


def _review_link(run: SyncRun) -> str:
    """The held plan's own review page (the panel maps it; the history as a fallback)."""
    try:
        return absolute_url(reverse("usermanagement:sync_plan_review", args=[run.pk]))
    except NoReverseMatch:
        return _link("usermanagement:sync_history", "/panel/users/")


def integrations_link() -> str:
    return absolute_url(reverse("integrations:home"))


def sync_failed(*, organization: Organization, error: IntegrationError) -> None:
    """The integration goes to error; the admins are emailed once per incident."""
    _integration, new_incident = integration_error_set(organization=organization, error=error)
    if new_incident:
        with transaction.atomic():
            email_send(
                template="sync_failed",
                to=_admins(organization),
                context={
                    "organization_name": organization.name,
                    "headline": error.headline,
                    "fix": error.fix,
                    "integrations_url": integrations_link(),
                },
                organization=organization,
            )


def sync_succeeded(*, organization: Organization) -> None:
    """Clear an error; if an incident was emailed, say it is resolved."""
    _integration, incident_ended = integration_recovered(organization=organization)
    if incident_ended:
        with transaction.atomic():
            email_send(
                template="sync_recovered",
                to=_admins(organization),
                context={
                    "organization_name": organization.name,
                    "integrations_url": integrations_link(),
                },
                organization=organization,
            )


def held_summary(run: SyncRun) -> str:
    """"3 people, 50 groups and 1,021 group memberships": what a held plan would remove."""
    counts = {"user": 0, "group": 0, "membership": 0}
    for entry in run.held_removals:
        counts[entry.get("type", "user")] += 1
    parts = [
        f"{number:,} {singular if number == 1 else plural}"
        for number, singular, plural in (
            (counts["user"], "person", "people"),
            (counts["group"], "group", "groups"),
            (counts["membership"], "group membership", "group memberships"),
        )
        if number
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def sync_held(*, run: SyncRun) -> None:
    """A run held removals: earlier pending reviews are superseded; email only for a new one."""
    with transaction.atomic():
        superseded = (
            SyncRun.objects.filter(organization=run.organization, review=SyncRun.Review.PENDING)
            .exclude(pk=run.pk)
            .update(review=SyncRun.Review.SUPERSEDED)
        )
        if superseded:
            return
        examples = list(
            run.changes.filter(applied=False).values_list("object_repr", flat=True)[:10]
        )
        email_send(
            template="sync_held",
            to=_admins(run.organization),
            context={
                "organization_name": run.organization.name,
                "removal_summary": held_summary(run),
                "examples": examples,
                "review_url": _review_link(run),
            },
            organization=run.organization,
        )
