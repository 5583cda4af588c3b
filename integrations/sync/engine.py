"""One full sync of an organization: fetch → plan → apply → judge the removals → record.

Called under the organization's lock (integrations.sync.runs), with `guard`, the lease check
every write transaction starts with: a run that lost its lock stops writing at once.

Flow (`sync_execute`):
1. Users: the local index is loaded once; the active users are read with Google's plain listing
   — never a search (`query`), which reads a lagging index and matches aliases — on a thread of
   its own, a few pages ahead, while each page is planned and applied (apply.UserSync.page:
   creates, updates, restorations); then the deleted users (second listing). People neither
   listing returned are confirmed one by one with users.get (a person renamed during the
   listing can slip past its cursor) before they count as gone.
2. Groups: the groups listing (etag); every group's direct members fetched concurrently and
   applied in batches (additions, role changes).
3. Removals: the people, groups and memberships the complete listings no longer return are
   judged together against the safety threshold over a rolling 24 hours
   (integrations.sync.removals) and either all applied or all held for review — with one email
   to the Hearth admins. Then deferred address changes, seats, and inherited memberships.
4. Record: counts and status on the SyncRun; a failure a person must fix moves the integration
   to *error* and emails the admins once per incident; the next success clears it and emails
   that it recovered. A failed fetch never removes anything: removals are decided only in
   step 3, after every listing completed.

`sync_targeted` (real-time sync; `sync_user` / `sync_group` for one) runs the same plan/apply
path — and the same judgement of removals — for the people and groups a notification named.
`sync_fetch` (`sync_directory --fetch-only`, the benchmark's floor) reads through the very same
fetching calls as `sync_execute` and drops the pages: no planning, no apply, no run recorded.
"""

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator

import structlog
from django.db.models import F
from django.utils import timezone

from config.bulk import tables_analyze
from licenses.models import PersonLicense
from organizations.services import domains_claim
from usermanagement.models import Group, GroupMembership, User

from ..errors import IntegrationError, WrongCustomer
from ..google.client import GoogleClient, google_client
from ..models import Integration, SyncChange, SyncRun
from . import notify, planning
from .apply import ChangeRecorder, GroupSync, UserSync
from .removals import RemovalPlan, removals_judge, removals_settle

logger = structlog.get_logger(__name__)

# Pages of users fetched ahead while the sync writes the current one (500 people each).
USERS_READ_AHEAD = 4
# Members of this many groups are planned and applied together (one read, one write each).
MEMBERS_BATCH = 50
# A run that added this many rows (a first sync, a large new org unit) refreshes the planner's
# statistics of the tables it grew, so the pages opened next are planned for their new size.
LARGE_RUN_ROWS = 2000
LARGE_RUN_KINDS = ("create", "member_add", "seat_assign", "group_create")


class LockLost(Exception):
    """The run's lease expired and another run took the organization's lock: stop writing."""


def _no_guard() -> None:
    pass


def sync_execute(*, run: SyncRun, guard: Callable[[], None] = _no_guard) -> SyncRun:
    """Run a full (or dry) sync for `run` and record its outcome on it."""
    organization = run.organization
    integration = Integration.objects.select_related("organization", "sync_account").get(
        organization=organization
    )
    dry_run = run.mode == SyncRun.Mode.DRY_RUN
    recorder = ChangeRecorder(run, dry_run=dry_run)
    client = None
    try:
        if integration.sync_account is None or integration.state not in (
            Integration.State.ACTIVE,
            Integration.State.ERROR,
        ):
            return _finish(
                run,
                recorder,
                status=SyncRun.Status.SKIPPED,
                note=f"The integration is {integration.get_state_display().lower()}.",
            )
        client = google_client(subject=integration.sync_account.email)
        _check_customer(client, integration)
        users = UserSync(
            integration=integration, run=run, recorder=recorder, dry_run=dry_run, guard=guard
        )
        with _phase(run, "users"):
            _sync_users(client, integration, run, users)
        groups = GroupSync(
            integration=integration,
            run=run,
            recorder=recorder,
            dry_run=dry_run,
            guard=guard,
            domains_seen=users.primary_domains | users.alias_domains,
            first_sync=not _previous_total(integration),
        )
        with _phase(run, "groups"):
            _sync_groups(client, run, groups)
        with _phase(run, "removals"):
            held = _settle(integration, run, users, groups)
    except IntegrationError as error:
        _count_calls(run, client)
        recorder.rows.clear()  # only what was committed is recorded
        _finish(
            run,
            recorder,
            status=SyncRun.Status.FAILED,
            error_class=error.code,
            error_message=f"{error.headline} {error.detail}".strip(),
        )
        if error.halts and not dry_run:
            notify.sync_failed(organization=organization, error=error)
        logger.warning("sync_failed", run_id=run.pk, error=error.code, detail=error.detail)
        return run
    except LockLost:
        raise  # recorded by runs.sync_run_execute, which knows whether the run is still ours
    except Exception as exc:
        _count_calls(run, client)
        recorder.rows.clear()
        _finish(
            run,
            recorder,
            status=SyncRun.Status.FAILED,
            error_class=type(exc).__name__,
            error_message=str(exc)[:2000],
        )
        raise
    _count_calls(run, client)
    _finish(run, recorder, status=SyncRun.Status.HELD if held else SyncRun.Status.SUCCEEDED)
    if not dry_run:
        if sum(recorder.counts.get(kind, 0) for kind in LARGE_RUN_KINDS) >= LARGE_RUN_ROWS:
            tables_analyze([User, Group, GroupMembership, PersonLicense, SyncChange])
        _domains_claim(integration, users)
        notify.sync_succeeded(organization=organization)
        if held:
            notify.sync_held(run=run)
    return run


def _domains_claim(integration: Integration, users: UserSync) -> None:
    """The customer's secondary domains and domain aliases, as a complete listing showed them on
    its people, belong to the organization like its primary domain (organizations.services)."""
    kinds = dict.fromkeys(users.alias_domains, "alias")
    kinds.update(dict.fromkeys(users.primary_domains, "secondary"))
    if integration.domain:
        kinds[integration.domain] = "primary"
    kinds.pop("", None)
    domains_claim(organization=integration.organization, domains=kinds, acting_user=None)


def _check_customer(client: GoogleClient, integration: Integration) -> None:
    """Read nothing from a Workspace other than the one connected: every person of the real
    one would look deleted (one call per run)."""
    customer_id = str(client.customer().get("id", ""))
    if integration.google_customer_id and customer_id != integration.google_customer_id:
        raise WrongCustomer(
            f"Connected to customer {integration.google_customer_id}; the sync account "
            f"{integration.sync_account.email} reads customer {customer_id}."
        )


def _count_calls(run: SyncRun, client: GoogleClient | None) -> None:
    run.api_calls = client.calls if client else 0
    run.api_failures = dict(sorted(client.failures.items())) if client else {}


def _settle(integration: Integration, run: SyncRun, users: UserSync, groups: GroupSync) -> bool:
    """Step 3: judge and apply (or hold) every removal; then what waited for them. Held?"""
    people, kept = users.removals()
    plan = RemovalPlan(
        people=people, groups=groups.deletions(), memberships=list(groups.member_removals)
    )
    groups.member_removals.clear()
    verdict = removals_judge(plan=plan, integration=integration, active_people=users.active_people)
    removals_settle(plan=plan, verdict=verdict, run=run, users=users, groups=groups)
    users.kept_record(kept)
    users.deferred_apply()
    users.seats()
    if not verdict.held and not users.dry_run:
        groups.inherited()
    return verdict.held


def _finish(run: SyncRun, recorder: ChangeRecorder, *, status: str, **fields) -> SyncRun:
    """Record the outcome — only while this execution is the run's latest attempt (a paused
    execution whose lease was taken over must not overwrite its successor's record)."""
    recorder.flush()
    run.status = status
    run.finished_at = timezone.now()
    run.counts = dict(sorted(recorder.counts.items()))
    for name, value in fields.items():
        setattr(run, name, value)
    if status == SyncRun.Status.HELD:
        run.review = SyncRun.Review.PENDING
    SyncRun.objects.filter(pk=run.pk, attempt=run.attempt).update(
        **{
            name: getattr(run, name)
            for name in (
                "status",
                "finished_at",
                "counts",
                "api_calls",
                "api_failures",
                "held_removals",
                "note",
                "review",
                "error_class",
                "error_message",
            )
        }
    )
    return run


@contextlib.contextmanager
def _phase(run: SyncRun, name: str):
    """Log how long one phase of a run took (where a slow sync spends its time)."""
    started = time.perf_counter()
    yield
    logger.info(
        "sync_phase", run_id=run.pk, phase=name, seconds=round(time.perf_counter() - started, 3)
    )


def _progress(run: SyncRun, processed: int) -> None:
    SyncRun.objects.filter(pk=run.pk).update(progress_processed=F("progress_processed") + processed)


def _previous_total(integration: Integration) -> int:
    last = (
        SyncRun.objects.filter(
            organization=integration.organization,
            status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.HELD],
        )
        .exclude(progress_total=0)
        .order_by("-created_at")
        .values_list("progress_total", flat=True)
        .first()
    )
    return last or 0


def _user_listings(client: GoogleClient) -> Iterator[tuple[bool, list[dict]]]:
    """Every users page a run reads, as (deleted?, page): the active listing, then the deleted
    one — both Google's plain listing, the only authority on who exists."""
    for page in client.users_pages():
        yield False, page
    for page in client.users_pages(show_deleted=True):
        yield True, page


def _member_lists(client: GoogleClient, group_ids: set[str]):
    """(group id, its complete direct member list — None if deleted meanwhile), concurrently
    (a Prefetch: use it as a context manager).

    Room for two batches: the threads go on fetching while the sync applies one.
    """
    return client.members_concurrent(sorted(group_ids), buffer=2 * MEMBERS_BATCH)


def _sync_users(client: GoogleClient, integration: Integration, run: SyncRun, users: UserSync):
    users.load()
    previous_total = _previous_total(integration)
    SyncRun.objects.filter(pk=run.pk).update(
        progress_total=previous_total or users.active_people
    )
    with client.read_ahead(_user_listings(client), depth=USERS_READ_AHEAD) as pages:
        for deleted, page in pages:
            users.page([planning.remote_user(resource, deleted=deleted) for resource in page])
            if not deleted:
                _progress(run, len(page))
    _confirm_missing(client, integration, users)
    SyncRun.objects.filter(pk=run.pk).update(progress_total=users.processed)


def _confirm_missing(client: GoogleClient, integration: Integration, users: UserSync) -> None:
    """People neither listing returned: ask Google for each before concluding they are gone.

    More of them than the safety threshold allows will be held for review anyway (and listed
    there by name): those are not asked one by one — a listing that lost half the directory
    would otherwise cost a call per person.
    """
    missing = users.missing()
    threshold = planning.removal_threshold(
        active_people=users.active_people, override=integration.deactivation_threshold
    )
    if not missing or len(missing) > threshold:
        return
    found = []
    with client.users_get_concurrent([local.google_id for local in missing]) as answers:
        for _key, resource in answers:
            if resource is not None:
                found.append(planning.remote_user(resource))
    if found:
        users.page(found)


def _sync_groups(client: GoogleClient, run: SyncRun, groups: GroupSync) -> None:
    groups.load()
    with _phase(run, "groups_listing"):
        for page in client.groups_pages():
            groups.page([planning.remote_group(resource) for resource in page])
    batch = []
    with _member_lists(client, groups.seen) as member_lists:
        for group_id, members in member_lists:
            if members is None:
                continue  # deleted meanwhile: the next run deletes it
            batch.append((group_id, members))
            if len(batch) >= MEMBERS_BATCH:
                groups.members_resources_batch(batch)
                batch = []
    if batch:
        groups.members_resources_batch(batch)


# --- fetch only (the floor of a sync's time) ---------------------------------------------------


def sync_fetch(*, organization) -> dict:
    """Make exactly the API calls of a full sync — same client, listings and concurrency — and
    drop the pages: nothing planned, applied or recorded. Returns what was read. (The users.get
    confirmations of people the listings missed are left out: none in a steady directory.)"""
    integration = Integration.objects.select_related("sync_account").get(organization=organization)
    if integration.sync_account is None:
        raise ValueError("The integration has no sync account: nothing to fetch with.")
    started = time.perf_counter()
    client = google_client(subject=integration.sync_account.email)
    client.customer()  # the run's check that it reads the connected Workspace
    counts = {"users": 0, "deleted_users": 0, "groups": 0, "memberships": 0}
    with client.read_ahead(_user_listings(client), depth=USERS_READ_AHEAD) as pages:
        for deleted, page in pages:
            counts["deleted_users" if deleted else "users"] += len(page)
    group_ids: set[str] = set()
    for page in client.groups_pages():
        group_ids.update(resource["id"] for resource in page)
    counts["groups"] = len(group_ids)
    with _member_lists(client, group_ids) as member_lists:
        for _group_id, members in member_lists:
            counts["memberships"] += len(members or [])
    return {
        "counts": counts,
        "listing": "plain",
        "api_calls": client.calls,
        "seconds": round(time.perf_counter() - started, 3),
    }


# --- named people and groups (the path real-time sync takes) ---------------------------------


def sync_targeted(
    *,
    run: SyncRun,
    user_keys: Iterable[str] = (),
    group_keys: Iterable[str] = (),
    guard: Callable[[], None] = _no_guard,
) -> SyncRun:
    """Sync the people and groups named (Google ids or emails) through the same plan/apply
    path as a full run: each is read with users.get / groups.get (+ the group's members), so
    nothing in a notification is trusted. Who Google no longer returns is removed — judged
    with the group and membership removals against the threshold over the rolling day, like
    any run's removals. Raises IntegrationError when Google refuses (the caller records it)."""
    user_keys, group_keys = sorted(set(user_keys)), sorted(set(group_keys))
    integration = Integration.objects.select_related("organization", "sync_account").get(
        organization=run.organization
    )
    recorder = ChangeRecorder(run, dry_run=False)
    client = google_client(subject=integration.sync_account.email)
    try:
        plan = RemovalPlan()
        users = UserSync(integration=integration, run=run, recorder=recorder, guard=guard)
        kept: list = []
        if user_keys:
            with client.users_get_concurrent(user_keys) as answers:
                found = [resource for _key, resource in answers if resource is not None]
            remotes = [planning.remote_user(resource) for resource in found]
            users.load(
                google_ids=[*user_keys, *(r.google_id for r in remotes)],
                emails=[*user_keys, *(r.email for r in remotes)],
            )
            users.page(remotes)
            plan.people, kept = users.removals()
        groups = GroupSync(integration=integration, run=run, recorder=recorder, guard=guard)
        if group_keys:
            groups.load()
            with client.groups_get_concurrent(group_keys) as answers:
                _groups_refresh(groups, plan, answers)
        # Google takes a deleted person out of every group; no group listing says so here
        deleted = {r.local.google_id for r in plan.people if r.transition.kind == planning.ARCHIVE}
        listed = {m.pk for m in plan.memberships}
        plan.memberships += [m for m in groups.memberships_of(deleted) if m.pk not in listed]
        verdict = removals_judge(plan=plan, integration=integration)
        removals_settle(
            plan=plan,
            verdict=verdict,
            run=run,
            users=users if user_keys else None,
            groups=groups if group_keys or plan.memberships else None,
        )
        if user_keys:
            users.kept_record(kept)
            users.deferred_apply()
            users.seats()
        if group_keys and not verdict.held:
            groups.inherited()
    finally:
        _count_calls(run, client)
    _finish(
        run, recorder, status=SyncRun.Status.HELD if verdict.held else SyncRun.Status.SUCCEEDED
    )
    if verdict.held:
        notify.sync_held(run=run)
    return run


def _groups_refresh(groups: GroupSync, plan: RemovalPlan, answers: Iterable[tuple]) -> None:
    """Groups and their direct members as Google returned them — (key, resource, members) —
    applied MEMBERS_BATCH groups at a time, as a full run applies member lists (one lookup of
    the people they name per batch, not per group). A group Google no longer returns joins the
    removals; one deleted between its two reads is left for its deletion's own event."""
    batch: list[tuple[planning.RemoteGroup, list[dict]]] = []

    def apply_batch() -> None:
        groups.page([remote for remote, _members in batch])
        groups.members_resources_batch([(remote.google_id, members) for remote, members in batch])
        plan.memberships.extend(groups.member_removals)
        groups.member_removals.clear()
        batch.clear()

    for key, resource, members in answers:
        if resource is None:
            gone = [gid for gid, value in groups.local.items() if key.lower() in (gid, value[2])]
            plan.groups.extend(groups.deletions(only=gone))
        elif members is not None:
            batch.append((planning.remote_group(resource), members))
            if len(batch) >= MEMBERS_BATCH:
                apply_batch()
    if batch:
        apply_batch()


def sync_user(*, run: SyncRun, user_key: str, guard: Callable[[], None] = _no_guard) -> SyncRun:
    """Sync one person (by Google id or email): the support console's "re-sync this person"."""
    return sync_targeted(run=run, user_keys=[user_key], guard=guard)


def sync_group(*, run: SyncRun, group_key: str, guard: Callable[[], None] = _no_guard) -> SyncRun:
    """Sync one group and its direct members."""
    return sync_targeted(run=run, group_keys=[group_key], guard=guard)
