"""Tenants. Every customer-owned row in Hearth belongs to exactly one Organization."""

from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    primary_domain = models.CharField(
        max_length=253,
        unique=True,
        help_text="The email domain the organization signed up with, e.g. acme.example.",
    )
    seats_purchased = models.PositiveIntegerField(
        default=25, help_text="Licenses the organization pays for. Editable by support only."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.primary_domain})"
