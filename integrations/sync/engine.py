"""One full sync of an organization: fetch → plan → apply → record (called under the lock).

Flow (`sync_execute`):
1. Users: the local index is loaded once; active users are streamed page by page (split by
   email prefix and fetched concurrently when the last run saw a large directory; a first sync
   reads one page and splits only if there is more), read ahead on a thread of their own while
   each page is planned and applied (apply.UserSync.page); then the deleted users (second
   listing). If the listing was split, people it did not return are checked one by one
   (users.get) before anything is concluded about them. Only then are removals decided
   (apply.UserSync.finish): applied, or held for review above the threshold — with one email
   to the Hearth admins.
2. Groups: the groups listing (etag), deletions after it completed, every group's direct
   members fetched concurrently and applied in batches, then inherited members.
3. Record: counts and status on the SyncRun; a failure a person must fix moves the integration
   to *error* and emails the admins once per incident; the next success clears it and emails
   that it recovered. A failed fetch never removes anyone: removals happen only in step 1's
   end, after every listing completed.

`sync_user` / `sync_group` (for real-time sync later) run the same plan/apply path for one
person or one group. `sync_fetch` (`sync_directory --fetch-only`, the benchmark's floor) reads
through the very same fetching generators as `sync_execute` and drops the pages: no planning,
no apply, no run recorded.
"""

import contextlib
import time
from collections.abc import Iterator

import structlog
from django.db.models import F
from django.utils import timezone

from ..errors import IntegrationError
from ..google.client import GoogleClient, google_client
from ..models import Integration, SyncRun
from . import notify, planning
from .apply import ChangeRecorder, GroupSync, UserSync

logger = structlog.get_logger(__name__)

# Above this many people (as of the last run) the users listing is split and fetched in parallel.
SPLIT_USERS_ABOVE = 2000
# Pages of users fetched ahead while the sync writes the current one (500 people each).
USERS_READ_AHEAD = 4
# Members of this many groups are planned and applied together (one read, one write each).
MEMBERS_BATCH = 50
# People missed by a split listing are checked individually, up to this many.
VERIFY_MISSING_MAX = 200


def sync_execute(*, run: SyncRun) -> SyncRun:
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
        with _phase(run, "users"):
            held, user_pks = _sync_users(client, integration, run, recorder, dry_run=dry_run)
        with _phase(run, "groups"):
            _sync_groups(client, integration, run, recorder, user_pks, dry_run=dry_run)
    except IntegrationError as error:
        run.api_calls = client.calls if client else 0
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
    except Exception as exc:
        run.api_calls = client.calls if client else 0
        _finish(
            run,
            recorder,
            status=SyncRun.Status.FAILED,
            error_class=type(exc).__name__,
            error_message=str(exc)[:2000],
        )
        raise
    run.api_calls = client.calls
    _finish(run, recorder, status=SyncRun.Status.HELD if held else SyncRun.Status.SUCCEEDED)
    if not dry_run:
        notify.sync_succeeded(organization=organization)
        if held:
            notify.sync_held(run=run)
    return run


def _finish(run: SyncRun, recorder: ChangeRecorder, *, status: str, **fields) -> SyncRun:
    recorder.flush()
    run.status = status
    run.finished_at = timezone.now()
    run.counts = dict(sorted(recorder.counts.items()))
    for name, value in fields.items():
        setattr(run, name, value)
    if status == SyncRun.Status.HELD:
        run.review = SyncRun.Review.PENDING
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "counts",
            "api_calls",
            "held_removals",
            "note",
            "review",
            "error_class",
            "error_message",
        ]
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


class Listing:
    """How the active users are listed: by a sequential listing, split by email prefix and
    fetched concurrently, or — when the size is unknown (no run yet) — adaptively."""

    SEQUENTIAL = "sequential"
    SPLIT = "split"
    ADAPTIVE = "adaptive"


def _users_listing(previous_total: int) -> str:
    """Split above SPLIT_USERS_ABOVE people as of the last run; a first sync (0) adapts."""
    if not previous_total:
        return Listing.ADAPTIVE
    return Listing.SPLIT if previous_total > SPLIT_USERS_ABOVE else Listing.SEQUENTIAL


def _user_pages(client: GoogleClient, *, listing: str) -> Iterator[list[dict]]:
    if listing == Listing.SPLIT:
        return client.users_pages_concurrent()
    if listing == Listing.ADAPTIVE:
        return client.users_pages_adaptive()
    return client.users_pages()


def _user_listings(client: GoogleClient, *, listing: str) -> Iterator[tuple[bool, list[dict]]]:
    """Every users page a run reads, as (deleted?, page): the active listing, then the deleted."""
    for page in _user_pages(client, listing=listing):
        yield False, page
    for page in client.users_pages(show_deleted=True):
        yield True, page


def _member_lists(
    client: GoogleClient, group_ids: set[str]
) -> Iterator[tuple[str, list[dict] | None]]:
    """(group id, its complete direct member list — None if deleted meanwhile), concurrently.

    Room for two batches: the threads go on fetching while the sync applies one.
    """
    return client.members_concurrent(sorted(group_ids), buffer=2 * MEMBERS_BATCH)


def _sync_users(
    client: GoogleClient, integration: Integration, run: SyncRun, recorder, *, dry_run: bool
) -> tuple[bool, dict[str, int]]:
    """People; returns (held?, Google id → pk of every bound person for the members)."""
    users = UserSync(integration=integration, run=run, recorder=recorder, dry_run=dry_run)
    users.load()
    previous_total = _previous_total(integration)
    listing = _users_listing(previous_total)
    SyncRun.objects.filter(pk=run.pk).update(progress_total=previous_total or len(users.index))
    pages = client.read_ahead(_user_listings(client, listing=listing), depth=USERS_READ_AHEAD)
    for deleted, page in pages:
        users.page([planning.remote_user(resource, deleted=deleted) for resource in page])
        if not deleted:
            _progress(run, len(page))
    if listing != Listing.SEQUENTIAL:
        _verify_missing(client, users)
    SyncRun.objects.filter(pk=run.pk).update(progress_total=users.processed)
    held, _removals = users.finish(held_before=False)
    return held, {gid: local.pk for gid, local in users.index.items()}


def _verify_missing(client: GoogleClient, users: UserSync) -> None:
    """A split listing may miss people whose address starts with an unusual character."""
    missing = users.missing()
    if not missing or len(missing) > VERIFY_MISSING_MAX:
        return
    found = []
    for local in missing:
        resource = client.user_get(local.google_id)
        if resource is not None:
            found.append(planning.remote_user(resource))
    if found:
        users.page(found)


def _sync_groups(
    client: GoogleClient,
    integration: Integration,
    run: SyncRun,
    recorder,
    user_pks: dict[str, int],
    *,
    dry_run: bool,
) -> None:
    groups = GroupSync(
        integration=integration,
        run=run,
        recorder=recorder,
        user_pk_by_google_id=user_pks,
        dry_run=dry_run,
    )
    groups.load()
    with _phase(run, "groups_listing"):
        for page in client.groups_pages():
            groups.page([planning.remote_group(resource) for resource in page])
        groups.delete_missing()
    batch = []
    for group_id, members in _member_lists(client, groups.seen):
        if members is None:
            continue  # deleted meanwhile: the next run deletes it
        remote = [m for m in (groups.to_member(r) for r in members) if m is not None]
        batch.append((group_id, remote))
        if len(batch) >= MEMBERS_BATCH:
            groups.members_batch(batch)
            batch = []
    if batch:
        groups.members_batch(batch)
    if not dry_run:
        groups.inherited()


# --- fetch only (the floor of a sync's time) ---------------------------------------------------


def sync_fetch(*, organization, as_first_sync: bool = False) -> dict:
    """Make exactly the API calls of a full sync — same client, concurrency and listing
    decision — and drop the pages: nothing planned, applied or recorded. Returns what was read.

    `as_first_sync`: the calls of the organization's first sync (no previous run, so the users
    listing adapts to the size it finds), even after runs happened. The `users.get` checks of
    people a split listing missed are left out: they depend on the local directory (none in a
    steady one).
    """
    integration = Integration.objects.select_related("sync_account").get(organization=organization)
    if integration.sync_account is None:
        raise ValueError("The integration has no sync account: nothing to fetch with.")
    started = time.perf_counter()
    client = google_client(subject=integration.sync_account.email)
    listing = _users_listing(0 if as_first_sync else _previous_total(integration))
    counts = {"users": 0, "deleted_users": 0, "groups": 0, "memberships": 0}
    for deleted, page in _user_listings(client, listing=listing):
        counts["deleted_users" if deleted else "users"] += len(page)
    group_ids: set[str] = set()
    for page in client.groups_pages():
        group_ids.update(resource["id"] for resource in page)
    counts["groups"] = len(group_ids)
    for _group_id, members in _member_lists(client, group_ids):
        counts["memberships"] += len(members or [])
    return {
        "counts": counts,
        "listing": listing,
        "api_calls": client.calls,
        "seconds": round(time.perf_counter() - started, 3),
    }


# --- one person, one group (the path real-time sync reuses) -----------------------------------


def sync_user(*, run: SyncRun, user_key: str) -> SyncRun:
    """Sync one person (by Google id or email) through the same plan/apply path.

    A person Google no longer returns is archived (one removal is always below the threshold).
    """
    integration = Integration.objects.select_related("organization", "sync_account").get(
        organization=run.organization
    )
    recorder = ChangeRecorder(run, dry_run=False)
    client = google_client(subject=integration.sync_account.email)
    resource = client.user_get(user_key)
    users = UserSync(integration=integration, run=run, recorder=recorder)
    if resource is None:
        users.load(google_ids=[user_key], emails=[user_key])
        users.seen = set()
    else:
        remote = planning.remote_user(resource)
        users.load(google_ids=[remote.google_id], emails=[remote.email])
        users.page([remote])
    held, _ = users.finish(held_before=False)
    run.api_calls = client.calls
    return _finish(run, recorder, status=SyncRun.Status.HELD if held else SyncRun.Status.SUCCEEDED)


def sync_group(*, run: SyncRun, group_key: str) -> SyncRun:
    """Sync one group and its direct members through the same plan/apply path."""
    integration = Integration.objects.select_related("organization", "sync_account").get(
        organization=run.organization
    )
    recorder = ChangeRecorder(run, dry_run=False)
    client = google_client(subject=integration.sync_account.email)
    from usermanagement.models import User

    user_index = dict(
        User.objects.filter(organization=run.organization, google_id__isnull=False).values_list(
            "google_id", "pk"
        )
    )
    groups = GroupSync(
        integration=integration, run=run, recorder=recorder, user_pk_by_google_id=user_index
    )
    groups.load()
    resource = client.group_get(group_key)
    if resource is None:
        gone = {gid for gid, value in groups.local.items() if group_key in (gid, value[2])}
        groups.seen = set(groups.local) - gone
        groups.delete_missing()
    else:
        remote = planning.remote_group(resource)
        groups.page([remote])
        members = [m for m in (groups.to_member(r) for r in client.members(remote.google_id)) if m]
        groups.members_batch([(remote.google_id, members)])
        groups.inherited()
    run.api_calls = client.calls
    return _finish(run, recorder, status=SyncRun.Status.SUCCEEDED)
