"""The support console's actions: every change support may make, each through the service the
product itself uses, with `acting_user`, each recorded in the audit log.

An action returns an `Outcome` — done or refused, one sentence for the console, the run it
started if any — and records one `support.<name>` AuditEvent: who (acting_user), when, what
(the action and its inputs), which organization, and the result ("done" or "refused", with the
sentence). A refusal is recorded too: support tried, and this is what it was told. The services
record their own events as well (`person.deactivated`, `sync.plan_approved`, ...); the support
row says that it was done from the console and how it ended. A change and its support row
commit together.

- `sync_start`: a full sync queued now (or a dry run: the plan's counts, nothing written).
- `people_resync`: each listed person synced now through the one-person path (the help
  article's "send us the email addresses of the affected users").
- `plan_approve` / `plan_reject`: a held plan decided through integrations.sync.review.
- `integration_reset`: a stuck organization freed — only when its lock's lease has expired.
- `sync_account_change`: a waiting request sent to someone else, or the rights checked with
  another sync account (the finalize check).
- `email_resend`: a failed email sent again, exactly as it was rendered, as a new log entry.
- `person_deactivate` / `person_restore`: through usermanagement.services (deactivation ends
  every session), never the last admin who can sign in; seats follow.

Renewing push channels is real-time sync's service and joins this list with it.
"""

from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from access.roles import admins_who_can_sign_in
from audit.services import audit_record
from integrations.errors import IntegrationError, IntegrationStateError
from integrations.models import Integration, SyncChange, SyncLock, SyncRun
from integrations.realtime import channels as realtime_channels
from integrations.services import integration_change_sync_account, integration_finalize
from integrations.sync.review import sync_plan_approve, sync_plan_reject
from integrations.sync.runs import sync_lock_reset, sync_run_person_now
from integrations.tasks import QUEUED_STALE_AFTER, sync_enqueue
from licenses.services import seats_reconcile
from notifications.models import EmailLog
from notifications.tasks import email_deliver
from organizations.models import Organization
from usermanagement.models import User
from usermanagement.rules import last_admin_kept
from usermanagement.services import people_status_change

# People re-synced by one action: each is a Google call and a run, done while support waits.
RESYNC_LIMIT = 50
# People deactivated or restored by one action (each is audited and listed in the message).
PEOPLE_LIMIT = 100


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    runs: list[SyncRun] = field(default_factory=list)


def _record(
    name: str,
    *,
    organization: Organization | None,
    acting_user: User,
    target,
    outcome: Outcome,
    **details,
) -> Outcome:
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=f"support.{name}",
        target=target,
        details={
            "result": "done" if outcome.ok else "refused",
            "message": outcome.message,
            **details,
        },
    )
    return outcome


def _refuse(name: str, message: str, **kwargs) -> Outcome:
    return _record(name, outcome=Outcome(ok=False, message=message), **kwargs)


def _integration(organization: Organization) -> Integration | None:
    return Integration.objects.filter(organization=organization).first()


_STATE_WORDS = {
    Integration.State.NOT_STARTED: "not connected",
    Integration.State.WAITING_FOR_ADMIN: "waiting for a G Suite admin",
    Integration.State.INSTALLING: "being installed",
    Integration.State.ACTIVE: "active",
    Integration.State.ERROR: "in error",
    Integration.State.DISCONNECTED: "disconnected",
}


def _state(integration: Integration | None) -> str:
    # Completes "G Suite sync is ..."
    return _STATE_WORDS[integration.state if integration else Integration.State.NOT_STARTED]


def counts_text(counts: dict) -> str:
    """A run's counts in words: "Updated 1, seat_release 1" — or "no change"."""
    labels = dict(SyncChange.Kind.choices)
    parts = [f"{labels.get(kind, kind.replace('_', ' '))} {n}" for kind, n in counts.items() if n]
    return ", ".join(parts) or "no change"


# --- syncs -------------------------------------------------------------------------------------


def sync_start(*, organization: Organization, acting_user: User, dry_run: bool = False) -> Outcome:
    """Queue a full sync of the organization now (a dry run only counts what it would change)."""
    name = "dry_run_started" if dry_run else "sync_started"
    what = "dry run" if dry_run else "full sync"
    integration = _integration(organization)
    audit = {"organization": organization, "acting_user": acting_user}
    if integration is None or not integration.is_syncing or integration.sync_account_id is None:
        account = "" if integration is None or integration.sync_account_id else ", no sync account"
        return _refuse(
            name,
            f"{organization.name}: G Suite sync is {_state(integration)}{account}, so there is "
            "nothing to sync. The customer connects it from the Integrations tab.",
            target=organization,
            **audit,
        )
    running = SyncLock.objects.filter(
        organization=organization, expires_at__gte=timezone.now()
    ).exclude(holder="")
    if running.exists():
        return _refuse(
            name,
            f"{organization.name}: a sync is running right now; a {what} started now would be "
            "skipped. Wait for it to finish (or reset the integration if it is stuck).",
            target=organization,
            **audit,
        )
    with transaction.atomic():
        run = sync_enqueue(
            organization=organization,
            trigger=SyncRun.Trigger.SUPPORT,
            requested_by=acting_user,
            mode=SyncRun.Mode.DRY_RUN if dry_run else SyncRun.Mode.FULL,
        )
        outcome = Outcome(
            ok=True, message=f"{organization.name}: {what} #{run.pk} queued.", runs=[run]
        )
        return _record(name, target=run, outcome=outcome, run=run.pk, **audit)


def people_resync(*, organization: Organization, keys: list[str], acting_user: User) -> Outcome:
    """Sync these people (emails or Google ids) now, one run each, through the one-person path:
    someone missing from Hearth is created, a changed one updated, one Google no longer has is
    removed (judged like any removal)."""
    keys = list(dict.fromkeys(key.strip().lower() for key in keys if key.strip()))
    audit = {"organization": organization, "acting_user": acting_user, "target": organization}
    integration = _integration(organization)
    if not keys:
        return _refuse("people_resynced", "No email address given.", **audit)
    if len(keys) > RESYNC_LIMIT:
        return _refuse(
            "people_resynced",
            f"{len(keys)} people given; at most {RESYNC_LIMIT} at a time (or run a full sync).",
            people=keys[:RESYNC_LIMIT],
            **audit,
        )
    if integration is None or not integration.is_syncing:
        return _refuse(
            "people_resynced",
            f"{organization.name}: G Suite sync is {_state(integration)}: nobody can be synced.",
            people=keys,
            **audit,
        )
    runs, results, lines = [], {}, []
    for key in keys:
        run = sync_run_person_now(
            organization=organization,
            user_key=key,
            trigger=SyncRun.Trigger.SUPPORT,
            requested_by=acting_user,
        )
        runs.append(run)
        results[key] = {"run": run.pk, "status": run.status, "counts": run.counts}
        if run.status == SyncRun.Status.SUCCEEDED:
            lines.append(f"{key}: {counts_text(run.counts)} (run #{run.pk})")
        elif run.status == SyncRun.Status.FAILED:
            lines.append(f"{key}: failed — {run.error_message} (run #{run.pk})")
        else:
            lines.append(f"{key}: {run.get_status_display().lower()} — {run.note} (run #{run.pk})")
    ok = all(run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.HELD) for run in runs)
    outcome = Outcome(
        ok=ok,
        message=f"{organization.name}, re-synced from Google: " + "; ".join(lines),
        runs=runs,
    )
    return _record("people_resynced", outcome=outcome, people=results, **audit)


def plan_approve(*, run: SyncRun, acting_user: User) -> Outcome:
    """Apply a held plan's removals (integrations.sync.review re-checks each one)."""
    return _plan_decide(run=run, acting_user=acting_user, approve=True)


def plan_reject(*, run: SyncRun, acting_user: User) -> Outcome:
    """Drop a held plan's removals: nobody is removed, and they are not proposed again."""
    return _plan_decide(run=run, acting_user=acting_user, approve=False)


def _plan_decide(*, run: SyncRun, acting_user: User, approve: bool) -> Outcome:
    name = "plan_approved" if approve else "plan_rejected"
    audit = {"organization": run.organization, "acting_user": acting_user, "target": run}
    try:
        with transaction.atomic():
            if approve:
                removed = sync_plan_approve(run=run, acting_user=acting_user)
                message = f"Held plan of sync #{run.pk} approved: {removed} people removed."
            else:
                sync_plan_reject(run=run, acting_user=acting_user)
                message = f"Held plan of sync #{run.pk} rejected: nobody was removed."
            return _record(name, outcome=Outcome(ok=True, message=message), **audit)
    except IntegrationStateError as error:
        return _refuse(name, f"Sync #{run.pk}: {error}", **audit)


def integration_reset(*, organization: Organization, acting_user: User) -> Outcome:
    """Free a stuck organization: release the lock and close the runs left behind — only when
    the lock's lease has expired (never while a live worker renews it)."""
    audit = {"organization": organization, "acting_user": acting_user}
    target = _integration(organization) or organization
    try:
        with transaction.atomic():
            closed = sync_lock_reset(
                organization=organization, queued_before=timezone.now() - QUEUED_STALE_AFTER
            )
            if closed:
                runs = ", ".join(f"#{pk}" for pk in closed)
                message = (
                    f"{organization.name}: sync reset; closed the runs left behind ({runs}). "
                    "The next scheduled run (or a full sync now) does their work."
                )
            else:
                message = f"{organization.name}: nothing was stuck; the sync lock is free."
            outcome = Outcome(ok=True, message=message)
            return _record(
                "integration_reset", target=target, outcome=outcome, runs=closed, **audit
            )
    except IntegrationStateError as error:
        return _refuse("integration_reset", f"{organization.name}: {error}", target=target, **audit)


def push_channels_renew(*, organization: Organization, acting_user: User) -> Outcome:
    """Replace every push channel of the organization now (new ones first, the old ones
    stopped after): when Google's notifications stopped arriving and support will not wait
    for the automatic renewal."""
    audit = {"organization": organization, "acting_user": acting_user}
    integration = _integration(organization)
    target = integration or organization
    if integration is None or not integration.is_syncing:
        return _refuse(
            "push_channels_renewed",
            f"{organization.name}: G Suite sync is {_state(integration)}; there are no push "
            "channels to renew.",
            target=target,
            **audit,
        )
    try:
        opened = realtime_channels.push_channels_renew(
            organization=organization, acting_user=acting_user
        )
    except IntegrationError as error:
        return _refuse(
            "push_channels_renewed",
            f"{organization.name}: Google refused: {error.headline}",
            target=target,
            **audit,
        )
    if opened == 0:
        return _refuse(
            "push_channels_renewed",
            f"{organization.name}: no channel could be opened (push needs an HTTPS SITE_URL "
            "Google can reach, and Google must accept the watch calls; see the worker's log). "
            "The activity feed keeps the organization current meanwhile.",
            target=target,
            **audit,
        )
    outcome = Outcome(
        ok=True,
        message=f"{organization.name}: {opened} push channels opened; the old ones stopped.",
    )
    return _record("push_channels_renewed", target=target, outcome=outcome, opened=opened, **audit)


def sync_account_change(*, organization: Organization, email: str, acting_user: User) -> Outcome:
    """Another sync account: while the integration waits for a G Suite admin, the request goes
    to this person instead (the old link stops working); otherwise Google is asked, with this
    person as subject, whether the rights are there (the finalize check) — and on success they
    are the sync account and a sync starts."""
    audit = {"organization": organization, "acting_user": acting_user}
    integration = _integration(organization)
    target = integration or organization
    person = (
        User.objects.filter(organization=organization, email__iexact=email.strip())
        .exclude(status=User.Status.ARCHIVED)
        .first()
    )
    if person is None:
        return _refuse(
            "sync_account_changed",
            f"{email} is not a person of {organization.name}.",
            target=target,
            email=email,
            **audit,
        )
    previous = integration.sync_account.email if integration and integration.sync_account else ""
    details = {"email": person.email, "previous": previous}
    state = integration.state if integration else Integration.State.NOT_STARTED
    try:
        if state == Integration.State.WAITING_FOR_ADMIN:
            with transaction.atomic():
                integration = integration_change_sync_account(
                    organization=organization, colleague=person, acting_user=acting_user
                )
                message = (
                    f"{organization.name}: {person.email} is asked to finish the G Suite setup "
                    "(email sent); the previous link no longer works."
                )
                return _record(
                    "sync_account_changed",
                    target=integration,
                    outcome=Outcome(ok=True, message=message),
                    **details,
                    **audit,
                )
        if state in (
            Integration.State.INSTALLING,
            Integration.State.ACTIVE,
            Integration.State.ERROR,
        ):
            # In its own transactions, as in the wizard: a refusal is recorded on the
            # integration (its state and error), and a success enqueues the sync on commit.
            integration = integration_finalize(
                organization=organization, sync_account=person, acting_user=acting_user
            )
            message = (
                f"{organization.name}: Google confirmed the rights of {person.email}, now the "
                "sync account; a sync has started."
            )
            return _record(
                "sync_account_changed",
                target=integration,
                outcome=Outcome(ok=True, message=message),
                **details,
                **audit,
            )
        raise IntegrationStateError(
            f"G Suite sync is {_state(integration)}: the customer connects it from the "
            "Integrations tab."
        )
    except IntegrationStateError as error:
        message = f"{organization.name}: {error}"
    except IntegrationError as error:
        # The finalize check recorded Google's answer on the integration, as in the wizard.
        message = f"{organization.name}: {person.email}: {error.headline} {error.fix}"
    return _refuse("sync_account_changed", message, target=target, **details, **audit)


# --- emails ------------------------------------------------------------------------------------


def email_resend(*, email_log: EmailLog, acting_user: User) -> Outcome:
    """Send a failed email again, exactly as it was rendered, as a new log entry (the failed one
    stays, with its error, as the record of what happened)."""
    audit = {"organization": email_log.organization, "acting_user": acting_user}
    if email_log.status != EmailLog.Status.FAILED:
        return _refuse(
            "email_resent",
            f"Email #{email_log.pk} to {email_log.recipient} is "
            f"{email_log.get_status_display().lower()}: only failed emails are sent again.",
            target=email_log,
            **audit,
        )
    try:
        validate_email(email_log.recipient)
    except ValidationError:
        return _refuse(
            "email_resent",
            f"Email #{email_log.pk}: {email_log.recipient!r} is not an email address; sending "
            "again would fail the same way.",
            target=email_log,
            **audit,
        )
    with transaction.atomic():
        copy = EmailLog.objects.create(
            organization=email_log.organization,
            recipient=email_log.recipient,
            template=email_log.template,
            from_email=email_log.from_email,
            subject=email_log.subject,
            body_text=email_log.body_text,
            body_html=email_log.body_html,
        )
        transaction.on_commit(partial(email_deliver.delay, copy.pk))
        outcome = Outcome(
            ok=True,
            message=f"Email #{email_log.pk} to {email_log.recipient} queued again as #{copy.pk}.",
        )
        return _record("email_resent", target=copy, outcome=outcome, original=email_log.pk, **audit)


# --- people ------------------------------------------------------------------------------------


def person_deactivate(*, person: User, acting_user: User) -> Outcome:
    """Deactivate a person (they cannot sign in; every session ends; the seat follows the
    policy) — never the last Hearth admin who can sign in."""
    audit = {"organization": person.organization, "acting_user": acting_user, "target": person}
    if person.organization_id is None:
        return _refuse("person_deactivated", f"{person.email} is vendor staff.", **audit)
    with transaction.atomic():
        # The organization row lock serialises this with role changes (access.roles).
        organization = Organization.objects.select_for_update().get(pk=person.organization_id)
        person = User.objects.get(pk=person.pk)
        if person.status != User.Status.ACTIVE:
            return _refuse(
                "person_deactivated",
                f"{person.email} is already {person.get_status_display().lower()}.",
                **audit,
            )
        if person.role == User.Role.ADMIN:
            others = admins_who_can_sign_in(organization=organization).exclude(pk=person.pk)
            if last_admin_kept([person.pk], remaining=others.count()) is not None:
                return _refuse(
                    "person_deactivated",
                    f"{person.email} is the last Hearth admin of {organization.name} who can sign "
                    "in: an organization always keeps one.",
                    **audit,
                )
        people_status_change(
            organization=organization,
            changes=[(person, User.Status.DEACTIVATED, "")],
            acting_user=acting_user,
            reason="Deactivated by support",
        )
        seats_reconcile(organization=organization, acting_user=acting_user)
        outcome = Outcome(
            ok=True, message=f"{person.email} deactivated; every session of theirs has ended."
        )
        return _record("person_deactivated", outcome=outcome, **audit)


def person_restore(*, person: User, acting_user: User) -> Outcome:
    """Make a deactivated or archived person active again (a seat follows when one is free)."""
    audit = {"organization": person.organization, "acting_user": acting_user, "target": person}
    if person.organization_id is None:
        return _refuse("person_restored", f"{person.email} is vendor staff.", **audit)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=person.organization_id)
        person = User.objects.get(pk=person.pk)
        if person.status == User.Status.ACTIVE:
            return _refuse("person_restored", f"{person.email} is already active.", **audit)
        taken = (
            User.objects.exclude(status=User.Status.ARCHIVED)
            .filter(email__iexact=person.email)
            .exclude(pk=person.pk)
            .exists()
        )
        if taken:
            return _refuse(
                "person_restored",
                f"{person.email} is now the address of another account: it cannot be restored.",
                **audit,
            )
        people_status_change(
            organization=organization,
            changes=[(person, User.Status.ACTIVE, "")],
            acting_user=acting_user,
            reason="Restored by support",
        )
        seats_reconcile(organization=organization, acting_user=acting_user)
        outcome = Outcome(ok=True, message=f"{person.email} restored.")
        return _record("person_restored", outcome=outcome, **audit)
