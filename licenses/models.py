"""Seats: who holds one of the organization's purchased licenses, who waits for one, and how.

`PersonLicense` is one row per person (created by `licenses.services.seats_reconcile` the first
time it sees the person). A person is *licensed* (holds a seat) or *unlicensed*; an unlicensed
person with `waiting_since` set stands in the waiting line, ordered by (waiting_since, person
id) — the order people arrived. `unassigned_by_admin` remembers that an admin took the seat
away on purpose, so the waiting line does not hand it straight back.

`LicensePolicy` holds the organization's settings (auto-assign, which org units, release delay).
`SeatAlert` makes the 90% / exhausted emails go once per crossing: a row is created when usage
crosses the level and cleared (`cleared_at`) when it drops below; at most one open row per kind.

Every write goes through licenses.services.
"""

from django.conf import settings
from django.db import models


class LicensePolicy(models.Model):
    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="license_policy"
    )
    auto_assign = models.BooleanField(
        default=True, help_text="Give newly synced people a seat while seats remain."
    )
    # Empty = everyone; paths like "/Sales" include their sub-units.
    auto_assign_org_units = models.JSONField(default=list, blank=True)
    # 0 = a deactivated or archived person's seat is released at once.
    release_after_days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "license policies"

    def __str__(self) -> str:
        return f"License policy of {self.organization_id}"


class PersonLicense(models.Model):
    class State(models.TextChoices):
        LICENSED = "licensed", "Licensed"
        UNLICENSED = "unlicensed", "Unlicensed"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="license"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNLICENSED)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # Set while the person waits for a seat: their place in the line.
    waiting_since = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # A licensed person first seen deactivated/archived (the grace period counts from here).
    inactive_since = models.DateTimeField(null=True, blank=True)
    unassigned_by_admin = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "state"], name="license_org_state_idx"),
            models.Index(
                fields=["organization", "waiting_since", "person"],
                condition=models.Q(waiting_since__isnull=False),
                name="license_waiting_line_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} seat of person {self.person_id}"

    @property
    def is_licensed(self) -> bool:
        return self.state == self.State.LICENSED

    @property
    def is_waiting(self) -> bool:
        return self.state == self.State.UNLICENSED and self.waiting_since is not None


class SeatAlert(models.Model):
    class Kind(models.TextChoices):
        NINETY_PERCENT = "90_percent", "90% of seats used"
        EXHAUSTED = "exhausted", "No seats left"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    used = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    # Empty when the crossing was implied by a bigger one (exhausted covers 90%).
    emailed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(cleared_at__isnull=True),
                name="seat_alert_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.used}/{self.total})"
