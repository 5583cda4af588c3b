"""The sync in words a customer reads: what a run was, why it failed, what it changed and why.

Loaded as `{% load sync_words %}` by the panel's pages about syncs (the G Suite card, G Suite
settings, the sync history, a run's page, a person's history, the held-plan review). Support
reads the raw record in the support console; these pages never show a library's text, a field
name or an ISO timestamp:

- `run_label`: what kind of run — "Dry run", "Sync All Users", "Full sync", "Incremental sync" —
  and `run_origin` who or what started it;
- `run_problem`: a failed run's headline and fix from the typed error taxonomy
  (integrations.errors), never the recorded exception text;
- `change_title`, `change_reason`, `change_rows`: a SyncChange as a title ("Archived", or
  "Archival rejected — kept" when it never happened), the reason ("Deleted in G Suite") and its
  field changes with labels and values in words (times in the current time zone, which the
  panel's layout sets to the organization's).
"""

from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from integrations.errors import IntegrationError, error_class_for
from integrations.models import SyncChange, SyncRun
from usermanagement.models import GoogleState, GroupMembership, User
from usermanagement.rules import name_for_display

from .panel_extras import change_label

register = template.Library()

Kind = SyncChange.Kind


@register.filter
def isolate(value) -> str:
    """A name as pages show it: without bidi controls, isolated (<bdi>) so that a right-to-left
    name cannot reorder the text around it."""
    return format_html("<bdi>{}</bdi>", name_for_display(str(value if value is not None else "")))


# --- runs ---------------------------------------------------------------------------------------

MODE_LABELS = {
    SyncRun.Mode.DRY_RUN: "Dry run",
    SyncRun.Mode.FULL: "Full sync",
    SyncRun.Mode.INCREMENTAL: "Incremental sync",
}


@register.filter
def run_label(run: SyncRun) -> str:
    """What kind of run it was: a dry run is always said to be one (it changed nothing)."""
    if run.mode == SyncRun.Mode.DRY_RUN:
        return "Dry run"
    if run.trigger == SyncRun.Trigger.SYNC_ALL:
        return "Sync All Users"
    if run.trigger == SyncRun.Trigger.WIZARD:
        return "First sync"
    return MODE_LABELS.get(run.mode) or run.get_mode_display()


ORIGINS = {
    SyncRun.Trigger.SCHEDULE: "Scheduled",
    SyncRun.Trigger.SYNC_ALL: "Started from G Suite Settings",
    SyncRun.Trigger.WIZARD: "Started when the setup was finalized",
    SyncRun.Trigger.ADMIN: "Started by an admin",
    SyncRun.Trigger.SUPPORT: "Started by support",
    SyncRun.Trigger.COMMAND: "Started from the command line",
    SyncRun.Trigger.PUSH: "A change notified by G Suite",
    SyncRun.Trigger.FEED: "A change in G Suite's admin activity log",
}


@register.filter
def ago(moment) -> str:
    """How long ago, in words: "just now" within the first minute, else "5 minutes ago"."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def run_origin(run: SyncRun) -> str:
    return ORIGINS.get(run.trigger, run.get_trigger_display())


# What a run that stopped for a reason outside the taxonomy tells the customer (the exception
# stays in the support console).
UNEXPECTED = IntegrationError(
    headline="The sync stopped before it finished.",
    fix="Nothing was half-applied: the next sync picks up from the start. If it keeps "
    "happening, contact support.",
)


@register.filter
def run_problem(run: SyncRun) -> IntegrationError | None:
    """A failed run's problem as headline + fix (the taxonomy's, never the recorded text)."""
    if run.status != SyncRun.Status.FAILED:
        return None
    cls = error_class_for(run.error_class)
    return cls() if cls is not None else UNEXPECTED


# --- changes ------------------------------------------------------------------------------------

FIELD_LABELS = {
    "email": "Primary email",
    "aliases": "Aliases",
    "first_name": "First name",
    "last_name": "Last name",
    "org_unit_path": "Org unit",
    "title": "Job title",
    "department": "Department",
    "phone": "Phone",
    "manager_email": "Manager",
    "photo_url": "Photo",
    "google_is_admin": "G Suite admin",
    "google_archived": "Archived user in G Suite",
    "google_created_at": "Google account created",
    "google_last_login_at": "Last Google sign-in",
    "google_state": "In G Suite",
    "status": "Status",
    "name": "Name",
    "description": "Description",
    "role": "Role in the group",
    "direct": "Membership",
    "member_type": "Member",
    "seat": "Seat",
}
# Kept in the record for support, not worth a customer's line.
HIDDEN_FIELDS = frozenset({"etag", "google_etag", "reason", "notes", "user", "member_group"})
VALUE_WORDS = {
    "google_state": dict(GoogleState.choices),
    "status": dict(User.Status.choices),
    "role": dict(GroupMembership.Role.choices),
    "member_type": dict(GroupMembership.MemberType.choices),
    "direct": {True: "Direct", False: "Inherited (nested group)"},
}
NOUNS = {
    Kind.DEACTIVATE: "Deactivation",
    Kind.ARCHIVE: "Archival",
    Kind.RESTORE: "Restoration",
    Kind.GROUP_DELETE: "Group deletion",
    Kind.MEMBER_REMOVE: "Removal from the group",
}
REASONS = {
    Kind.CREATE: "New in G Suite",
    Kind.ADOPT: "Found in G Suite with the same address: linked to this account",
    Kind.UPDATE: "Changed in G Suite",
    Kind.RESTORE: "Active again in G Suite",
    Kind.GROUP_CREATE: "New group in G Suite",
    Kind.GROUP_UPDATE: "Group changed in G Suite",
    Kind.GROUP_DELETE: "Group deleted in G Suite",
    Kind.MEMBER_ADD: "Added to the group in G Suite",
    Kind.MEMBER_UPDATE: "Role in the group changed in G Suite",
    Kind.MEMBER_REMOVE: "Removed from the group in G Suite",
}
STATE_REASONS = {
    "suspended": "Suspended in G Suite",
    "deleted": "Deleted in G Suite",
    "missing": "No longer in G Suite, or outside the sync scope",
}


def _review(change: SyncChange) -> str:
    # The run is usually loaded with the change (select_related); the review decides what a
    # change that was not applied means.
    return change.run.review if change.run_id else ""


@register.filter
def change_title(change: SyncChange) -> str:
    """The change's name — or, for one that was not applied, what became of the proposal."""
    label = change.get_kind_display()
    if change.applied:
        return label
    noun = NOUNS.get(change.kind, label)
    return {
        SyncRun.Review.PENDING: f"{noun} held for review",
        SyncRun.Review.REJECTED: f"{noun} rejected — kept",
        SyncRun.Review.SUPERSEDED: f"{noun} held, replaced by a later sync's review",
        SyncRun.Review.APPROVED: f"{noun} not needed any more",
    }.get(_review(change), f"{noun} not applied")


@register.filter
def change_reason(change: SyncChange) -> str:
    """Why the sync made (or proposed) the change, in a customer's words."""
    diff = change.diff or {}
    if change.kind in (Kind.KEPT, Kind.SKIPPED):
        return str(diff.get("reason", ""))
    state = diff.get("google_state")
    if change.kind in (Kind.DEACTIVATE, Kind.ARCHIVE) and isinstance(state, list | tuple):
        return STATE_REASONS.get(state[1], REASONS.get(change.kind, ""))
    return REASONS.get(change.kind, "")


def _words(name: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    words = VALUE_WORDS.get(name)
    if words is not None:
        return words.get(value, str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if name.endswith("_at") or isinstance(value, datetime):
        moment = value if isinstance(value, datetime) else _parse(value)
        if moment is not None:
            return date_filter(timezone.localtime(moment), "j M Y, H:i")
    if name == "photo_url":
        return "a photo"
    return name_for_display(str(value))


def _parse(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


@register.filter
def change_rows(change: SyncChange) -> list[tuple[str, str, str]]:
    """(label, before, after) for each field that changed, in words; technical fields left
    out, and a row for every note the sync made about Google's values."""
    rows = []
    for name, values in (change.diff or {}).items():
        if name in HIDDEN_FIELDS or not isinstance(values, list | tuple) or len(values) != 2:
            continue
        before, after = _words(name, values[0]), _words(name, values[1])
        if before == after:
            continue
        rows.append((FIELD_LABELS.get(name, name.replace("_", " ").capitalize()), before, after))
    return rows


@register.filter
def change_notes(change: SyncChange) -> list[str]:
    """What the sync had to change in Google's values ("Photo: not a usable web address, left
    out"), each note led by the field's label instead of its name."""
    notes = []
    for note in (change.diff or {}).get("notes", []):
        name, colon, rest = str(note).partition(": ")
        if colon and name in FIELD_LABELS:
            note = f"{FIELD_LABELS[name]}: {rest}"
        notes.append(note)
    return notes


REMOVAL_COUNT_KINDS = frozenset(
    {Kind.DEACTIVATE, Kind.ARCHIVE, Kind.GROUP_DELETE, Kind.MEMBER_REMOVE}
)
HELD_WORDS = {
    SyncRun.Review.PENDING: "held for review",
    SyncRun.Review.REJECTED: "rejected",
    SyncRun.Review.SUPERSEDED: "held, replaced",
    SyncRun.Review.APPROVED: "approved",
}


@register.filter
def run_counts(run: SyncRun) -> list[tuple[str, int]]:
    """The run's counts as (label, number). A held run's removals did not happen when it ran:
    they say what became of them ("Archival held for review 12", "… rejected")."""
    held = run.status == SyncRun.Status.HELD and bool(run.review)
    rows = []
    for kind, number in (run.counts or {}).items():
        if held and kind in REMOVAL_COUNT_KINDS:
            rows.append((f"{NOUNS.get(kind, kind)} {HELD_WORDS.get(run.review, 'held')}", number))
        else:
            rows.append((change_label(kind), number))
    return rows
