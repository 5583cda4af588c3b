"""Periodic seat work. Thin: the service does everything."""

from celery import shared_task

from licenses.models import LicensePolicy
from licenses.services import seats_reconcile
from organizations.models import Organization


@shared_task(acks_late=True, ignore_result=True)
def seats_grace_release() -> None:
    """Hourly: release the seats whose grace period ended, also for organizations whose sync
    is not running (the sync reconciles on every run anyway)."""
    for organization_id in LicensePolicy.objects.filter(release_after_days__gt=0).values_list(
        "organization_id", flat=True
    ):
        seats_reconcile(organization=Organization(pk=organization_id))
