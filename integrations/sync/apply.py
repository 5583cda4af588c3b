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

import bisect
import contextlib
import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.db import DataError, IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from config.bulk import any_of, rows_insert
from licenses.services import seats_reconcile
from organizations.models import ConnectedDomain
from usermanagement import services as directory
from usermanagement.models import Group, GroupMembership, User
from usermanagement.selectors import admins_active

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
        count: int = 1,
    ) -> None:
        """One change row; `count` when the row stands for several changes of that kind."""
        self.counts[kind] += count
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
    # Google's new etag when it changed with nothing else Hearth keeps (a suspension does):
    # written with the status, so that a removal costs the person's row one write.
    etag: str | None = None


class SeenIds:
    """The Google ids a run's listings returned, in 8 bytes each (a million people: 8 MB).

    Ids are folded to 64-bit integers — Google's numeric ids by value, any other by a hash. Two
    ids folding alike would make a missing person look listed: the safe side (kept, not
    archived).

    The integers are spread over 256 arrays by their low byte, and an array is sorted only when
    a lookup needs it. Sorting one array of every id held them all as Python ints for a moment
    (40 bytes each, 17 MB at 300,000 people: the run's peak memory grew with the directory);
    one bucket at a time holds 1/256 of them."""

    BUCKETS = 256

    def __init__(self):
        self._buckets = [array("q") for _ in range(self.BUCKETS)]
        self._sorted = bytearray(self.BUCKETS)  # 1: that bucket is in order

    @staticmethod
    def _fold(google_id: str) -> int:
        if google_id.isascii() and google_id.isdigit():  # not "²": a digit int() refuses
            return int(google_id) % (1 << 63)
        digest = hashlib.blake2b(google_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 1

    def add_many(self, google_ids: Iterable[str]) -> None:
        buckets, fold, mask = self._buckets, self._fold, self.BUCKETS - 1
        for google_id in google_ids:
            value = fold(google_id)
            buckets[value & mask].append(value)  # the low byte: ids in sequence differ there
        self._sorted = bytearray(self.BUCKETS)  # re-sorting a bucket still in order is cheap

    def __contains__(self, google_id: str) -> bool:
        value = self._fold(google_id)
        bucket = value & (self.BUCKETS - 1)
        if not self._sorted[bucket]:
            self._buckets[bucket] = array("q", sorted(self._buckets[bucket]))
            self._sorted[bucket] = 1
        ids = self._buckets[bucket]
        position = bisect.bisect_left(ids, value)
        return position < len(ids) and ids[position] == value

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._buckets)


# The members phase's Google id -> pk map is emptied past this many people.
MEMBER_LOOKUP_KEPT = 50_000

LOCAL_COLUMNS = ("pk", "google_id", "google_etag", "google_state", "status", "email", "role")


def _local(row) -> LocalUser:
    pk, google_id, etag, state, status, email, role = row
    return LocalUser(pk, google_id, etag, state, status, email.lower(), role == User.Role.ADMIN)


@dataclass
class UserSync:
    """People of one run. It keeps no index of the organization in memory: each page looks up
    the people it names (by Google id, and by address where an address is new) in a few indexed
    queries, so memory stays flat however large the directory; only the Google ids the listings
    returned are kept (SeenIds), to find at the end who is no longer listed."""

    integration: Integration
    run: SyncRun
    recorder: ChangeRecorder
    dry_run: bool = False
    guard: Callable[[], None] = _no_guard
    seen: SeenIds = field(default_factory=SeenIds)
    removals_found: list[Removal] = field(default_factory=list)
    deferred: list[planning.UserStep] = field(default_factory=list)
    processed: int = 0
    # The customer's domains, as its people's addresses show them: primary addresses live on
    # the primary and secondary domains, aliases also on domain aliases.
    primary_domains: set[str] = field(default_factory=set)
    alias_domains: set[str] = field(default_factory=set)
    # A one-person run may conclude only about the person it was asked about.
    scope_ids: set[str] | None = None
    scope_emails: set[str] = field(default_factory=set)
    _missing: list[LocalUser] | None = None
    _active_people: int | None = None

    @property
    def organization(self):
        return self.integration.organization

    @contextlib.contextmanager
    def writing(self):
        """One write transaction of the run, behind the lease check."""
        with transaction.atomic():
            self.guard()
            yield

    # --- 1. lookups --------------------------------------------------------------------------
    def load(self, *, google_ids: Iterable[str] | None = None, emails: Iterable[str] = ()) -> None:
        """Restrict what the run may conclude about to some people (a one-person sync); a full
        run concludes about everyone its listings cover."""
        if google_ids is not None:
            self.scope_ids = set(google_ids)
            self.scope_emails = {email.lower() for email in emails}

    def _people(self):
        # unordered: the lookups read thousands of people by id, none of them in order
        return User.objects.filter(organization=self.organization).order_by()

    def _by_google_id(self, google_ids: list[str]) -> dict[str, LocalUser]:
        if not google_ids:
            return {}
        rows = self._people().filter(any_of("google_id", google_ids)).values_list(*LOCAL_COLUMNS)
        return {row[1]: _local(row) for row in rows}

    def _by_address(self, addresses: Iterable[str]) -> dict[str, LocalUser]:
        """The people (not archived) who hold these addresses now: owners, and the unbound
        accounts a first sync adopts (one query on the unique index of addresses)."""
        addresses = list(addresses)
        if not addresses:
            return {}
        rows = (
            self._people()
            .exclude(status=User.Status.ARCHIVED)
            .filter(any_of(Lower("email"), addresses))
            .values_list(*LOCAL_COLUMNS)
        )
        return {row[5].lower(): _local(row) for row in rows}

    @property
    def active_people(self) -> int:
        if self._active_people is None:
            self._active_people = self._people().filter(status=User.Status.ACTIVE).count()
        return self._active_people

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
        self.seen.add_many(r.google_id for r in remotes)
        bound = self._by_google_id([r.google_id for r in remotes])
        # Addresses that may be new to someone: asked once for the page (none on a steady run).
        holders = self._by_address(
            {
                r.email
                for r in remotes
                if r.google_id not in bound or bound[r.google_id].email != r.email
            }
        )
        need_fields = []
        for remote in remotes:
            local = bound.get(remote.google_id)
            holder = holders.get(remote.email)
            if local is not None and local.etag != remote.etag:
                need_fields.append(local.pk)
            elif local is None and holder is not None and holder.google_id is None:
                need_fields.append(holder.pk)
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
            local = bound.get(remote.google_id)
            holder = holders.get(remote.email)
            adoptable = None
            if local is not None and local.pk in fields_by_pk:
                local = replace(local, fields=fields_by_pk[local.pk])
            elif local is None and holder is not None and holder.google_id is None:
                adoptable = replace(holder, fields=fields_by_pk.get(holder.pk, {}))
            step = planning.user_step(remote, local, adoptable=adoptable)
            if step.writes:
                steps.append(step)
        self.processed += len(remotes)
        steps = self._set_aside_unusable(steps)
        if steps:
            self._apply(steps, holders=holders)

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
            .order_by()
            .exclude(status=User.Status.ARCHIVED)
            .annotate(email_lower=Lower("email"))
            .filter(any_of("email_lower", set(addresses.values())))
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

    def _apply(
        self,
        steps: list[planning.UserStep],
        *,
        holders: dict[str, LocalUser],
        deferred_phase: bool = False,
        moving: frozenset[int] = frozenset(),
    ) -> None:
        """Write the steps; a step whose new address someone else holds (or an earlier person
        of this very batch takes) waits for the end of the run (`deferred`). `moving`: people
        whose own addresses are about to change (swapped addresses)."""
        ready = []
        claimed: dict[str, str] = {}  # address -> Google id, within this batch
        for step in steps:
            address = self._new_address(step)
            holder = holders.get(address) if address is not None else None
            own_pk = step.local.pk if step.local is not None else None
            held_by_other = holder is not None and holder.pk != own_pk and holder.pk not in moving
            twin = address is not None and claimed.get(address, step.remote.google_id)
            if (held_by_other and not deferred_phase) or (twin and twin != step.remote.google_id):
                self.deferred.append(step)
                continue
            if held_by_other:  # deferred phase: still taken after the removals settled
                self._skip(
                    step,
                    f"{step.remote.email} is still used by another person (waiting for review); "
                    "retried on the next run.",
                )
                continue
            if address is not None:
                claimed[address] = step.remote.google_id
            if (
                step.transition is not None
                and step.kind != planning.CREATE
                and step.transition.kind in planning.REMOVAL_KINDS
            ):
                if step.kind in ("", planning.SIGN_IN):
                    # nothing but the state (and the etag) changed: all of it waits for the
                    # removals' judgement, and is written then in one go
                    self.removals_found.append(
                        Removal(step.local, step.transition, etag=step.remote.etag)
                    )
                    continue
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
                self._write(steps)
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
        return 0

    def _write(self, steps: list[planning.UserStep]) -> None:
        creates = [s for s in steps if s.kind == planning.CREATE]
        adopts = [s for s in steps if s.kind == planning.ADOPT]
        updates = [s for s in steps if s.kind == planning.UPDATE]
        sign_ins = [s for s in steps if s.kind == planning.SIGN_IN]
        transitions = [
            (step.local, step.transition)
            for step in steps
            if step.transition is not None
            and step.kind != planning.CREATE
            and step.transition.kind not in planning.REMOVAL_KINDS
        ]
        self._write_creates(creates)
        self._write_updates(adopts, Kind.ADOPT)
        self._write_updates(updates, Kind.UPDATE)
        self._write_sign_ins(sign_ins)
        self._write_transitions(transitions, reason="G Suite state changed")

    def _create_record(self, remote: RemoteUser) -> dict:
        status = planning.STATUS_FOR_STATE[remote.state]
        return {
            **remote.fields,
            "google_id": remote.google_id,
            "google_etag": remote.etag,
            "google_state": remote.state,
            "status": status,
        }

    def _write_creates(self, steps: list[planning.UserStep]) -> None:
        if not steps:
            return
        records = [self._create_record(step.remote) for step in steps]
        if self.dry_run:
            pks = [None] * len(steps)
        else:
            pks = directory.people_create_synced(organization=self.organization, records=records)
        for step, pk, record in zip(steps, pks, records, strict=True):
            self.recorder.add(
                Kind.CREATE,
                object_type="user",
                object_id=pk,
                google_id=step.remote.google_id,
                repr_=step.remote.email,
                diff=_with_notes({"status": (None, record["status"])}, step.remote.notes),
            )

    def _write_updates(self, steps: list[planning.UserStep], kind: str) -> None:
        if not steps:
            return
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

    def _write_sign_ins(self, steps: list[planning.UserStep]) -> None:
        """New etags and sign-in times, silently: one UPDATE for the page, nothing recorded."""
        if not steps or self.dry_run:
            return
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

    def _write_transitions(
        self,
        items: list[tuple[LocalUser, Transition]],
        *,
        reason: str,
        kept: set[int] = frozenset(),
        etags: dict[int, str] | None = None,
    ) -> None:
        """Status changes (and silent Google-state updates) of bound people."""
        if not items:
            return
        changes, silent = [], {}
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
            else:
                silent.setdefault(step.to_state, []).append(local.pk)
        if not self.dry_run:
            directory.people_status_change(
                organization=self.organization,
                changes=changes,
                acting_user=None,
                reason=reason,
                etags=etags,
            )
            for google_state, pks in silent.items():
                directory.people_google_state_set(pks=pks, google_state=google_state)

    # --- 3. after the complete listing -------------------------------------------------------
    def missing(self) -> list[LocalUser]:
        """Bound people the listings did not return (confirmed one by one, then archived):
        the organization's people streamed in chunks against the ids seen."""
        if self._missing is None:
            people = self._people().filter(
                google_id__isnull=False,
                google_state__in=[planning.ACTIVE, planning.SUSPENDED],
            )
            people = (
                people.values_list(*LOCAL_COLUMNS)
                if self.scope_ids is None
                else self._named(people, *LOCAL_COLUMNS)
            )
            rows = people.iterator(chunk_size=5000)
            self._missing = [_local(row) for row in rows if row[1] not in self.seen]
        return [local for local in self._missing if local.google_id not in self.seen]

    def _named(self, people, *columns: str):
        """The rows of `people` a scoped run was asked about (by Google id or address).

        Two indexed lookups, not one OR: PostgreSQL reads the whole organization for
        `google_id IN … OR lower(email) IN …` (80 ms at 100,000 people, on every one-person
        run). The address index leaves out archived people (their address may be someone
        else's now): an archived person is found by Google id."""
        by_id = people.filter(google_id__in=self.scope_ids).values_list(*columns)
        if not self.scope_emails:
            return by_id
        by_address = (
            people.exclude(status=User.Status.ARCHIVED)
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=self.scope_emails)
            .values_list(*columns)
        )
        return by_id.union(by_address)

    def removals(self) -> tuple[list[Removal], list[Removal]]:
        """(removals to judge, removals kept because they would remove the last Hearth admin)."""
        found = list(self.removals_found)
        for local, step in planning.missing_transitions(self.missing(), self.seen):
            found.append(Removal(local, step))
        removals = [r for r in found if r.transition.kind in planning.REMOVAL_KINDS]
        kept_pks = planning.last_admin_keep(
            [(r.local, r.transition) for r in removals],
            active_admins=admins_active(organization=self.organization).count(),
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
            self._write_transitions(
                [(r.local, r.transition) for r in kept],
                reason="kept",
                kept={r.local.pk for r in kept},
            )
            self.recorder.flush()

    def removals_apply(self, removals: list[Removal]) -> None:
        """Called inside the engine's removal transaction (integrations.sync.removals)."""
        self._write_transitions(
            [(r.local, r.transition) for r in removals],
            reason="Suspended, deleted or no longer listed in G Suite",
            etags={r.local.pk: r.etag for r in removals if r.etag},
        )

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
        """Deferred address changes, once the removals settled: the addresses may be free now
        (someone archived) or swapped between people of this run."""
        steps, self.deferred = self.deferred, []
        if not steps:
            return
        holders = self._by_address({step.remote.email for step in steps})
        moving = frozenset(step.local.pk for step in steps if step.local is not None)
        # Swapped addresses: the people whose address another person of this batch takes move
        # out of the way first (one UPDATE); each then gets their own new address below.
        to_move = {
            holder.pk
            for step in steps
            if (holder := holders.get(step.remote.email)) is not None
            and holder.pk in moving
            and (step.local is None or holder.pk != step.local.pk)
        }
        if to_move and not self.dry_run:
            with self.writing():
                directory.people_update_synced(
                    rows=[(pk, {"email": f"{pk}@{TEMP_EMAIL_DOMAIN}"}) for pk in sorted(to_move)],
                    fields=["email"],
                )
        self._apply(steps, holders=holders, deferred_phase=True, moving=moving)
        with self.writing():
            self.recorder.flush()

    def seats(self) -> None:
        """Seats follow the people just applied, in the same run and under its lock: one
        set-based pass (licenses.services.seats_reconcile), counted on the run — over the
        people it was asked about when the run was scoped."""
        if self.dry_run:
            return
        with self.writing():
            people = None
            if self.scope_ids is not None:
                # the people named, and those this run concluded about: someone named by
                # address and archived here holds that address no more
                people = {pk for (pk,) in self._named(self._people(), "pk")}
                people |= {local.pk for local in self._missing or ()}
                people |= {removal.local.pk for removal in self.removals_found}
            result = seats_reconcile(organization=self.organization, people=people)
        self.recorder.counts.update(result.counts())


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
    # Google id -> pk of the people the current batch of members names (looked up per batch:
    # no map of the whole organization in memory).
    user_pk_by_google_id: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    guard: Callable[[], None] = _no_guard
    # Google id -> (pk, etag, email, kept against Google?)
    local: dict[str, tuple[int, str, str, bool]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    member_removals: list[MembershipRemoval] = field(default_factory=list)
    # The organization's first sync: every group is new, so its members are recorded as one
    # change per group ("60 members added") instead of a row per membership — hundreds of
    # thousands of rows that tell support nothing a person's "created" does not.
    first_sync: bool = False

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

    def memberships_of(self, google_ids: Iterable[str]) -> list[MembershipRemoval]:
        """Every membership of these people (deleted in Google, which takes them out of all their
        groups), except those an admin kept in a review: a one-person run lists no group."""
        rows = (
            GroupMembership.objects.filter(
                organization=self.organization,
                member_type=GroupMembership.MemberType.USER,
                member_google_id__in=list(google_ids),
                kept_since__isnull=True,
            )
            .values_list("pk", "member_google_id", "role", "group__email")
            .order_by("pk")
        )
        return [
            MembershipRemoval(pk, RemoteMember(google_id, "user", "", role), group_email)
            for pk, google_id, role, group_email in rows
        ]

    # --- members -------------------------------------------------------------------------------
    def people_lookup(self, google_ids: Iterable[str]) -> None:
        """Know the pks of these Google ids (the people a batch of member lists names)."""
        if len(self.user_pk_by_google_id) > MEMBER_LOOKUP_KEPT:
            # keep memory flat: only the current batch matters — emptied before choosing what
            # to look up, or the people it knew would look unknown and lose their memberships
            self.user_pk_by_google_id = {}
        wanted = [gid for gid in set(google_ids) if gid not in self.user_pk_by_google_id]
        for start in range(0, len(wanted), 5000):
            self.user_pk_by_google_id.update(
                User.objects.filter(
                    any_of("google_id", wanted[start : start + 5000]),
                    organization=self.organization,
                )
                .order_by()
                .values_list("google_id", "pk")
            )

    def members_resources_batch(self, batch: list[tuple[str, list[dict]]]) -> None:
        """Complete member lists as Google sends them: the people they name are looked up
        (one query per batch), then the lists planned and applied (members_batch)."""
        self.people_lookup(
            str(resource.get("id", ""))
            for _gid, resources in batch
            for resource in resources
            if str(resource.get("type", "")).upper() == "USER"
        )
        self.members_batch(
            [
                (gid, [m for m in (self.to_member(r) for r in resources) if m is not None])
                for gid, resources in batch
            ]
        )

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
            if plan.add and self.first_sync:
                self.recorder.add(
                    Kind.MEMBER_ADD,
                    object_type="group",
                    object_id=group_pk,
                    google_id=gid,
                    repr_=f"{len(plan.add)} members of {group_email}",
                    diff={"members": (None, len(plan.add)), "direct": direct},
                    count=len(plan.add),
                )
            elif plan.add:
                for member in plan.add:
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
        self.people_lookup(m.member_google_id for _gid, members in batch for m in members)
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
