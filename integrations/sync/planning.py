"""The planner: Google's records + Hearth's local state → what to change. Pure; no I/O.

Flow of a full run (integrations/sync/engine.py drives it, apply.py writes):
1. Users arrive page by page. For each remote user, `user_step` compares it with the local
   index entry of the same Google id (or, first time only, an unbound local account with the
   same email — adoption) and returns a `UserStep`: create / adopt / update with field diffs,
   and a state `Transition` when Google's state moved (active, suspended, deleted). Unchanged
   etag and state → nothing (no write). Creates, updates and restorations are applied at once;
   deactivations and archivals are only *collected*.
2. After a complete listing (active users, then the deleted ones), `missing_transitions` turns
   every bound local person Google no longer lists (deleted or outside the scope) into an
   archival; `removal_threshold` decides whether the collected removals may be applied or are
   held for review.
3. Groups: `group_step` per remote group (etag), every local group not listed is deleted;
   memberships per group by `members_step` (direct members), then `flatten` derives inherited
   memberships through nested groups when the integration says so.

Identity rules (docs/sync.md, "Identity") live here: keyed on Google ids; adoption by email only
of an unbound, non-archived account; Google's state is remembered apart from Hearth's status, so
a decision not to follow it (last admin kept, held plan rejected) is not re-proposed each run.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from usermanagement.rules import last_admin_kept

# Google states, the same values as usermanagement.models.GoogleState (kept literal: pure code).
ACTIVE, SUSPENDED, DELETED, MISSING = "active", "suspended", "deleted", "missing"
# Hearth statuses (usermanagement.models.User.Status).
STATUS_ACTIVE, STATUS_DEACTIVATED, STATUS_ARCHIVED = "active", "deactivated", "archived"

STATUS_FOR_STATE = {
    ACTIVE: STATUS_ACTIVE,
    SUSPENDED: STATUS_DEACTIVATED,
    DELETED: STATUS_ARCHIVED,
    MISSING: STATUS_ARCHIVED,
}

# The fields the sync owns on a person (Hearth-only fields are never in this list).
USER_FIELDS = (
    "email",
    "aliases",
    "first_name",
    "last_name",
    "org_unit_path",
    "title",
    "department",
    "phone",
    "manager_email",
    "photo_url",
    "google_is_admin",
    "google_archived",
    "google_created_at",
    "google_last_login_at",
)
GROUP_FIELDS = ("email", "name", "description")

# Transition kinds (the SyncChange kinds of integrations.models).
CREATE, ADOPT, UPDATE = "create", "adopt", "update"
# An etag change that only moved the last sign-in: Google changes a person's etag and
# lastLoginTime on every sign-in. Not a change of the person — no SyncChange, nothing counted —
# only the etag and the sign-in time are refreshed (one UPDATE per page).
SIGN_IN = "sign_in"
SIGN_IN_FIELDS = frozenset({"google_last_login_at"})
DEACTIVATE, ARCHIVE, RESTORE = "deactivate", "archive", "restore"
REMOVAL_KINDS = frozenset({DEACTIVATE, ARCHIVE})


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteUser:
    google_id: str
    etag: str
    email: str
    state: str  # ACTIVE / SUSPENDED / DELETED
    fields: Mapping  # USER_FIELDS -> value
    # What intake had to change in Google's values (control characters, over-long text), in
    # words, recorded with the change so that nobody wonders where a character went.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalUser:
    """The compact index entry of a local person (one tuple's worth per person)."""

    pk: int
    google_id: str | None
    etag: str
    google_state: str  # "" when never synced
    status: str
    email: str  # lower-cased
    is_admin: bool = False  # Hearth admin
    fields: Mapping | None = None  # USER_FIELDS, loaded only when the etag differs


@dataclass(frozen=True)
class Transition:
    kind: str  # DEACTIVATE / ARCHIVE / RESTORE, or "" for a state that needs no status change
    from_state: str
    to_state: str
    new_status: str | None  # None: keep Hearth's status, only remember Google's state


@dataclass(frozen=True)
class UserStep:
    kind: str  # CREATE / ADOPT / UPDATE / "" (nothing but maybe a transition) / "ignore"
    remote: RemoteUser
    local: LocalUser | None = None
    diff: Mapping = field(default_factory=dict)  # field -> (old, new)
    transition: Transition | None = None

    @property
    def writes(self) -> bool:
        return self.kind in (CREATE, ADOPT, UPDATE, SIGN_IN) or self.transition is not None


# --- text from Google ---------------------------------------------------------------------------

# C0 controls (NUL, ESC, ...), DEL and C1 controls. Tab, CR and LF are handled apart: in a
# one-line field they become a space (a name with a line break must not break a header, a CSV
# row or an email subject); in a multi-line field they stay. Bidi controls (U+202A..U+202E,
# U+2066..U+2069) are not controls in this sense: they are kept and shown isolated.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\r\n|[\t\r\n]")


def clean_text(value, *, name: str, limit: int | None, notes: list[str], multiline=False) -> str:
    """Google's value as text Hearth can store and show safely, with a note for each change."""
    text = "" if value is None else str(value)
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text  # the common case, checked in C: nothing to clean, nothing to cut
    if multiline:
        cleaned = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    else:
        cleaned = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))
    if cleaned != text:
        notes.append(f"{name}: control characters removed")
    if limit is not None and len(cleaned) > limit:
        notes.append(f"{name}: cut to {limit:,} characters ({len(cleaned):,} received)")
        cleaned = cleaned[:limit]
    return cleaned


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_problem(email: str) -> str:
    """Why Google's address cannot be a Hearth sign-in ("" when it can)."""
    if not email:
        return "G Suite sent no primary address."
    if len(email) > 254 or not _EMAIL.match(email) or _CONTROLS.search(email):
        return "G Suite sent an address Hearth cannot use."
    return ""


def _parse_time(value) -> datetime | None:
    if not value or str(value).startswith("1970-01-01"):
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _primary(items, key="primary"):
    items = items or []
    for item in items:
        if item.get(key):
            return item
    return items[0] if items else {}


def remote_user(resource: Mapping, *, deleted: bool = False) -> RemoteUser:
    """A Directory API user resource → RemoteUser (the fields Hearth keeps), cleaned of control
    characters and cut to the columns' sizes, with a note for each such change."""
    name = resource.get("name") or {}
    organization = _primary(resource.get("organizations"))
    phone = _primary(resource.get("phones"))
    manager = next((r for r in resource.get("relations") or [] if r.get("type") == "manager"), {})
    email = str(resource.get("primaryEmail", "")).lower()
    notes: list[str] = []
    if deleted or resource.get("deletionTime"):
        state = DELETED
    elif resource.get("suspended"):
        state = SUSPENDED
    else:
        state = ACTIVE
    def text(key: str, value, limit: int | None) -> str:
        return clean_text(value, name=key, limit=limit, notes=notes)

    fields = {
        "email": email,
        # Aliases a person was given and those their domain aliases give them (Google lists
        # the latter as nonEditableAliases): all are addresses that reach them.
        "aliases": sorted(
            {
                text("aliases", alias, 254).lower()
                for alias in [
                    *(resource.get("aliases") or []),
                    *(resource.get("nonEditableAliases") or []),
                ]
            }
        ),
        "first_name": text("first_name", name.get("givenName"), 150),
        "last_name": text("last_name", name.get("familyName"), 150),
        "org_unit_path": text("org_unit_path", resource.get("orgUnitPath"), 500) or "/",
        # kept whole (text columns): a title is never cut short
        "title": text("title", organization.get("title"), None),
        "department": text("department", organization.get("department"), None),
        "phone": text("phone", phone.get("value"), 64),
        "manager_email": text("manager_email", manager.get("value"), 254).lower(),
        "photo_url": _photo_url(resource.get("thumbnailPhotoUrl"), notes),
        "google_is_admin": bool(resource.get("isAdmin")),
        "google_archived": bool(resource.get("archived")),
        "google_created_at": _parse_time(resource.get("creationTime")),
        "google_last_login_at": _parse_time(resource.get("lastLoginTime")),
    }
    return RemoteUser(
        google_id=str(resource["id"]),
        etag=str(resource.get("etag", ""))[:64],
        email=email,
        state=state,
        fields=fields,
        notes=tuple(notes),
    )


def _photo_url(value, notes: list[str]) -> str:
    """Only an http(s) address is kept: the photo is shown in pages as an image source."""
    url = clean_text(value, name="photo_url", limit=None, notes=notes)
    if not url:
        return ""
    if not url.lower().startswith(("https://", "http://")) or len(url) > 500:
        notes.append("photo_url: not a usable web address, left out")
        return ""
    return url


# --- scope -------------------------------------------------------------------------------------


def in_scope(org_unit_path: str, *, included: Iterable[str], excluded: Iterable[str]) -> bool:
    """Whole domain when nothing is included; an org unit covers its sub-units; excluded wins."""

    def covers(unit: str) -> bool:
        unit = "/" + unit.strip().strip("/")
        return unit == "/" or org_unit_path == unit or org_unit_path.startswith(unit + "/")

    included = list(included or [])
    if included and not any(covers(unit) for unit in included):
        return False
    return not any(covers(unit) for unit in excluded or [])


# --- users -------------------------------------------------------------------------------------


def transition(local_state: str, remote_state: str, *, local_status: str) -> Transition | None:
    """How Hearth follows Google's state change of one person (None: nothing to do)."""
    if local_state == remote_state:
        return None
    new_status = STATUS_FOR_STATE[remote_state]
    if remote_state == ACTIVE:
        if local_state == "":
            # First sync (adopted): Google says active; Hearth's own status stands.
            return Transition("", local_state, remote_state, None)
        return Transition(RESTORE, local_state, remote_state, new_status)
    if remote_state == SUSPENDED:
        if local_state in (DELETED, MISSING):
            return Transition(RESTORE, local_state, remote_state, new_status)
        if local_status != STATUS_ACTIVE:
            return Transition("", local_state, remote_state, None)
        return Transition(DEACTIVATE, local_state, remote_state, new_status)
    # DELETED or MISSING
    if local_status == STATUS_ARCHIVED:
        return Transition("", local_state, remote_state, None)
    return Transition(ARCHIVE, local_state, remote_state, new_status)


def field_diff(old: Mapping, new: Mapping, names: Iterable[str]) -> dict:
    return {
        name: (old.get(name), new.get(name)) for name in names if old.get(name) != new.get(name)
    }


def user_step(
    remote: RemoteUser, local: LocalUser | None, *, adoptable: LocalUser | None = None
) -> UserStep:
    """What to do about one remote user given its local entry (or an adoptable account)."""
    if local is None:
        if remote.state == DELETED:
            return UserStep("ignore", remote)  # never create people Google already deleted
        if adoptable is not None:
            diff = field_diff(adoptable.fields or {}, remote.fields, USER_FIELDS)
            step_transition = transition("", remote.state, local_status=adoptable.status)
            return UserStep(ADOPT, remote, adoptable, diff, step_transition)
        return UserStep(CREATE, remote, None, dict(remote.fields))
    step_transition = transition(local.google_state, remote.state, local_status=local.status)
    if local.etag == remote.etag:
        return UserStep("", remote, local, {}, step_transition)
    if local.fields is None:
        raise ValueError(f"Local fields of {local.pk} are needed: the etag changed.")
    diff = field_diff(local.fields, remote.fields, USER_FIELDS)
    if set(diff) <= SIGN_IN_FIELDS:
        # A sign-in (or an etag change with no field we keep): the etag and the sign-in time
        # are refreshed so that the person is skipped next time, and nothing is recorded.
        return UserStep(SIGN_IN, remote, local, diff, step_transition)
    return UserStep(UPDATE, remote, local, diff, step_transition)


def missing_transitions(
    index: Iterable[LocalUser], seen: set[str]
) -> list[tuple[LocalUser, Transition]]:
    """Bound local people a complete listing did not return: they leave (archived)."""
    result = []
    for local in index:
        if local.google_id is None or local.google_id in seen:
            continue
        if local.google_state in (DELETED, MISSING, ""):
            continue
        step_transition = transition(local.google_state, MISSING, local_status=local.status)
        if step_transition is not None:
            result.append((local, step_transition))
    return result


def removal_threshold(*, active_people: int, override: int | None = None) -> int:
    """Removals allowed without review: 20% of active people or 500, lower; never below 10."""
    if override is not None:
        return override
    return max(10, min(500, active_people * 20 // 100))


@dataclass(frozen=True)
class Removals:
    """Removals by kind: people (deactivated or archived), groups deleted, memberships removed."""

    people: int = 0
    groups: int = 0
    memberships: int = 0

    def __add__(self, other: "Removals") -> "Removals":
        return Removals(
            self.people + other.people,
            self.groups + other.groups,
            self.memberships + other.memberships,
        )

    def __bool__(self) -> bool:
        return bool(self.people or self.groups or self.memberships)


def removal_limits(
    *, active_people: int, groups: int, memberships: int, people_override: int | None = None
) -> Removals:
    """How many removals of each kind a rolling day may apply without review.

    People: the organization's setting, else 20% of active people or 500 (lower), never below
    10. Groups: the same rule over the groups. Memberships move more in a normal day (people
    change teams), so their rule is 20% of memberships or 5,000, never below 50: what it stops
    is a listing that lost a large part of the directory.
    """
    return Removals(
        people=removal_threshold(active_people=active_people, override=people_override),
        groups=max(10, min(500, groups * 20 // 100)),
        memberships=max(50, min(5000, memberships * 20 // 100)),
    )


REMOVAL_LABELS = {"people": "people", "groups": "groups", "memberships": "group memberships"}


def removals_over(*, proposed: Removals, recent: Removals, limits: Removals) -> list[str]:
    """The kinds whose removals — this run's plus those the sync applied in the last 24 hours —
    exceed their limit. Any kind over it holds the whole plan for review."""
    over = []
    for kind in ("people", "groups", "memberships"):
        planned = getattr(proposed, kind)
        if planned and getattr(recent, kind) + planned > getattr(limits, kind):
            over.append(kind)
    return over


def last_admin_keep(
    removals: list[tuple[LocalUser, Transition]], *, active_admins: int, prefer_pk: int | None
) -> set[int]:
    """pks of admins a removal set must keep so that one active Hearth admin remains (the rule
    is usermanagement.rules.last_admin_kept; the sync account is the one kept, if it leaves)."""
    leaving = [
        local.pk
        for local, step in removals
        if local.is_admin and local.status == STATUS_ACTIVE and step.kind in REMOVAL_KINDS
    ]
    kept = last_admin_kept(leaving, remaining=active_admins - len(leaving), prefer=prefer_pk)
    return set() if kept is None else {kept}


# --- groups ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteGroup:
    google_id: str
    etag: str
    fields: Mapping  # GROUP_FIELDS
    notes: tuple[str, ...] = ()


def remote_group(resource: Mapping) -> RemoteGroup:
    notes: list[str] = []
    email = clean_text(resource.get("email"), name="email", limit=254, notes=notes).lower()
    return RemoteGroup(
        google_id=str(resource["id"]),
        etag=str(resource.get("etag", ""))[:64],
        fields={
            "email": email,
            "name": clean_text(resource.get("name"), name="name", limit=300, notes=notes),
            "description": clean_text(
                resource.get("description"),
                name="description",
                limit=4096,
                notes=notes,
                multiline=True,
            ),
        },
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class RemoteMember:
    member_google_id: str
    member_type: str  # "user" / "group" / "external"
    email: str
    role: str  # owner / manager / member


MEMBER_TYPES = {"USER": "user", "GROUP": "group"}


def remote_member(resource: Mapping, *, user_known, domains: Iterable[str]) -> RemoteMember | None:
    """A member resource → RemoteMember, or None for what Hearth does not keep.

    `user_known(google_id)` says whether the person is in Hearth. A USER member Hearth does not
    know is external when its address is outside the organization's domains (recorded, never
    created as a person); inside them it is out of scope and skipped. CUSTOMER members (the
    whole domain) are skipped.
    """
    kind = MEMBER_TYPES.get(str(resource.get("type", "")).upper())
    if kind is None:
        return None
    member_id = str(resource.get("id", ""))[:64]
    email = clean_text(resource.get("email"), name="email", limit=254, notes=[]).lower()
    role = str(resource.get("role", "MEMBER")).lower()
    if kind == "user" and not user_known(member_id):
        domain = email.rsplit("@", 1)[-1]
        if not email or domain in domains:
            return None
        kind = "external"
    return RemoteMember(member_id, kind, email, role if role in ("owner", "manager") else "member")


@dataclass(frozen=True)
class LocalMember:
    member_google_id: str
    member_type: str
    role: str
    direct: bool


@dataclass
class MembersPlan:
    add: list[RemoteMember] = field(default_factory=list)
    update: list[tuple[LocalMember, RemoteMember]] = field(default_factory=list)
    remove: list[LocalMember] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.update or self.remove)


def members_step(
    remote: Iterable[RemoteMember], local: Mapping[str, LocalMember], *, direct: bool = True
) -> MembersPlan:
    """Direct (or, with direct=False, inherited) members of one group: add / role / remove.

    Only local rows of the same directness are compared: a person who is both a direct and an
    inherited member keeps one row, the direct one.
    """
    plan = MembersPlan()
    wanted: dict[str, RemoteMember] = {}
    for member in remote:
        wanted.setdefault(member.member_google_id, member)
    for key, member in wanted.items():
        existing = local.get(key)
        if existing is None:
            plan.add.append(member)
        elif existing.direct != direct:
            if direct:  # an inherited row becomes direct
                plan.update.append((existing, member))
        elif existing.role != member.role or existing.member_type != member.member_type:
            plan.update.append((existing, member))
    for key, existing in local.items():
        if existing.direct == direct and key not in wanted:
            plan.remove.append(existing)
    return plan


def flatten(direct: Mapping[str, Iterable[RemoteMember]]) -> dict[str, list[RemoteMember]]:
    """Per group, the people reached only through nested groups (each once, role member).

    `direct` maps a group's Google id to its direct members. Cycles (allowed by Google) end
    the walk; a person who is a direct member is not repeated as inherited.
    """
    result: dict[str, list[RemoteMember]] = {}
    for group_id, members in direct.items():
        members = list(members)
        direct_ids = {m.member_google_id for m in members if m.member_type != "group"}
        seen_groups = {group_id}
        frontier = [m.member_google_id for m in members if m.member_type == "group"]
        inherited: dict[str, RemoteMember] = {}
        while frontier:
            next_frontier = []
            for nested_id in frontier:
                if nested_id in seen_groups:
                    continue
                seen_groups.add(nested_id)
                for member in direct.get(nested_id, ()):
                    if member.member_type == "group":
                        next_frontier.append(member.member_google_id)
                    elif member.member_type == "user" and member.member_google_id not in direct_ids:
                        inherited.setdefault(
                            member.member_google_id,
                            RemoteMember(member.member_google_id, "user", member.email, "member"),
                        )
            frontier = next_frontier
        if inherited:
            result[group_id] = list(inherited.values())
    return result
