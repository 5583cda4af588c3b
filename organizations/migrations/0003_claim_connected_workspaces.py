"""Claim the domains of the Workspaces connected before domains had owners.

Until now nothing recorded which organization owns a domain; from now on finalize claims it.
Organizations already syncing (active, or in error but still syncing) claim their Workspace's
primary domain here, so that they are protected from the first deploy rather than from their
next reconnect. A name two organizations could claim goes to the one connected first.
"""

from django.db import migrations
from django.utils import timezone

SYNCING = ("active", "error")


def claim_connected_workspaces(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    ConnectedDomain = apps.get_model("organizations", "ConnectedDomain")
    taken = set(ConnectedDomain.objects.values_list("domain", flat=True))
    claims = []
    for organization_id, domain, activated_at in (
        Integration.objects.filter(state__in=SYNCING)
        .exclude(domain="")
        .order_by("activated_at", "pk")
        .values_list("organization_id", "domain", "activated_at")
    ):
        name = domain.strip().lower().rstrip(".")
        if name and name not in taken:
            taken.add(name)
            claims.append(
                ConnectedDomain(
                    domain=name,
                    organization_id=organization_id,
                    kind="primary",
                    claimed_at=activated_at or timezone.now(),
                )
            )
    ConnectedDomain.objects.bulk_create(claims)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_connected_domain"),
        ("integrations", "0002_syncrun_held_removals"),
    ]

    operations = [
        migrations.RunPython(claim_connected_workspaces, migrations.RunPython.noop, elidable=True),
    ]
