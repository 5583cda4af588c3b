"""The email log: one row per recipient per email, holding exactly what was (or will be) sent.

Bodies are rendered when the email is requested and stored here, so the delivery task only reads
the row and support sees precisely what left (or failed to leave) Hearth.
"""

from django.db import models


class EmailLog(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # Null for vendor-level emails (e.g. the SMTP check sent by support).
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_logs",
    )
    # A CharField, not an EmailField: an invalid address is stored too, with the reason it failed.
    recipient = models.CharField(max_length=320, db_index=True)
    template = models.CharField(max_length=100)
    from_email = models.CharField(max_length=320)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="emaillog_org_created_idx"),
            models.Index(fields=["status", "created_at"], name="emaillog_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.recipient} ({self.status})"
