"""Two organizations connected to the Google sandbox, both synced: A (acme.example), the one a
test acts for, and B (globex.example), whose rows must come out unchanged.

The pattern of tests/integrations/sync/conftest.py (`connected`), for two tenants at once.
"""

from dataclasses import dataclass

import pytest

from integrations import services
from integrations.models import SyncRun
from integrations.sync.runs import sync_run_now
from organizations.models import Organization
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory
from usermanagement.models import User


@dataclass
class Tenant:
    organization: Organization
    admin: User
    domain: str

    def synced_people(self):
        """Active people synced from Google, the admin aside (the seed leaves some suspended)."""
        return (
            User.objects.filter(
                organization=self.organization,
                google_id__isnull=False,
                status=User.Status.ACTIVE,
                license__state="licensed",
            )
            .exclude(pk=self.admin.pk)
            .order_by("email")
        )


@dataclass
class TwoTenants:
    sandbox: object
    a: Tenant
    b: Tenant

    @property
    def ops(self):
        return self.sandbox.ops


def _connect(sandbox, *, name: str, domain: str, seed: int) -> Tenant:
    sandbox.seed(domain, users=12, groups=3, members_per_group=4, admins=1, seed=seed)
    organization = OrganizationFactory(name=name, slug=name.lower(), primary_domain=domain)
    admin = AdminFactory(organization=organization, email=f"admin@{domain}")
    services.integration_start_install(organization=organization, acting_user=admin)
    services.integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    # The wizard's first run is queued for a worker; run one here instead.
    SyncRun.objects.filter(organization=organization).delete()
    run = sync_run_now(organization=organization, trigger=SyncRun.Trigger.COMMAND)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    return Tenant(organization=organization, admin=admin, domain=domain)


@pytest.fixture(autouse=True)
def tenant_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://hearth.test"
    settings.GOOGLE_RETRY_BASE_SECONDS = 0.01
    settings.GOOGLE_RETRY_CAP_SECONDS = 0.05
    return settings


@pytest.fixture
def two_tenants(google_sandbox) -> TwoTenants:
    return TwoTenants(
        sandbox=google_sandbox,
        a=_connect(google_sandbox, name="Acme", domain="acme.example", seed=1),
        b=_connect(google_sandbox, name="Globex", domain="globex.example", seed=2),
    )
