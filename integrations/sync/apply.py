"""Applying plans: pages of users as they arrive, removals after a complete fetch, groups.

Flow for people (`UserSync`):
1. `load` reads a compact local index in one query: Google id → (pk, etag, Google state,
   status, email, admin?) plus the emails in use and the unbound accounts that may be adopted.
2. `page` plans one page (planning.user_step) against the index — loading the full synced
   fields only of people whose etag changed, in one query — and applies creates, adoptions,
   updates and restorations at once through usermanagement.directory (constant queries per
   page), recording SyncChange rows. Unchanged people cost nothing. Deactivations and
   archivals are only collected; so are changes whose new email is still held by someone the
   run has not processed yet (an address reused after a deletion, swapped addresses).
3. `finish` (only after every listing completed) adds the people Google no longer lists,
   keeps the last Hearth admin, and either applies the removals or — above the threshold —
   holds them for review (nothing removed). Then the deferred email changes are applied.

Groups (`GroupSync`): groups by etag, deletions after the complete groups listing, direct
members per group (a group's member list is complete when its last page arrived), then
inherited members through nested groups (planning.flatten) from the stored direct rows.

In a dry run nothing is written: the same decisions are only counted on the run.

The bulk writes of a first sync — a person per user, a GroupMembership row per member (both
through usermanagement.directory) and a SyncChange row per change — are plain rows written by
config.bulk: PostgreSQL's COPY (no model instance per row, no client-side quoting of every
value), `bulk_create` on other databases.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.db import transaction

from config.bulk import rows_insert
from licenses.services import seats_reconcile
from usermanagement import directory
from usermanagement.models import Group, GroupMembership, User

from ..models import Integration, SyncChange, SyncRun
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


def _status_diff(local: LocalUser | None, step: Transition) -> dict:
    diff = {"google_state": (step.from_state, step.to_state)}
    if step.new_status is not None and local is not None:
        diff["status"] = (local.status, step.new_status)
    return diff


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
    index: dict[str, LocalUser] = field(default_factory=dict)
    adoptable: dict[str, LocalUser] = field(default_factory=dict)
    email_owner: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    removals: list[Removal] = field(default_factory=list)
    deferred: list[planning.UserStep] = field(default_factory=list)
    processed: int = 0

    @property
    def organization(self):
        return self.integration.organization

    # --- 1. the index ------------------------------------------------------------------------
    def load(self, *, google_ids: Iterable[str] | None = None, emails: Iterable[str] = ()) -> None:
        """The local index; restricted to some ids/emails for a one-person sync."""
        people = User.objects.filter(organization=self.organization)
        if google_ids is not None:
            from django.db.models import Q
            from django.db.models.functions import Lower

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

    # --- 2. pages ----------------------------------------------------------------------------
    def in_scope(self, remote: RemoteUser) -> bool:
        return planning.in_scope(
            remote.fields["org_unit_path"],
            included=self.integration.org_units_included,
            excluded=self.integration.org_units_excluded,
        )

    def page(self, remotes: list[RemoteUser]) -> None:
        """Plan and apply one page of remote users (active or deleted)."""
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
        if steps:
            self._apply(steps)

    def _email_blocked(self, step: planning.UserStep) -> bool:
        owner = self.email_owner.get(step.remote.email)
        own_pk = step.local.pk if step.local is not None else None
        return (
            owner is not None
            and owner != own_pk
            and step.kind
            in (
                planning.CREATE,
                planning.ADOPT,
                planning.UPDATE,
            )
            and step.remote.state != planning.DELETED
        )

    def _apply(self, steps: list[planning.UserStep], *, deferred_phase: bool = False) -> None:
        creates, adopts, updates, now_transitions = [], [], [], []
        for step in steps:
            if not deferred_phase and self._email_blocked(step):
                self.deferred.append(step)
                continue
            if step.kind == planning.CREATE:
                creates.append(step)
            elif step.kind == planning.ADOPT:
                adopts.append(step)
            elif step.kind == planning.UPDATE:
                updates.append(step)
            if step.transition is not None and step.kind != planning.CREATE:
                local = step.local
                if step.transition.kind in planning.REMOVAL_KINDS:
                    self.removals.append(Removal(local, step.transition))
                else:
                    now_transitions.append((local, step.transition))
        with transaction.atomic():
            self._write_creates(creates)
            self._write_updates(adopts, updates)
            self._write_transitions(now_transitions, reason="G Suite state changed")
            self.recorder.flush()

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
                diff={"status": (None, record["status"])},
            )
            if pk is not None:
                self.index[step.remote.google_id] = LocalUser(
                    pk,
                    step.remote.google_id,
                    step.remote.etag,
                    step.remote.state,
                    record["status"],
                    step.remote.email,
                )
                if record["status"] != User.Status.ARCHIVED:
                    self.email_owner[step.remote.email] = pk

    def _write_updates(
        self, adopts: list[planning.UserStep], updates: list[planning.UserStep]
    ) -> None:
        for steps, kind in ((adopts, Kind.ADOPT), (updates, Kind.UPDATE)):
            if not steps:
                continue
            rows = []
            for step in steps:
                values = {**step.remote.fields, "google_etag": step.remote.etag}
                if kind == Kind.ADOPT:
                    values["google_id"] = step.remote.google_id
                rows.append((step.local.pk, values))
            if not self.dry_run:
                directory.people_update_synced(rows=rows, fields=list(rows[0][1]))
            for step in steps:
                local = step.local
                self.recorder.add(
                    kind,
                    object_type="user",
                    object_id=local.pk,
                    google_id=step.remote.google_id,
                    repr_=step.remote.email,
                    diff=step.diff,
                )
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
                new_status = step.new_status
            else:
                silent.setdefault(step.to_state, []).append(local.pk)
                new_status = local.status
            self._index_state(local, step.to_state, new_status)
        if self.dry_run:
            return
        directory.people_status_change(
            organization=self.organization, changes=changes, acting_user=None, reason=reason
        )
        for google_state, pks in silent.items():
            directory.people_google_state_set(pks=pks, google_state=google_state)

    def _index_state(self, local: LocalUser, google_state: str, status: str) -> None:
        if local.google_id in self.index:
            self.index[local.google_id] = replace(
                self.index[local.google_id], google_state=google_state, status=status
            )
        if status == User.Status.ARCHIVED and self.email_owner.get(local.email) == local.pk:
            del self.email_owner[local.email]

    # --- 3. after the complete listing -------------------------------------------------------
    def missing(self) -> list[LocalUser]:
        """Bound people the listings did not return (to be verified, then archived)."""
        return [
            local for local, _step in planning.missing_transitions(self.index.values(), self.seen)
        ]

    def finish(self, *, held_before: bool) -> tuple[bool, list[Removal]]:
        """Apply (or hold) the removals, then deferred email changes. Returns (held, removals)."""
        for local, step in planning.missing_transitions(self.index.values(), self.seen):
            self.removals.append(Removal(local, step))
        removals = [r for r in self.removals if r.transition.kind in planning.REMOVAL_KINDS]
        active_admins = sum(
            1 for local in self.index.values() if local.is_admin and local.status == "active"
        ) + sum(
            1 for local in self.adoptable.values() if local.is_admin and local.status == "active"
        )
        sync_account_pk = self.integration.sync_account_id
        kept = planning.last_admin_keep(
            [(r.local, r.transition) for r in removals],
            active_admins=active_admins,
            prefer_pk=sync_account_pk,
        )
        removable = [r for r in removals if r.local.pk not in kept]
        active_people = sum(1 for local in self.index.values() if local.status == "active")
        threshold = planning.removal_threshold(
            active_people=active_people, override=self.integration.deactivation_threshold
        )
        held = len(removable) > threshold
        with transaction.atomic():
            for removal in removals:
                if removal.local.pk in kept:
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
            if kept:
                kept_items = [(r.local, r.transition) for r in removals if r.local.pk in kept]
                self._write_transitions(kept_items, reason="kept", kept=kept)
            if held:
                for removal in removable:
                    self.recorder.add(
                        removal.transition.kind,
                        object_type="user",
                        object_id=removal.local.pk,
                        google_id=removal.local.google_id or "",
                        repr_=removal.local.email,
                        diff=_status_diff(removal.local, removal.transition),
                        applied=False,
                    )
                self.run.held_removals = [
                    [r.local.pk, r.transition.kind, r.transition.to_state] for r in removable
                ]
                self.run.note = (
                    f"{len(removable)} removals exceed the safety threshold of {threshold}; "
                    "held for review."
                )
            else:
                self._write_transitions(
                    [(r.local, r.transition) for r in removable],
                    reason="Suspended, deleted or no longer listed in G Suite",
                )
            self.recorder.flush()
        # Deferred email changes: the addresses may be free now.
        if self.deferred:
            self._apply_deferred()
        if not self.dry_run:
            # Seats follow the people just applied, in the same run and under its lock: one
            # set-based pass (licenses.services.seats_reconcile), counted on the run.
            self.recorder.counts.update(seats_reconcile(organization=self.organization).counts())
        return held, removable

    def _apply_deferred(self) -> None:
        steps, self.deferred = self.deferred, []
        ready, blocked = [], []
        ids = {step.local.pk for step in steps if step.local is not None}
        for step in steps:
            owner = self.email_owner.get(step.remote.email)
            if owner is None or owner in ids or (step.local and owner == step.local.pk):
                ready.append(step)
            else:
                blocked.append(step)
        with transaction.atomic():
            if not self.dry_run:
                # Swapped addresses: move the renamed people out of the way first, in one UPDATE.
                renamed = [s for s in ready if s.local is not None]
                if renamed:
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
                self.recorder.add(
                    Kind.SKIPPED,
                    object_type="user",
                    object_id=step.local.pk if step.local else None,
                    google_id=step.remote.google_id,
                    repr_=step.remote.email,
                    diff={
                        "reason": f"{step.remote.email} is still used by another person "
                        "(waiting for review); retried on the next run."
                    },
                )
            self.recorder.flush()


# --- held plans ----------------------------------------------------------------------------------


def held_apply(*, run: SyncRun, approve: bool, acting_user) -> int:
    """Apply (approve) or drop (reject) a held run's removals; returns how many were applied.

    Both re-check each person: only those still in the state the run saw are touched. Reject
    remembers Google's state without changing Hearth's status, so the same removals are not
    proposed again until Google changes.
    """
    organization = run.organization
    pks = [pk for pk, _kind, _state in run.held_removals]
    current = {
        p.pk: p
        for p in User.objects.filter(organization=organization, pk__in=pks).only(
            "pk", "status", "google_state", "role", "email"
        )
    }
    changes, silent = [], {}
    for pk, _kind, to_state in run.held_removals:
        person = current.get(pk)
        if person is None or person.google_state == to_state:
            continue
        if approve:
            changes.append((pk, planning.STATUS_FOR_STATE[to_state], to_state))
        else:
            silent.setdefault(to_state, []).append(pk)
    if approve:
        # Never the last admin, even on approval.
        admins_active = User.objects.filter(
            organization=organization, role=User.Role.ADMIN, status=User.Status.ACTIVE
        ).count()
        leaving = [
            c
            for c in changes
            if current[c[0]].role == User.Role.ADMIN and current[c[0]].status == "active"
        ]
        if leaving and admins_active - len(leaving) < 1:
            keep = leaving[0]
            changes.remove(keep)
            silent.setdefault(keep[2], []).append(keep[0])
        directory.people_status_change(
            organization=organization,
            changes=changes,
            acting_user=acting_user,
            reason=f"Held sync #{run.pk} approved",
        )
        applied = {pk for pk, _status, _state in changes}
        SyncChange.objects.filter(
            run=run, object_type="user", object_id__in=[str(pk) for pk in applied], applied=False
        ).update(applied=True)
        # Approved removals release seats (policy) and the line gets them.
        seats_reconcile(organization=organization, acting_user=acting_user)
    for google_state, group_pks in silent.items():
        directory.people_google_state_set(pks=group_pks, google_state=google_state)
    return len(changes)


# --- groups ---------------------------------------------------------------------------------


@dataclass
class GroupSync:
    integration: Integration
    run: SyncRun
    recorder: ChangeRecorder
    user_pk_by_google_id: dict[str, int]
    dry_run: bool = False
    local: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # gid -> pk, etag, email
    seen: set[str] = field(default_factory=set)
    email_by_id: dict[str, str] = field(default_factory=dict)

    @property
    def organization(self):
        return self.integration.organization

    def load(self) -> None:
        for pk, google_id, etag, email in Group.objects.filter(
            organization=self.organization
        ).values_list("pk", "google_id", "etag", "email"):
            self.local[google_id] = (pk, etag, email)

    def page(self, remotes: list[planning.RemoteGroup]) -> None:
        creates, updates = [], []
        for remote in remotes:
            self.seen.add(remote.google_id)
            self.email_by_id[remote.google_id] = remote.fields["email"]
            existing = self.local.get(remote.google_id)
            if existing is None:
                creates.append(remote)
            elif existing[1] != remote.etag:
                updates.append((existing, remote))
        if not creates and not updates:
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
        with transaction.atomic():
            records = [{"google_id": r.google_id, "etag": r.etag, **r.fields} for r in creates]
            created = (
                [None] * len(creates)
                if self.dry_run
                else directory.groups_create_synced(organization=self.organization, records=records)
            )
            for remote, group in zip(creates, created, strict=True):
                pk = group.pk if group is not None else None
                self.local[remote.google_id] = (pk, remote.etag, remote.fields["email"])
                self.recorder.add(
                    Kind.GROUP_CREATE,
                    object_type="group",
                    object_id=pk,
                    google_id=remote.google_id,
                    repr_=remote.fields["email"],
                    diff={name: (None, value) for name, value in remote.fields.items()},
                )
            if not self.dry_run:
                directory.groups_update_synced(
                    rows=[(e[0], {"etag": r.etag, **r.fields}) for e, r in updates]
                )
            for existing, remote in updates:
                self.local[remote.google_id] = (existing[0], remote.etag, remote.fields["email"])
                self.recorder.add(
                    Kind.GROUP_UPDATE,
                    object_type="group",
                    object_id=existing[0],
                    google_id=remote.google_id,
                    repr_=remote.fields["email"],
                    diff=diffs[existing[0]],
                )
            self.recorder.flush()

    def delete_missing(self) -> None:
        gone = [(gid, value) for gid, value in self.local.items() if gid not in self.seen]
        if not gone:
            return
        with transaction.atomic():
            if not self.dry_run:
                directory.groups_delete_synced(pks=[value[0] for _, value in gone])
            for gid, (pk, _etag, email) in gone:
                self.recorder.add(
                    Kind.GROUP_DELETE,
                    object_type="group",
                    object_id=pk,
                    google_id=gid,
                    repr_=email,
                )
                del self.local[gid]
            self.recorder.flush()

    # --- members -------------------------------------------------------------------------------
    def to_member(self, resource: dict) -> RemoteMember | None:
        return planning.remote_member(
            resource,
            user_known=self.user_pk_by_google_id.__contains__,
            domains=self.domains,
        )

    @cached_property
    def domains(self) -> set[str]:
        """The organization's own domains (a member outside them is external)."""
        domains = {self.organization.primary_domain.lower()}
        if self.integration.domain:
            domains.add(self.integration.domain.lower())
        return domains

    def members_batch(self, batch: list[tuple[str, list[RemoteMember]]], *, direct=True) -> None:
        """Plan and apply the members of several groups (complete lists) in constant queries."""
        group_pks = {gid: self.local[gid][0] for gid, _ in batch if gid in self.local}
        if not group_pks:
            return
        local_rows: dict[int, dict[str, tuple[int, LocalMember]]] = {}
        for pk, group_id, member_id, member_type, role, is_direct in GroupMembership.objects.filter(
            group_id__in=[pk for pk in group_pks.values() if pk is not None]
        ).values_list("pk", "group_id", "member_google_id", "member_type", "role", "direct"):
            local_rows.setdefault(group_id, {})[member_id] = (
                pk,
                LocalMember(member_id, member_type, role, is_direct),
            )
        add, update, remove = [], [], []
        for gid, members in batch:
            group_pk = group_pks.get(gid)
            if gid not in group_pks:
                continue
            rows = local_rows.get(group_pk, {})
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
                remove.append(rows[existing.member_google_id][0])
                self._record_member(
                    Kind.MEMBER_REMOVE,
                    RemoteMember(
                        existing.member_google_id, existing.member_type, "", existing.role
                    ),
                    group_email,
                    {"role": (existing.role, None)},
                )
        if not (add or update or remove):
            return
        with transaction.atomic():
            if not self.dry_run:
                directory.memberships_apply(
                    organization=self.organization, add=add, update=update, remove=remove
                )
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

    def _record_member(self, kind: str, member: RemoteMember, group_email: str, diff: dict) -> None:
        email = member.email or member.member_google_id
        self.recorder.add(
            kind,
            object_type="membership",
            google_id=member.member_google_id,
            repr_=f"{email} in {group_email}",
            diff=diff,
        )

    def inherited(self) -> None:
        """Flatten nested groups from the stored direct rows; drop inherited rows if disabled."""
        rows = GroupMembership.objects.filter(organization=self.organization).values_list(
            "group__google_id", "member_google_id", "member_type", "member_email", "role", "direct"
        )
        nested_parents = set()
        direct: dict[str, list[RemoteMember]] = {}
        has_inherited: set[str] = set()
        # Only groups involved in nesting matter; a first pass finds them cheaply.
        nested = rows.filter(member_type="group", direct=True)
        for group_gid, member_gid, *_ in nested:
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
        self.members_batch(batch, direct=False)
