"""The audit log: one immutable row per state change, written by services, read by support.

Rows are never updated or deleted by Hearth code: services append through
`audit.services.audit_record` / `audit_record_many`, and the support console shows them read-only.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEvent(models.Model):
    # Null for vendor-level events (e.g. support staff acting outside any tenant).
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # None means the system did it (the G Suite sync, a periodic task).
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A snapshot of who acted, so the row still says who it was if the user row goes away.
    acting_user_repr = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    # A generic target without GenericForeignKey: a model label ("usermanagement.user"), the
    # primary key as text (ints and UUIDs alike) and how it read at the time.
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    # DjangoJSONEncoder so details may carry datetimes, UUIDs and Decimals as they are.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="audit_org_created_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        actor = self.acting_user_repr or "system"
        return f"{self.action} by {actor}"
