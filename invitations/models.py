"""Invitations to become a Hearth admin of an organization.

A Hearth admin invites a colleague by email (Path B of the connect wizard sends such invitations
when the right G Suite admin is not a Hearth admin yet). The email carries a one-time link; only a
hash of its token is stored, so the table alone never lets anyone accept an invitation.
"""

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Hearth admin"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # sha256 of the token sent by email (hex).
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # A newer invitation to the same address replaces this one: only the latest link works.
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization.name}"
