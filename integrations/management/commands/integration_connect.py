"""`integration_connect ORG_SLUG --sync-account EMAIL`: finalize from a script or by support."""

from django.core.management.base import BaseCommand, CommandError

from integrations.errors import IntegrationError
from integrations.services import integration_finalize
from organizations.models import Organization
from usermanagement.models import User


class Command(BaseCommand):
    help = "Check the G Suite rights with EMAIL as sync account and activate the integration."

    def add_arguments(self, parser):
        parser.add_argument("organization_slug")
        parser.add_argument("--sync-account", required=True, dest="sync_account")

    def handle(self, *args, organization_slug, sync_account, **options):
        organization = Organization.objects.filter(slug=organization_slug).first()
        if organization is None:
            raise CommandError(f"No organization with slug {organization_slug!r}.")
        person = (
            User.objects.filter(organization=organization, email__iexact=sync_account)
            .exclude(status=User.Status.ARCHIVED)
            .first()
        )
        if person is None:
            raise CommandError(f"{sync_account} is not a person of {organization.name}.")
        try:
            integration = integration_finalize(
                organization=organization, sync_account=person, acting_user=None
            )
        except IntegrationError as error:
            self.stderr.write(f"{error.headline} {error.fix}")
            raise SystemExit(1) from error
        self.stdout.write(
            f"Active: {organization.name} is connected to {integration.domain} "
            f"(customer {integration.google_customer_id}); the first sync has started."
        )
