"""What the support console adds to the data model: its two permissions, and held plans as a
list of their own. No table: what support does is recorded in the audit log (audit.AuditEvent,
`support.*` actions), and the data it reads belongs to the apps below.
"""

from django.db import models

from integrations.models import SyncRun


class SupportConsole(models.Model):
    """Carries the console's two permissions; no table (Django attaches permissions to a model).

    The Support group (migration 0002) holds both; superusers hold every permission.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_console", "Can see everything in the support console"),
            ("run_actions", "Can run the support console's audited actions"),
        ]

    def __str__(self) -> str:
        return "Support console"


class HeldPlan(SyncRun):
    """Sync runs whose removals were held for review: the support console's list of them."""

    class Meta:
        proxy = True
        verbose_name = "held plan"
