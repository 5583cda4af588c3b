"""Run by tests/support/test_sqlite.py in a subprocess with `make run`'s settings on a fresh
SQLite file: migrate, create a support account the way a deployment does, make an organization
with history, render the console's pages, run an action and prune old history. Prints one line
per page ("<path> <status>") and one per step."""

import django

django.setup()

from datetime import timedelta  # noqa: E402
from io import StringIO  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from integrations.models import Integration, SyncChange, SyncRun  # noqa: E402
from organizations.services import organization_create  # noqa: E402
from support.admin.base import admin_url, changelist_url  # noqa: E402
from support.retention import history_prune  # noqa: E402
from usermanagement.models import User  # noqa: E402

call_command("migrate", verbosity=0)
call_command("support_user", "create", "ops@hearth.example", stdout=StringIO())
support = User.objects.get(email="ops@hearth.example")
organization = organization_create(name="Local", primary_domain="local.example")
person = User.objects.create_user("jane@local.example", None, organization=organization)
Integration.objects.create(organization=organization, state=Integration.State.ACTIVE)
runs = [
    SyncRun.objects.create(organization=organization, trigger="schedule", status="succeeded")
    for _ in range(3)
]
for run in runs:
    SyncChange.objects.create(
        run=run, kind="update", object_type="user", object_id=str(person.pk),
        object_repr=person.email, diff={"title": ["a", "b"]},
    )
SyncRun.objects.filter(pk__in=[runs[0].pk, runs[1].pk]).update(
    created_at=timezone.now() - timedelta(days=400)
)

client = Client()
client.force_login(support)
for path in [
    "/support/",
    changelist_url(User, q="jane@"),
    changelist_url(SyncChange, q="jane@local.example"),
    changelist_url(SyncRun),
    admin_url(organization),
    admin_url(person),
    admin_url(runs[2]),
    "/support/support/heldplan/",
]:
    print(path, client.get(path, HTTP_HOST="127.0.0.1").status_code)

response = client.post(
    changelist_url(User),
    {"action": "deactivate_people", "_selected_action": [person.pk], "post": "yes"},
    HTTP_HOST="127.0.0.1",
)
person.refresh_from_db()
print("deactivated", response.status_code, person.status)
print("pruned", history_prune())
