"""What a change of the sync scope would do, before it is saved (G Suite settings → scope).

Flow: list the domain's active users from Google once (the same listing the sync uses, through
integrations.google), decide for each whether the current and the proposed scope cover them,
and count who would enter (new people, or archived ones restored) and who would leave
(archived at the next sync). The license impact follows the auto-license policy: seats the
leaving people hold come free (at once or after the grace period), entering people eligible
for auto-assign take free seats in order and the rest wait in line.
"""

from dataclasses import dataclass, field

from licenses import selectors as seats
from licenses.models import PersonLicense
from licenses.services import auto_assign_eligible, license_policy_get
from usermanagement.models import User

from .google.client import google_client
from .models import Integration
from .sync import planning

EXAMPLES = 8


@dataclass
class ScopePreview:
    included: list[str]
    excluded: list[str]
    entering: int = 0
    leaving: int = 0
    staying: int = 0
    entering_examples: list[str] = field(default_factory=list)
    leaving_examples: list[str] = field(default_factory=list)
    seats_freed: int = 0
    release_after_days: int = 0
    would_get_seat: int = 0
    would_wait: int = 0
    auto_assign: bool = True

    @property
    def changes_anything(self) -> bool:
        return bool(self.entering or self.leaving)


def org_units_remote(*, integration: Integration) -> list[str]:
    """The domain's organizational unit paths, from Google (raises IntegrationError)."""
    client = google_client(subject=integration.sync_account.email)
    return sorted({"/", *(unit["orgUnitPath"] for unit in client.org_units())})


def scope_preview(
    *, integration: Integration, included: list[str], excluded: list[str]
) -> ScopePreview:
    """Raises IntegrationError when Google cannot be asked (shown to the admin)."""
    organization = integration.organization
    preview = ScopePreview(included=included, excluded=excluded)
    client = google_client(subject=integration.sync_account.email)
    entering, leaving = [], []
    for page in client.users_pages():
        for resource in page:
            remote = planning.remote_user(resource)
            if remote.state != planning.ACTIVE:
                continue
            path = remote.fields["org_unit_path"]
            before = planning.in_scope(
                path,
                included=integration.org_units_included,
                excluded=integration.org_units_excluded,
            )
            after = planning.in_scope(path, included=included, excluded=excluded)
            if after and not before:
                entering.append(remote)
            elif before and not after:
                leaving.append(remote)
            elif before and after:
                preview.staying += 1
    preview.entering, preview.leaving = len(entering), len(leaving)
    preview.entering_examples = [r.email for r in entering[:EXAMPLES]]
    preview.leaving_examples = [r.email for r in leaving[:EXAMPLES]]

    policy = license_policy_get(organization=organization)
    preview.auto_assign = policy.auto_assign
    preview.release_after_days = policy.release_after_days
    if leaving:
        preview.seats_freed = PersonLicense.objects.filter(
            organization=organization,
            state=PersonLicense.State.LICENSED,
            person__google_id__in=[r.google_id for r in leaving],
        ).count()
    # People already in Hearth (archived, coming back) keep their line; new ones are counted.
    known = set()
    if entering:
        known = set(
            User.objects.filter(
                organization=organization, google_id__in=[r.google_id for r in entering]
            ).values_list("google_id", flat=True)
        )
    eligible = sum(
        1
        for r in entering
        if r.google_id not in known
        and auto_assign_eligible(
            policy, google_id=r.google_id, org_unit_path=r.fields["org_unit_path"]
        )
    )
    usage = seats.seats_usage(organization=organization)
    free = usage.free + (preview.seats_freed if not policy.release_after_days else 0)
    waiting_ahead = usage.waiting
    available = max(free - waiting_ahead, 0)
    preview.would_get_seat = min(eligible, available)
    preview.would_wait = eligible - preview.would_get_seat
    return preview
