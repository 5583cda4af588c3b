"""A connected organization over the sandbox: Acme with a small seeded directory."""

from dataclasses import dataclass

import pytest

from integrations import services
from integrations.models import Integration, SyncChange, SyncRun
from integrations.sync.runs import sync_run_now
from organizations.models import Organization
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory
from usermanagement.models import User

DOMAIN = "acme.example"


@dataclass
class Acme:
    sandbox: object
    organization: Organization
    admin: User

    @property
    def ops(self):
        return self.sandbox.ops

    @property
    def integration(self) -> Integration:
        return Integration.objects.get(organization=self.organization)

    def sync(self, **kwargs) -> SyncRun:
        kwargs.setdefault("trigger", SyncRun.Trigger.COMMAND)
        return sync_run_now(organization=self.organization, **kwargs)

    def person(self, email: str) -> User:
        """The person with this address who is not archived (archived ones may share it)."""
        return User.objects.exclude(status=User.Status.ARCHIVED).get(
            organization=self.organization, email=email
        )

    def changes(self, run: SyncRun, kind: str | None = None):
        changes = SyncChange.objects.filter(run=run)
        if kind:
            changes = changes.filter(kind=kind)
        return changes


@pytest.fixture
def acme(google_sandbox) -> Acme:
    google_sandbox.seed(DOMAIN, users=12, groups=3, members_per_group=4, admins=1)
    organization = OrganizationFactory(name="Acme", slug="acme", primary_domain=DOMAIN)
    admin = AdminFactory(
        organization=organization, email=f"admin@{DOMAIN}", first_name="Ada", last_name="Admin"
    )
    return Acme(sandbox=google_sandbox, organization=organization, admin=admin)


@pytest.fixture
def connected(acme) -> Acme:
    """Acme after finalize (the wizard's first sync is queued, not run: tests run syncs)."""
    services.integration_start_install(organization=acme.organization, acting_user=acme.admin)
    services.integration_finalize(
        organization=acme.organization, sync_account=acme.admin, acting_user=acme.admin
    )
    SyncRun.objects.filter(organization=acme.organization).delete()
    return acme
