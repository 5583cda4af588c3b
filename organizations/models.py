"""Tenants. Every customer-owned row in Hearth belongs to exactly one Organization.

`ConnectedDomain` records which email domains an organization owns because its Google
Workspace was connected for them (the Workspace's primary domain, its secondary domains and its
domain aliases): Google verified that the customer controls them, so no other organization may
invite or sign up addresses there. A name is held by at most one organization (unique), which
is what keeps one organization's sync from meeting another's people.
"""

from django.db import models
from django.db.models.functions import Lower


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


class ConnectedDomain(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary domain"
        SECONDARY = "secondary", "Secondary domain"
        ALIAS = "alias", "Domain alias"

    # Stored lower-cased without a trailing dot (organizations.selectors.domain_normalize), so
    # that the plain unique index is the whole rule: one owner per name.
    domain = models.CharField(max_length=253, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="connected_domains"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    claimed_at = models.DateTimeField()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="connected_domain_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return self.domain
