"""Connected domains: claimed by the organization whose Workspace was connected, never shared."""

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection
from django.utils import timezone

from audit.models import AuditEvent
from organizations.models import ConnectedDomain
from organizations.selectors import domain_owner, email_domain_blocked
from organizations.services import domains_claim, domains_release
from tests.organizations.factories import OrganizationFactory
from tests.usermanagement.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_claiming_records_each_name_with_its_kind_and_audits_it():
    admin = AdminFactory()
    organization = admin.organization

    result = domains_claim(
        organization=organization,
        domains={"Acme.example.": "primary", "acme.test": "secondary", "acme.alias": "alias"},
        acting_user=admin,
    )

    assert result.claimed == ("acme.alias", "acme.example", "acme.test")
    assert result.refused == ()
    assert dict(
        ConnectedDomain.objects.filter(organization=organization).values_list("domain", "kind")
    ) == {"acme.example": "primary", "acme.test": "secondary", "acme.alias": "alias"}
    event = AuditEvent.objects.get(action="organization.domains_claimed")
    assert (event.organization, event.acting_user) == (organization, admin)
    assert event.details["claimed"] == {
        "acme.example": "primary",
        "acme.test": "secondary",
        "acme.alias": "alias",
    }


def test_a_list_names_the_primary_domain_first():
    organization = OrganizationFactory()

    domains_claim(
        organization=organization, domains=["acme.example", "acme.test"], acting_user=None
    )

    assert dict(ConnectedDomain.objects.values_list("domain", "kind")) == {
        "acme.example": "primary",
        "acme.test": "secondary",
    }


def test_a_name_another_organization_holds_is_refused_and_stays_theirs():
    acme, globex = OrganizationFactory.create_batch(2)
    domains_claim(organization=acme, domains=["acme.example"], acting_user=None)

    result = domains_claim(
        organization=globex, domains=["globex.example", "ACME.example"], acting_user=None
    )

    assert result.claimed == ("globex.example",)
    assert result.refused == ("acme.example",)
    assert domain_owner("acme.example") == acme
    assert domain_owner("globex.example") == globex
    event = AuditEvent.objects.get(organization=globex, action="organization.domains_claimed")
    assert event.details["refused"] == ["acme.example"]


def test_claiming_again_is_idempotent_and_follows_a_change_of_kind():
    organization = OrganizationFactory()
    domains_claim(
        organization=organization, domains=["acme.example", "acme.test"], acting_user=None
    )
    claimed_at = ConnectedDomain.objects.get(domain="acme.example").claimed_at

    again = domains_claim(organization=organization, domains=["acme.example"], acting_user=None)
    assert again.claimed == ("acme.example",)
    assert AuditEvent.objects.filter(action="organization.domains_claimed").count() == 1

    domains_claim(organization=organization, domains={"acme.test": "primary"}, acting_user=None)
    assert ConnectedDomain.objects.get(domain="acme.test").kind == "primary"
    assert ConnectedDomain.objects.get(domain="acme.example").claimed_at == claimed_at


def test_unknown_kinds_are_refused_loudly():
    with pytest.raises(ValueError, match="Unknown domain kind"):
        domains_claim(
            organization=OrganizationFactory(), domains={"a.example": "other"}, acting_user=None
        )


def test_the_database_keeps_one_owner_per_name():
    acme, globex = OrganizationFactory.create_batch(2)
    domains_claim(organization=acme, domains=["acme.example"], acting_user=None)
    with pytest.raises(IntegrityError):
        ConnectedDomain.objects.create(
            domain="acme.example", organization=globex, kind="primary", claimed_at=timezone.now()
        )


def test_releasing_gives_every_name_back_so_another_organization_can_claim_it():
    admin = AdminFactory()
    acme, globex = admin.organization, OrganizationFactory()
    domains_claim(organization=acme, domains=["acme.example", "acme.test"], acting_user=admin)

    assert domains_release(organization=acme, acting_user=admin, domains=["acme.test"]) == [
        "acme.test"
    ]
    assert domain_owner("acme.test") is None
    assert domains_release(organization=acme, acting_user=admin) == ["acme.example"]
    assert domains_release(organization=acme, acting_user=admin) == []
    assert AuditEvent.objects.filter(action="organization.domains_released").count() == 2

    assert (
        domains_claim(organization=globex, domains=["acme.example"], acting_user=None).refused == ()
    )
    assert domain_owner("acme.example") == globex


def test_an_address_is_blocked_only_for_organizations_other_than_the_owner():
    acme, globex = OrganizationFactory.create_batch(2)
    domains_claim(organization=acme, domains=["acme.example"], acting_user=None)

    assert email_domain_blocked(email="dual@ACME.example", organization=globex)
    assert email_domain_blocked(email="dual@acme.example", organization=None)  # signing up
    assert not email_domain_blocked(email="dual@acme.example", organization=acme)
    assert not email_domain_blocked(email="dual@sales.acme.example", organization=globex)
    assert not email_domain_blocked(email="someone@gmail.example", organization=globex)
    assert not email_domain_blocked(email="not-an-address", organization=globex)


@pytest.mark.django_db(transaction=True)
def test_two_organizations_claiming_one_name_at_once_leave_one_owner():
    acme, globex = OrganizationFactory.create_batch(2)
    barrier = threading.Barrier(2)
    results = {}

    def claim(organization):
        try:
            barrier.wait(timeout=5)
            results[organization.pk] = domains_claim(
                organization=organization, domains=["shared.example"], acting_user=None
            )
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=claim, args=(org,)) for org in (acme, globex)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    owner = domain_owner("shared.example")
    assert owner in (acme, globex)
    loser = globex if owner == acme else acme
    assert results[owner.pk].claimed == ("shared.example",)
    assert results[loser.pk].refused == ("shared.example",)


def test_the_migration_claims_the_domains_of_workspaces_already_syncing():
    from importlib import import_module

    from django.apps import apps

    from integrations.models import Integration
    from tests.integrations.factories import IntegrationFactory

    migration = import_module("organizations.migrations.0003_claim_connected_workspaces")
    first, later, stopped, erring = (
        IntegrationFactory(state=state, domain=domain, activated_at=timezone.now())
        for state, domain in (
            (Integration.State.ACTIVE, "Acme.example"),
            (Integration.State.ACTIVE, "acme.example"),  # the same name, connected later
            (Integration.State.DISCONNECTED, "gone.example"),
            (Integration.State.ERROR, "erring.example"),
        )
    )

    migration.claim_connected_workspaces(apps, None)

    assert dict(ConnectedDomain.objects.values_list("domain", "organization")) == {
        "acme.example": first.organization_id,
        "erring.example": erring.organization_id,
    }
    assert later.organization_id != first.organization_id
    assert stopped.organization_id not in ConnectedDomain.objects.values_list(
        "organization", flat=True
    )
