"""The console's pages cost the same number of queries with thousands of rows as with a few:
every changelist (searched and filtered too) and every story page. The rows are written in bulk
(a first sync's shape: people with seats and memberships, runs with a change per person, audit
events and emails per person); the same pages are then counted at both sizes.

How long those queries take at 100,000 people and 1,000,000 changes is the benchmark's
question; here: no query per row, ever.
"""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from integrations.models import Integration, SyncChange, SyncRun
from licenses.models import LicensePolicy, PersonLicense, SeatAlert
from notifications.models import EmailLog
from support.admin.base import admin_url, changelist_url
from tests.organizations.factories import OrganizationFactory
from tests.support.factories import SupportFactory
from usermanagement.models import Group, GroupMembership, User

pytestmark = pytest.mark.django_db

SMALL, LARGE = 12, 1500  # people per organization (two organizations)
SUPERUSER_ONLY = {"auth.group", "socialaccount.socialapp", "socialaccount.socialtoken",
                  "socialaccount.socialaccount"}


def _world(people_per_organization: int) -> dict:
    now = timezone.now()
    world = {}
    for index in range(2):
        organization = OrganizationFactory()
        domain = organization.primary_domain
        admin_ = User.objects.create_user(
            f"admin@{domain}", "x", organization=organization, role=User.Role.ADMIN
        )
        Integration.objects.create(
            organization=organization,
            state=Integration.State.ACTIVE,
            sync_account=admin_,
            domain=domain,
            google_customer_id=f"C{organization.pk}",
        )
        LicensePolicy.objects.create(organization=organization)
        SeatAlert.objects.create(organization=organization, kind="ninety", used=9, total=10)
        people = User.objects.bulk_create(
            User(
                organization=organization,
                email=f"p{n}@{domain}",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                google_id=f"{index}{n:08d}",
                aliases=[f"alias{n}@{domain}"],
                phone="+1 555 0100",
                password="!",
            )
            for n in range(people_per_organization)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people
        )
        PersonLicense.objects.bulk_create(
            PersonLicense(organization=organization, person=p, state="licensed", assigned_at=now)
            for p in people
        )
        groups = Group.objects.bulk_create(
            Group(organization=organization, google_id=f"g{index}{n}", email=f"g{n}@{domain}")
            for n in range(10)
        )
        GroupMembership.objects.bulk_create(
            GroupMembership(
                organization=organization,
                group=groups[n % 10],
                member_type="user",
                member_google_id=person.google_id,
                member_email=person.email,
                user=person,
            )
            for n, person in enumerate(people)
        )
        runs = SyncRun.objects.bulk_create(
            SyncRun(
                organization=organization,
                trigger="schedule",
                status="failed" if n % 7 == 0 else "succeeded",
                error_class="GoogleTemporaryError" if n % 7 == 0 else "",
                counts={"update": people_per_organization},
                started_at=now - timedelta(hours=n),
                finished_at=now - timedelta(hours=n) + timedelta(minutes=1),
                requested_by=admin_,
            )
            for n in range(max(3, people_per_organization // 100))
        )
        SyncChange.objects.bulk_create(
            SyncChange(
                run=runs[n % len(runs)],
                kind="update" if n % 3 else "deactivate",
                object_type="user",
                object_id=str(person.pk),
                google_id=person.google_id,
                object_repr=person.email,
                diff={"title": ["Old", "New"], "status": ["active", "deactivated"]},
            )
            for n, person in enumerate(people + people)
        )
        AuditEvent.objects.bulk_create(
            AuditEvent(
                organization=organization,
                acting_user=admin_,
                acting_user_repr=admin_.email,
                action="license.assigned",
                target_type="usermanagement.user",
                target_id=str(person.pk),
                target_repr=person.email,
            )
            for person in people
        )
        EmailLog.objects.bulk_create(
            EmailLog(
                organization=organization,
                recipient=person.email,
                template="sync_failed",
                from_email="hearth@hearth.example",
                subject="Sync failed",
                body_text="x",
                body_html="<p>x</p>",
                status="failed" if n % 2 else "sent",
            )
            for n, person in enumerate(people)
        )
        world[index] = {
            "organization": organization,
            "person": people[-1],
            "run": runs[0],
            "group": groups[0],
        }
    return world


def _pages(world) -> dict[str, str]:
    first = world[0]
    person, organization, run = first["person"], first["organization"], first["run"]
    pages = {
        model._meta.label_lower: changelist_url(model)
        for model in admin.site._registry
        if model._meta.label_lower not in SUPERUSER_ONLY
    }
    pages |= {
        "people searched": changelist_url(User, q="p1@"),
        "people of an organization": changelist_url(User, organization=organization.pk),
        "changes searched": changelist_url(SyncChange, q=person.email),
        "changes of a run": changelist_url(SyncChange, run=run.pk),
        "runs failed": changelist_url(SyncRun, status__exact="failed"),
        "emails searched": changelist_url(EmailLog, q="p1"),
        "audit of an organization": changelist_url(AuditEvent, organization=organization.pk),
        "organization page": admin_url(organization),
        "person page": admin_url(person),
        "run page": admin_url(run),
        "group page": admin_url(first["group"]),
        "a change": admin_url(SyncChange.objects.filter(run=run).first()),
    }
    return pages


def _queries(client, pages) -> dict[str, int]:
    counts = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(queries)
    return counts


def test_every_page_costs_the_same_queries_with_thousands_of_rows(client):
    client.force_login(SupportFactory())
    small_pages = _pages(_world(SMALL))
    _queries(client, small_pages)  # warm Django's caches (content types, permissions)
    small = _queries(client, small_pages)
    large = _queries(client, _pages(_world(LARGE)))

    assert User.objects.count() > 2 * LARGE
    assert SyncChange.objects.count() > 4 * LARGE
    grew = {name: (small[name], large[name]) for name in small if large[name] != small[name]}
    assert not grew, f"queries grew with the rows (small, large): {grew}"
    assert max(large.values()) <= 25, large
