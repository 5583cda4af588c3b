"""Applying plans: pages of users as they arrive, groups and members, removals last.

Flow for people (`UserSync`):
1. `load` reads a compact local index in one query: Google id → (pk, etag, Google state,
   status, email, admin?) plus the emails in use and the unbound accounts that may be adopted.
2. `page` plans one page (planning.user_step) against the index — loading the full synced
   fields only of people whose etag changed, in one query — and applies creates, adoptions,
   updates and restorations at once through usermanagement.services (constant queries per
   page), recording SyncChange rows. Unchanged people cost nothing. Set aside before writing:
   an address Hearth cannot use, and an address an account of another organization holds
   (skipped with the reason, a SyncConflict row for support — never a failed run). A batch the
   database still refuses is retried person by person, so one bad record is skipped with its
   reason and the rest of the page goes on. Deactivations and archivals are only collected; so
   are changes whose new email is still held by someone the run has not processed yet (an
   address reused after a deletion, swapped addresses).
3. `removals` (only after every listing completed) adds the people Google no longer lists and
   sets the last Hearth admin apart; the engine judges them together with the groups' removals
   (integrations.sync.removals) and calls `removals_apply` or `removals_hold`. Then
   `deferred_apply` writes the deferred email changes and `seats` gives and releases seats.

Groups (`GroupSync`): groups by etag; direct members per group (a group's member list is
complete when its last page arrived): additions and role changes written at once, removals only
collected, as are the deletions of groups the complete listing did not return (`deletions`);
then inherited members through nested groups (planning.flatten) from the stored direct rows.
Groups and memberships an admin kept in a review (`kept_since`) are never proposed for removal
again until Google lists them once more.

Every write transaction starts with `guard()`, the run's lease check (integrations.sync.runs):
a run that lost its lock raises there and writes nothing more. In a dry run nothing is written:
the same decisions are only counted on the run.

The bulk writes of a first sync — a person per user, a GroupMembership row per member (both
through usermanagement.services) and a SyncChange row per change — are plain rows written by
config.bulk: PostgreSQL's COPY, `bulk_create` on other databases.
"""

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from config.bulk import rows_insert
from licenses.services import seats_reconcile
from organizations.models import ConnectedDomain
from usermanagement import services as directory
from usermanagement.models import Group, GroupMembership, User

from ..models import Integration, SyncChange, SyncConflict, SyncRun
from . import planning
from .planning import LocalMember, LocalUser, RemoteMember, RemoteUser, Transition

Kind = SyncChange.Kind
TEMP_EMAIL_DOMAIN = "sync-rename.invalid"
CHANGE_COLUMNS = (
    "run_id",
    "kind",
    "object_type",
    "object_id",
    "google_id",
    "object_repr",
    "diff",
    "applied",
)
# What an admin of the organization reads when a person of their G Suite could not be added
# because an account of another organization uses the address: nothing about that account.
CONFLICT_REASON = (
    "This address is used by an account outside your organization, so the person was not "
    "added. Hearth support has been told and will sort it out; nothing else is affected."
)


def _no_guard() -> None:
    """The default lease check: none (a run's guard is integrations.sync.runs.Lease.check)."""


class ChangeRecorder:
    """Buffers SyncChange rows (tuples) and counts per kind; `flush` writes them at once."""

    def __init__(self, run: SyncRun, *, dry_run: bool):
        self.run = run
        self.dry_run = dry_run
        self.counts: Counter = Counter()
        self.rows: list[tuple] = []

    def add(
        self,
        kind: str,
        *,
        object_type: str,
        object_id=None,
        google_id: str = "",
        repr_: str = "",
        diff: dict | None = None,
        applied: bool = True,
    ) -> None:
        self.counts[kind] += 1
        if self.dry_run:
            return
        self.rows.append(
            (
                self.run.pk,
                kind,
                object_type,
                "" if object_id is None else str(object_id),
                google_id,
                repr_[:300],
                # (old, new) tuples are stored as JSON arrays as they are; a first sync adds
                # one row per person and per membership, so no per-row conversion here
                dict(diff) if diff else {},
                applied,
            )
        )

    def flush(self) -> None:
        if self.rows:
            rows_insert(SyncChange, CHANGE_COLUMNS, self.rows)
            self.rows = []

    def mark(self) -> tuple[int, Counter]:
        return len(self.rows), Counter(self.counts)

    def rollback(self, mark: tuple[int, Counter]) -> None:
        """Forget what was recorded since `mark` (its transaction was rolled back)."""
        del self.rows[mark[0] :]
        self.counts = Counter(mark[1])


def _status_diff(local: LocalUser | None, step: Transition) -> dict:
    diff = {"google_state": (step.from_state, step.to_state)}
    if step.new_status is not None and local is not None:
        diff["status"] = (local.status, step.new_status)
    return diff


def _with_notes(diff: dict, notes: tuple[str, ...]) -> dict:
    return {**diff, "notes": list(notes)} if notes else diff


@dataclass
class Removal:
    local: LocalUser
    transition: Transition


@dataclass
class UserSync:
    integration: Integration
    run: SyncRun
    recorder: ChangeRecorder
    dry_run: bool = False
    guard: Callable[[], None] = _no_guard
    index: dict[str, LocalUser] = field(default_factory=dict)
    adoptable: dict[str, LocalUser] = field(default_factory=dict)
    email_owner: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    removals_found: list[Removal] = field(default_factory=list)
    deferred: list[planning.UserStep] = field(default_factory=list)
    processed: int = 0
    # The customer's domains, as its people's addresses show them: primary addresses live on
    # the primary and secondary domains, aliases also on domain aliases.
    primary_domains: set[str] = field(default_factory=set)
    alias_domains: set[str] = field(default_factory=set)

    @property
    def organization(self):
        return self.integration.organization

    @contextlib.contextmanager
    def writing(self):
        """One write transaction of the run, behind the lease check."""
        with transaction.atomic():
            self.guard()
            yield

    # --- 1. the index ------------------------------------------------------------------------
    def load(self, *, google_ids: Iterable[str] | None = None, emails: Iterable[str] = ()) -> None:
        """The local index; restricted to some ids/emails for a one-person sync."""
        people = User.objects.filter(organization=self.organization)
        if google_ids is not None:
            people = people.annotate(email_lower=Lower("email")).filter(
                Q(google_id__in=list(google_ids)) | Q(email_lower__in=[e.lower() for e in emails])
            )
        for pk, google_id, etag, state, status, email, role in people.values_list(
            "pk", "google_id", "google_etag", "google_state", "status", "email", "role"
        ).iterator(chunk_size=5000):
            local = LocalUser(
                pk, google_id, etag, state, status, email.lower(), role == User.Role.ADMIN
            )
            if google_id is not None:
                self.index[google_id] = local
            elif status != User.Status.ARCHIVED:
                self.adoptable[local.email] = local
            if status != User.Status.ARCHIVED:
                self.email_owner[local.email] = pk

    @property
    def active_people(self) -> int:
        return sum(1 for local in self.index.values() if local.status == User.Status.ACTIVE)

    # --- 2. pages ----------------------------------------------------------------------------
    def in_scope(self, remote: RemoteUser) -> bool:
        return planning.in_scope(
            remote.fields["org_unit_path"],
            included=self.integration.org_units_included,
            excluded=self.integration.org_units_excluded,
        )

    def page(self, remotes: list[RemoteUser]) -> None:
        """Plan and apply one page of remote users (active or deleted)."""
        for remote in remotes:
            self.primary_domains.add(remote.email.rpartition("@")[2])
            self.alias_domains.update(a.rpartition("@")[2] for a in remote.fields["aliases"])
        remotes = [r for r in remotes if r.state == planning.DELETED or self.in_scope(r)]
        self.seen.update(r.google_id for r in remotes)
        need_fields = []
        for remote in remotes:
            local = self.index.get(remote.google_id)
            if local is not None and local.etag != remote.etag:
                need_fields.append(local.pk)
            elif local is None and remote.email in self.adoptable:
                need_fields.append(self.adoptable[remote.email].pk)
        fields_by_pk = {}
        if need_fields:
            fields_by_pk = {
                row.pop("pk"): row
                for row in User.objects.filter(pk__in=need_fields).values(
                    "pk", *planning.USER_FIELDS
                )
            }
        steps = []
        for remote in remotes:
            local = self.index.get(remote.google_id)
            adoptable = None
            if local is not None and local.pk in fields_by_pk:
                local = replace(local, fields=fields_by_pk[local.pk])
            elif local is None and remote.email in self.adoptable:
                candidate = self.adoptable[remote.email]
                adoptable = replace(candidate, fields=fields_by_pk.get(candidate.pk, {}))
            step = planning.user_step(remote, local, adoptable=adoptable)
            if step.writes:
                steps.append(step)
        self.processed += len(remotes)
        steps = self._set_aside_unusable(steps)
        if steps:
            self._apply(steps)

    def _new_address(self, step: planning.UserStep) -> str | None:
        """The address a step gives someone in Hearth (None: it leaves the address as it is)."""
        if step.remote.state == planning.DELETED:
            return None
        if step.kind in (planning.CREATE, planning.ADOPT):
            return step.remote.email
        if step.kind == planning.UPDATE and "email" in step.diff:
            return step.remote.email
        return None

    def _set_aside_unusable(self, steps: list[planning.UserStep]) -> list[planning.UserStep]:
        """Skip, with the reason, people whose new address Hearth cannot use or another
        organization's account holds (one query per page, only for new addresses)."""
        addresses = {}
        for step in steps:
            address = self._new_address(step)
            if address is not None:
                addresses[id(step)] = address
        if not addresses:
            return steps
        taken_elsewhere = dict(
            User.objects.exclude(organization=self.organization)
            .exclude(status=User.Status.ARCHIVED)
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=set(addresses.values()))
            .values_list("email_lower", "pk")
        )
        usable = []
        conflicts = []
        for step in steps:
            address = addresses.get(id(step))
            problem = planning.email_problem(address) if address is not None else ""
            if problem:
                self._skip(step, problem)
            elif address is not None and address in taken_elsewhere:
                self._skip(step, CONFLICT_REASON)
                conflicts.append((step, taken_elsewhere[address]))
            else:
                usable.append(step)
        if conflicts and not self.dry_run:
            self._conflicts_record(conflicts)
        return usable

    def _skip(self, step: planning.UserStep, reason: str) -> None:
        self.recorder.add(
            Kind.SKIPPED,
            object_type="user",
            object_id=step.local.pk if step.local else None,
            google_id=step.remote.google_id,
            repr_=step.remote.email,
            diff={"reason": reason},
        )

    def _conflicts_record(self, conflicts: list[tuple[planning.UserStep, int]]) -> None:
        now = timezone.now()
        with self.writing():
            for step, other_pk in conflicts:
                SyncConflict.objects.update_or_create(
                    organization=self.organization,
                    google_id=step.remote.google_id,
                    defaults={
                        "email": step.remote.email,
                        "other_user_id": other_pk,
                        "last_seen_at": now,
                        "resolved_at": None,
                    },
                    create_defaults={
                        "email": step.remote.email,
                        "other_user_id": other_pk,
                        "last_seen_at": now,
                        "first_run": self.run,
                    },
                )

    def _email_blocked(self, step: planning.UserStep) -> bool:
        owner = self.email_owner.get(step.remote.email)
        own_pk = step.local.pk if step.local is not None else None
        return (
            owner is not None
            and owner != own_pk
            and step.kind in (planning.CREATE, planning.ADOPT, planning.UPDATE)
            and step.remote.state != planning.DELETED
        )

    def _apply(self, steps: list[planning.UserStep], *, deferred_phase: bool = False) -> None:
        ready = []
        claimed: dict[str, str] = {}  # address -> Google id, within this batch
        for step in steps:
            address = self._new_address(step)
            twin = address is not None and claimed.get(address, step.remote.google_id)
            if (not deferred_phase and self._email_blocked(step)) or (
                twin and twin != step.remote.google_id
            ):
                # someone else holds the address, or an earlier person of this very batch
                # takes it: retried once the run settled (and skipped if still taken)
                self.deferred.append(step)
                continue
            if address is not None:
                claimed[address] = step.remote.google_id
            if (
                step.transition is not None
                and step.kind != planning.CREATE
                and step.transition.kind in planning.REMOVAL_KINDS
            ):
                self.removals_found.append(Removal(step.local, step.transition))
            ready.append(step)
        self._write_steps(ready)

    def _write_steps(self, steps: list[planning.UserStep]) -> int:
        """Write steps in one transaction; if the database refuses the batch, write them one
        by one so that only the refused record is skipped (with the database's reason).
        Returns how many were skipped."""
        if not steps:
            return 0
        mark = self.recorder.mark()
        try:
            with self.writing():
                remember = self._write(steps)
                self.recorder.flush()
        except (IntegrityError, DataError) as exc:
            self.recorder.rollback(mark)
            if len(steps) == 1:
                self._skip(steps[0], f"Hearth could not save this record: {_db_reason(exc)}")
                with self.writing():
                    self.recorder.flush()
                return 1
            skipped = sum(self._write_steps([step]) for step in steps)
            if skipped == len(steps) >= 3:
                # Not one record is wrong: the database refuses them all — fail the run
                # rather than skip a whole page of people as if each were bad.
                raise
            return skipped
        # The in-memory index follows only what was committed.
        for update in remember:
            update()
        return 0

    def _write(self, steps: list[planning.UserStep]) -> list[Callable[[], None]]:
        creates = [s for s in steps if s.kind == planning.CREATE]
        adopts = [s for s in steps if s.kind == planning.ADOPT]
        updates = [s for s in steps if s.kind == planning.UPDATE]
        transitions = [
            (step.local, step.transition)
            for step in steps
            if step.transition is not None
            and step.kind != planning.CREATE
            and step.transition.kind not in planning.REMOVAL_KINDS
        ]
        sign_ins = [s for s in steps if s.kind == planning.SIGN_IN]
        remember = self._write_creates(creates)
        remember += self._write_updates(adopts, Kind.ADOPT)
        remember += self._write_updates(updates, Kind.UPDATE)
        remember += self._write_sign_ins(sign_ins)
        remember += self._write_transitions(transitions, reason="G Suite state changed")
        return remember

    def _create_record(self, remote: RemoteUser) -> dict:
        status = planning.STATUS_FOR_STATE[remote.state]
        return {
            **remote.fields,
            "google_id": remote.google_id,
            "google_etag": remote.etag,
            "google_state": remote.state,
            "status": status,
        }

    def _write_creates(self, steps: list[planning.UserStep]) -> list[Callable[[], None]]:
        if not steps:
            return []
        records = [self._create_record(step.remote) for step in steps]
        if self.dry_run:
            pks = [None] * len(steps)
        else:
            pks = directory.people_create_synced(organization=self.organization, records=records)
        remember = []
        for step, pk, record in zip(steps, pks, records, strict=True):
            self.recorder.add(
                Kind.CREATE,
                object_type="user",
                object_id=pk,
                google_id=step.remote.google_id,
                repr_=step.remote.email,
                diff=_with_notes({"status": (None, record["status"])}, step.remote.notes),
            )
            if pk is not None:
                remember.append(_bound(self._remember_create, step.remote, pk, record["status"]))
        return remember

    def _remember_create(self, remote: RemoteUser, pk: int, status: str) -> None:
        self.index[remote.google_id] = LocalUser(
            pk, remote.google_id, remote.etag, remote.state, status, remote.email
        )
        if status != User.Status.ARCHIVED:
            self.email_owner[remote.email] = pk

    def _write_updates(self, steps: list[planning.UserStep], kind: str) -> list[Callable]:
        if not steps:
            return []
        rows = []
        for step in steps:
            values = {**step.remote.fields, "google_etag": step.remote.etag}
            if kind == Kind.ADOPT:
                values["google_id"] = step.remote.google_id
            rows.append((step.local.pk, values))
        if not self.dry_run:
            directory.people_update_synced(rows=rows, fields=list(rows[0][1]))
        for step in steps:
            self.recorder.add(
                kind,
                object_type="user",
                object_id=step.local.pk,
                google_id=step.remote.google_id,
                repr_=step.remote.email,
                diff=_with_notes(dict(step.diff), step.remote.notes),
            )
        return [_bound(self._remember_update, step, kind) for step in steps]

    def _write_sign_ins(self, steps: list[planning.UserStep]) -> list[Callable]:
        """New etags and sign-in times, silently: one UPDATE for the page, nothing recorded."""
        if not steps:
            return []
        if not self.dry_run:
            directory.people_update_synced(
                rows=[
                    (
                        step.local.pk,
                        {
                            "google_etag": step.remote.etag,
                            "google_last_login_at": step.remote.fields["google_last_login_at"],
                        },
                    )
                    for step in steps
                ],
                fields=["google_etag", "google_last_login_at"],
            )
        return [
            _bound(self._remember_etag, step.local, step.remote.etag) for step in steps
        ]

    def _remember_etag(self, local: LocalUser, etag: str) -> None:
        self.index[local.google_id] = replace(local, etag=etag, fields=None)

    def _remember_update(self, step: planning.UserStep, kind: str) -> None:
        local = step.local
        if kind == Kind.ADOPT:
            self.adoptable.pop(local.email, None)
        if local.status != User.Status.ARCHIVED:
            if self.email_owner.get(local.email) == local.pk:
                del self.email_owner[local.email]
            self.email_owner[step.remote.email] = local.pk
        self.index[step.remote.google_id] = replace(
            local,
            google_id=step.remote.google_id,
            etag=step.remote.etag,
            email=step.remote.email,
            fields=None,
        )

    def _write_transitions(
        self,
        items: list[tuple[LocalUser, Transition]],
        *,
        reason: str,
        kept: set[int] = frozenset(),
    ) -> list[Callable[[], None]]:
        """Status changes (and silent Google-state updates) of bound people."""
        if not items:
            return []
        changes, silent, remember = [], {}, []
        for local, step in items:
            if step.kind and step.new_status is not None and local.pk not in kept:
                changes.append((local.pk, step.new_status, step.to_state))
                self.recorder.add(
                    step.kind,
                    object_type="user",
                    object_id=local.pk,
                    google_id=local.google_id or "",
                    repr_=local.email,
                    diff=_status_diff(local, step),
                )
                new_status = step.new_status
            else:
                silent.setdefault(step.to_state, []).append(local.pk)
                new_status = local.status
            remember.append(_bound(self._index_state, local, step.to_state, new_status))
        if not self.dry_run:
            directory.people_status_change(
                organization=self.organization, changes=changes, acting_user=None, reason=reason
            )
            for google_state, pks in silent.items():
                directory.people_google_state_set(pks=pks, google_state=google_state)
        return remember

    def _index_state(self, local: LocalUser, google_state: str, status: str) -> None:
        if local.google_id in self.index:
            self.index[local.google_id] = replace(
                self.index[local.google_id], google_state=google_state, status=status
            )
        if status == User.Status.ARCHIVED and self.email_owner.get(local.email) == local.pk:
            del self.email_owner[local.email]

    # --- 3. after the complete listing -------------------------------------------------------
    def missing(self) -> list[LocalUser]:
        """Bound people the listings did not return (confirmed one by one, then archived)."""
        return [
            local for local, _step in planning.missing_transitions(self.index.values(), self.seen)
        ]

    def removals(self) -> tuple[list[Removal], list[Removal]]:
        """(removals to judge, removals kept because they would remove the last Hearth admin)."""
        found = list(self.removals_found)
        for local, step in planning.missing_transitions(self.index.values(), self.seen):
            found.append(Removal(local, step))
        removals = [r for r in found if r.transition.kind in planning.REMOVAL_KINDS]
        active_admins = sum(
            1 for local in self.index.values() if local.is_admin and local.status == "active"
        ) + sum(
            1 for local in self.adoptable.values() if local.is_admin and local.status == "active"
        )
        kept_pks = planning.last_admin_keep(
            [(r.local, r.transition) for r in removals],
            active_admins=active_admins,
            prefer_pk=self.integration.sync_account_id,
        )
        return (
            [r for r in removals if r.local.pk not in kept_pks],
            [r for r in removals if r.local.pk in kept_pks],
        )

    def kept_record(self, kept: list[Removal]) -> None:
        """The last Hearth admin stays active; Google's state is remembered (not re-proposed)."""
        if not kept:
            return
        with self.writing():
            for removal in kept:
                self.recorder.add(
                    Kind.KEPT,
                    object_type="user",
                    object_id=removal.local.pk,
                    google_id=removal.local.google_id or "",
                    repr_=removal.local.email,
                    diff={
                        "reason": "The last Hearth admin is never deactivated by a sync.",
                        "google_state": [
                            removal.transition.from_state,
                            removal.transition.to_state,
                        ],
                    },
                )
            remember = self._write_transitions(
                [(r.local, r.transition) for r in kept],
                reason="kept",
                kept={r.local.pk for r in kept},
            )
            self.recorder.flush()
        for update in remember:
            update()

    def removals_apply(self, removals: list[Removal]) -> None:
        """Called inside the engine's removal transaction (integrations.sync.removals)."""
        remember = self._write_transitions(
            [(r.local, r.transition) for r in removals],
            reason="Suspended, deleted or no longer listed in G Suite",
        )
        for update in remember:
            update()

    def removals_hold(self, removals: list[Removal]) -> list[dict]:
        """Record the removals as waiting for review (nothing changes); their held entries."""
        for removal in removals:
            self.recorder.add(
                removal.transition.kind,
                object_type="user",
                object_id=removal.local.pk,
                google_id=removal.local.google_id or "",
                repr_=removal.local.email,
                diff=_status_diff(removal.local, removal.transition),
                applied=False,
            )
        return [
            {
                "type": "user",
                "pk": r.local.pk,
                "kind": r.transition.kind,
                "state": r.transition.to_state,
            }
            for r in removals
        ]

    def deferred_apply(self) -> None:
        """Deferred email changes, once the removals settled: the addresses may be free now."""
        steps, self.deferred = self.deferred, []
        if not steps:
            return
        ready, blocked = [], []
        ids = {step.local.pk for step in steps if step.local is not None}
        for step in steps:
            owner = self.email_owner.get(step.remote.email)
            if owner is None or owner in ids or (step.local and owner == step.local.pk):
                ready.append(step)
            else:
                blocked.append(step)
        renamed = [s for s in ready if s.local is not None]
        if renamed and not self.dry_run:
            # Swapped addresses: move the renamed people out of the way first, in one UPDATE.
            with self.writing():
                directory.people_update_synced(
                    rows=[
                        (s.local.pk, {"email": f"{s.local.pk}@{TEMP_EMAIL_DOMAIN}"})
                        for s in renamed
                    ],
                    fields=["email"],
                )
            for step in renamed:
                if self.email_owner.get(step.local.email) == step.local.pk:
                    del self.email_owner[step.local.email]
        self._apply(ready, deferred_phase=True)
        for step in blocked:
            self._skip(
                step,
                f"{step.remote.email} is still used by another person (waiting for review); "
                "retried on the next run.",
            )
        with self.writing():
            self.recorder.flush()

    def seats(self) -> None:
        """Seats follow the people just applied, in the same run and under its lock: one
        set-based pass (licenses.services.seats_reconcile), counted on the run."""
        if self.dry_run:
            return
        with self.writing():
            result = seats_reconcile(organization=self.organization)
        self.recorder.counts.update(result.counts())


def _bound(function: Callable, *args) -> Callable[[], None]:
    return lambda: function(*args)


# The database rules a synced record can break, in words an admin reads.
RULES = {
    "user_email_unique_unless_archived": "another person in Hearth already uses this address.",
    "user_google_id_unique_per_organization": "this G Suite person is already in Hearth.",
}


def _db_reason(exc: Exception) -> str:
    """The database's refusal in a line, without the SQL or the values."""
    cause = getattr(exc, "__cause__", None) or exc
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return RULES.get(diag.constraint_name, f"it breaks the rule {diag.constraint_name}.")
    text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return text[:200]


# --- groups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRemoval:
    pk: int
    google_id: str
    email: str


@dataclass(frozen=True)
class MembershipRemoval:
    pk: int
    member: RemoteMember
    group_email: str


@dataclass
class GroupSync:
    integration: Integration
    run: SyncRun
    recorder: ChangeRecorder
    user_pk_by_google_id: dict[str, int]
    dry_run: bool = False
    guard: Callable[[], None] = _no_guard
    # Google id -> (pk, etag, email, kept against Google?)
    local: dict[str, tuple[int, str, str, bool]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    email_by_id: dict[str, str] = field(default_factory=dict)
    member_removals: list[MembershipRemoval] = field(default_factory=list)

    @property
    def organization(self):
        return self.integration.organization

    @contextlib.contextmanager
    def writing(self):
        with transaction.atomic():
            self.guard()
            yield

    def load(self) -> None:
        for pk, google_id, etag, email, kept_since in Group.objects.filter(
            organization=self.organization
        ).values_list("pk", "google_id", "etag", "email", "kept_since"):
            self.local[google_id] = (pk, etag, email, kept_since is not None)

    def page(self, remotes: list[planning.RemoteGroup]) -> None:
        creates, updates, back = [], [], []
        for remote in remotes:
            self.seen.add(remote.google_id)
            self.email_by_id[remote.google_id] = remote.fields["email"]
            existing = self.local.get(remote.google_id)
            if existing is None:
                creates.append(remote)
                continue
            if existing[3]:
                back.append(existing[0])  # kept after a rejected deletion, and listed again
            if existing[1] != remote.etag:
                updates.append((existing, remote))
        if not creates and not updates and not back:
            return
        diffs = {}
        if updates:
            old = {
                row["pk"]: row
                for row in Group.objects.filter(pk__in=[e[0] for e, _ in updates]).values(
                    "pk", *planning.GROUP_FIELDS
                )
            }
            diffs = {
                existing[0]: planning.field_diff(
                    old[existing[0]], remote.fields, planning.GROUP_FIELDS
                )
                for existing, remote in updates
            }
        with self.writing():
            records = [{"google_id": r.google_id, "etag": r.etag, **r.fields} for r in creates]
            created = (
                [None] * len(creates)
                if self.dry_run
                else directory.groups_create_synced(organization=self.organization, records=records)
            )
            for remote, group in zip(creates, created, strict=True):
                pk = group.pk if group is not None else None
                self.local[remote.google_id] = (pk, remote.etag, remote.fields["email"], False)
                self.recorder.add(
                    Kind.GROUP_CREATE,
                    object_type="group",
                    object_id=pk,
                    google_id=remote.google_id,
                    repr_=remote.fields["email"],
                    diff=_with_notes(
                        {name: (None, value) for name, value in remote.fields.items()},
                        remote.notes,
                    ),
                )
            if not self.dry_run:
                directory.groups_update_synced(
                    rows=[(e[0], {"etag": r.etag, **r.fields}) for e, r in updates]
                )
                directory.groups_kept_set(pks=back, kept=False)
            for existing, remote in updates:
                self.local[remote.google_id] = (
                    existing[0],
                    remote.etag,
                    remote.fields["email"],
                    False,
                )
                self.recorder.add(
                    Kind.GROUP_UPDATE,
                    object_type="group",
                    object_id=existing[0],
                    google_id=remote.google_id,
                    repr_=remote.fields["email"],
                    diff=_with_notes(diffs[existing[0]], remote.notes),
                )
            self.recorder.flush()

    def deletions(self, *, only: Iterable[str] | None = None) -> list[GroupRemoval]:
        """Groups the complete listing did not return (or, for one group, `only` those ids),
        except those an admin kept in a review."""
        candidates = self.local.keys() if only is None else [g for g in only if g in self.local]
        return [
            GroupRemoval(self.local[gid][0], gid, self.local[gid][2])
            for gid in candidates
            if gid not in self.seen and not self.local[gid][3] and self.local[gid][0] is not None
        ]

    def removals_apply(
        self, groups: list[GroupRemoval], memberships: list[MembershipRemoval]
    ) -> None:
        """Called inside the engine's removal transaction (integrations.sync.removals)."""
        self._removals_record(groups, memberships, applied=True)
        if not self.dry_run:
            directory.groups_delete_synced(pks=[g.pk for g in groups])
            gone = {g.pk for g in groups}
            directory.memberships_apply(
                organization=self.organization,
                add=[],
                update=[],
                remove=[m.pk for m in memberships if m.pk not in gone],
            )
        for group in groups:
            self.local.pop(group.google_id, None)

    def removals_hold(
        self, groups: list[GroupRemoval], memberships: list[MembershipRemoval]
    ) -> list[dict]:
        self._removals_record(groups, memberships, applied=False)
        return [{"type": "group", "pk": g.pk} for g in groups] + [
            {"type": "membership", "pk": m.pk} for m in memberships
        ]

    def _removals_record(
        self, groups: list[GroupRemoval], memberships: list[MembershipRemoval], *, applied: bool
    ) -> None:
        for group in groups:
            self.recorder.add(
                Kind.GROUP_DELETE,
                object_type="group",
                object_id=group.pk,
                google_id=group.google_id,
                repr_=group.email,
                applied=applied,
            )
        for removal in memberships:
            self._record_member(
                Kind.MEMBER_REMOVE,
                removal.member,
                removal.group_email,
                {"role": (removal.member.role, None)},
                object_id=removal.pk,
                applied=applied,
            )

    # --- members -------------------------------------------------------------------------------
    def to_member(self, resource: dict) -> RemoteMember | None:
        return planning.remote_member(
            resource,
            user_known=self.user_pk_by_google_id.__contains__,
            domains=self.domains,
        )

    # The customer's domains the run saw on its people (engine), besides the claimed ones.
    domains_seen: set[str] = field(default_factory=set)

    @cached_property
    def domains(self) -> set[str]:
        """The organization's own domains — primary, secondary and domain aliases — so that a
        member on any of them is never treated as external."""
        domains = {self.organization.primary_domain.lower(), *self.domains_seen}
        if self.integration.domain:
            domains.add(self.integration.domain.lower())
        domains.update(
            ConnectedDomain.objects.filter(organization=self.organization).values_list(
                "domain", flat=True
            )
        )
        return domains

    def members_batch(self, batch: list[tuple[str, list[RemoteMember]]], *, direct=True) -> None:
        """Plan the members of several groups (complete lists) in constant queries: additions
        and role changes are written at once, removals collected for the judgement."""
        group_pks = {gid: self.local[gid][0] for gid, _ in batch if gid in self.local}
        if not group_pks:
            return
        local_rows: dict[int, dict[str, tuple[int, LocalMember, bool]]] = {}
        for pk, group_id, member_id, member_type, role, is_direct, kept_since in (
            GroupMembership.objects.filter(
                group_id__in=[pk for pk in group_pks.values() if pk is not None]
            ).values_list(
                "pk", "group_id", "member_google_id", "member_type", "role", "direct", "kept_since"
            )
        ):
            local_rows.setdefault(group_id, {})[member_id] = (
                pk,
                LocalMember(member_id, member_type, role, is_direct),
                kept_since is not None,
            )
        add, update, back = [], [], []
        for gid, members in batch:
            group_pk = group_pks.get(gid)
            if gid not in group_pks:
                continue
            rows = local_rows.get(group_pk, {})
            wanted = {member.member_google_id for member in members}
            back += [row[0] for key, row in rows.items() if row[2] and key in wanted]
            plan = planning.members_step(
                members, {key: value[1] for key, value in rows.items()}, direct=direct
            )
            group_email = self.local[gid][2]
            for member in plan.add:
                add.append(self._member_values(group_pk, member, direct))
                self._record_member(
                    Kind.MEMBER_ADD, member, group_email, {"role": (None, member.role)}
                )
            for existing, member in plan.update:
                update.append(
                    (
                        rows[existing.member_google_id][0],
                        self._member_values(group_pk, member, direct),
                    )
                )
                self._record_member(
                    Kind.MEMBER_UPDATE,
                    member,
                    group_email,
                    {"role": (existing.role, member.role), "direct": (existing.direct, direct)},
                )
            for existing in plan.remove:
                pk, _local, kept = rows[existing.member_google_id]
                if kept:
                    continue  # an admin kept it in a review
                member = RemoteMember(
                    existing.member_google_id, existing.member_type, "", existing.role
                )
                self.member_removals.append(MembershipRemoval(pk, member, group_email))
        if not (add or update or back):
            return
        with self.writing():
            if not self.dry_run:
                directory.memberships_apply(
                    organization=self.organization, add=add, update=update, remove=[]
                )
                directory.memberships_kept_set(pks=back, kept=False)
            self.recorder.flush()

    def _member_values(self, group_pk: int, member: RemoteMember, direct: bool) -> dict:
        nested = self.local.get(member.member_google_id) if member.member_type == "group" else None
        # attnames (ids), not model instances: no Model.__init__ per row
        return {
            "group_id": group_pk,
            "member_type": member.member_type,
            "member_google_id": member.member_google_id,
            "member_email": member.email,
            "user_id": self.user_pk_by_google_id[member.member_google_id]
            if member.member_type == "user"
            else None,
            "member_group_id": nested[0] if nested and nested[0] else None,
            "role": member.role,
            "direct": direct,
        }

    def _record_member(
        self,
        kind: str,
        member: RemoteMember,
        group_email: str,
        diff: dict,
        *,
        object_id=None,
        applied: bool = True,
    ) -> None:
        email = member.email or member.member_google_id
        self.recorder.add(
            kind,
            object_type="membership",
            object_id=object_id,
            google_id=member.member_google_id,
            repr_=f"{email} in {group_email}",
            diff=diff,
            applied=applied,
        )

    def inherited(self) -> None:
        """Flatten nested groups from the stored direct rows; drop inherited rows if disabled.

        Derived from direct memberships already judged and applied, so written at once."""
        rows = GroupMembership.objects.filter(organization=self.organization).values_list(
            "group__google_id", "member_google_id", "member_type", "member_email", "role", "direct"
        )
        nested_parents = set()
        direct: dict[str, list[RemoteMember]] = {}
        # Only groups involved in nesting matter; a first pass finds them cheaply.
        for group_gid, member_gid, *_ in rows.filter(member_type="group", direct=True):
            nested_parents.add(group_gid)
            nested_parents.add(member_gid)
        has_inherited = set(
            rows.filter(direct=False).values_list("group__google_id", flat=True).distinct()
        )
        involved = nested_parents | has_inherited
        if not involved:
            return
        for group_gid, member_gid, member_type, email, role, _direct in rows.filter(
            group__google_id__in=involved, direct=True
        ):
            direct.setdefault(group_gid, []).append(
                RemoteMember(member_gid, member_type, email, role)
            )
        flattened = planning.flatten(direct) if self.integration.flatten_nested_groups else {}
        batch = [(gid, flattened.get(gid, [])) for gid in sorted(involved) if gid in self.local]
        before = len(self.member_removals)
        self.members_batch(batch, direct=False)
        removals = self.member_removals[before:]
        del self.member_removals[before:]
        if removals:
            with self.writing():
                self._removals_record([], removals, applied=True)
                if not self.dry_run:
                    directory.memberships_apply(
                        organization=self.organization,
                        add=[],
                        update=[],
                        remove=[m.pk for m in removals],
                    )
                self.recorder.flush()
