"""Run by tests/local/test_sqlite.py in a subprocess with `make run`'s settings on a fresh SQLite
file: migrate, make an organization with people in org units, reconcile seats twice, update a
person as the sync does, filter with config.bulk.any_of, reconcile a seat alone and render every
admin page. Prints one line per page: "<path> <status>"."""

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from config.bulk import any_of  # noqa: E402
from licenses.services import seats_reconcile  # noqa: E402
from organizations.services import organization_create  # noqa: E402
from usermanagement.models import User  # noqa: E402
from usermanagement.services import people_update_synced  # noqa: E402

call_command("migrate", verbosity=0)
organization = organization_create(name="Local", primary_domain="local.example")
for number, unit in enumerate(["/Sales", "/Engineering", "/Engineering/Platform", ""]):
    User.objects.create_user(
        f"person{number}@local.example", None, organization=organization, org_unit_path=unit
    )
print("first reconcile", sorted(seats_reconcile(organization=organization).counts().items()))
print("second reconcile", sorted(seats_reconcile(organization=organization).counts().items()))
person = User.objects.get(email="person0@local.example")
addresses = ["person0@local.example", "person2@local.example", "nobody@local.example"]
print(
    "any_of",
    sorted(User.objects.filter(any_of("email", addresses)).values_list("email", flat=True)),
    User.objects.filter(any_of("pk", [])).count(),
)
people_update_synced(
    rows=[(person.pk, {"first_name": "Zoë", "aliases": ["z@local.example"]})],
    fields=["first_name", "aliases"],
)
person.refresh_from_db()
print("updated", person.first_name, person.aliases)
User.objects.filter(pk=person.pk).update(status=User.Status.ARCHIVED)
scoped = seats_reconcile(organization=organization, people=[person.pk])
print("one-person reconcile", sorted(scoped.counts().items()))
admin = User.objects.create_user(
    "admin@local.example", None, organization=organization, role=User.Role.ADMIN
)
client = Client()
client.force_login(admin)
for path in [
    "/panel/",
    "/panel/integrations/",
    "/panel/users/",
    "/panel/users/?q=person1",
    "/panel/users/?org_unit=/Engineering",
    "/panel/users/groups/",
    "/panel/users/licenses/",
    "/panel/users/admins/",
    "/panel/users/g-suite-settings/",
    "/panel/users/g-suite-settings/history/",
]:
    print(path, client.get(path, HTTP_HOST="127.0.0.1").status_code)
