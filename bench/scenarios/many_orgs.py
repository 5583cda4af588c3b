"""Scenario 4 — many organizations: the scheduled poll fanned out over 2 Celery worker processes.

Flow:
1. Seed one sandbox domain per organization and connect each organization through
   `integration_finalize`, which enqueues its first full sync; two single-process Celery
   workers (bench/env.py) run them. The time until every first sync finished is reported too.
2. The scheduled poll: `sync_schedule_due` — the very service the beat task calls every
   minute — is called as if one interval had passed (its `now` argument), which enqueues one
   run per organization. The figure is the time from that call until every one of those runs
   finished; the target is to be done within the interval (5 minutes).
3. The lock under pressure: two runs are enqueued at once for every tenth organization.
4. From the SyncRun records of the whole scenario: runs of one organization whose
   [started, finished] intervals overlap (target 0), and runs that failed.
"""

import itertools
import time
from datetime import timedelta

from .. import hearth
from ..directory import domain_seed
from ..env import CouldNotMeasure
from ..report import verdict

KEY = "many_orgs"
TITLE = "4. Many organizations, scheduled poll on 2 workers"
UNFINISHED = ("queued", "running")


def _wait(run_ids: list[int], *, timeout: float) -> float:
    from integrations.models import SyncRun

    started = time.perf_counter()
    while SyncRun.objects.filter(pk__in=run_ids, status__in=UNFINISHED).exists():
        if time.perf_counter() - started > timeout:
            left = SyncRun.objects.filter(pk__in=run_ids, status__in=UNFINISHED).count()
            raise CouldNotMeasure(f"{left} runs still unfinished after {timeout:.0f}s")
        time.sleep(0.25)
    return time.perf_counter() - started


def overlaps(runs) -> int:
    """Pairs of consecutive runs of one organization whose working intervals overlap."""
    by_org: dict[int, list] = {}
    for run in runs:
        if run.started_at and run.finished_at and run.status != "skipped":
            by_org.setdefault(run.organization_id, []).append(run)
    count = 0
    for org_runs in by_org.values():
        org_runs.sort(key=lambda r: r.started_at)
        for previous, following in itertools.pairwise(org_runs):
            if following.started_at < previous.finished_at:
                count += 1
    return count


def run(ctx) -> dict:
    from django.utils import timezone

    from integrations.models import Integration, SyncRun
    from integrations.services import integration_disconnect
    from integrations.tasks import sync_enqueue, sync_schedule_due

    env, scale = ctx.env, ctx.scale[KEY]
    env.sandbox_start()
    count, users = scale["organizations"], scale["users"]
    seed_started = time.perf_counter()
    domains = [
        domain_seed(
            f"org{index:03d}.many.bench.example",
            users=users,
            groups=5,
            members_per_group=min(20, users),
        )
        for index in range(count)
    ]
    seed_seconds = time.perf_counter() - seed_started
    first_ids = list(SyncRun.objects.values_list("pk", flat=True))  # earlier scenarios' runs
    # the organizations of earlier scenarios leave the schedule: the poll is these N alone
    for integration in Integration.objects.select_related("organization").filter(
        state__in=[Integration.State.ACTIVE, Integration.State.ERROR]
    ):
        integration_disconnect(organization=integration.organization, acting_user=None)
    env.redis_flush()
    env.workers_start(scale["workers"])

    connect_started = time.perf_counter()
    organizations = [
        hearth.organization_connect(env, d.name, slug=f"many-{i:03d}", keep_first_run=True)
        for i, d in enumerate(domains)
    ]
    first = list(
        SyncRun.objects.filter(organization__in=organizations).values_list("pk", flat=True)
    )
    _wait(first, timeout=3600)
    first_seconds = time.perf_counter() - connect_started

    interval = timedelta(seconds=scale["interval_seconds"])
    poll_started = time.perf_counter()
    due = sync_schedule_due(now=timezone.now() + interval + timedelta(minutes=16))
    poll_ids = [run.pk for run in due]
    _wait(poll_ids, timeout=3600)
    poll_seconds = time.perf_counter() - poll_started

    pressure = []
    for organization in organizations[::10]:
        for _ in range(2):
            pressure.append(sync_enqueue(organization=organization, trigger="admin").pk)
    _wait(pressure, timeout=1800)

    runs = list(SyncRun.objects.filter(organization__in=organizations).exclude(pk__in=first_ids))
    statuses: dict[str, int] = {}
    for run_ in runs:
        statuses[run_.status] = statuses.get(run_.status, 0) + 1
    poll_runs = [r for r in runs if r.pk in set(poll_ids)]
    durations = sorted(
        (r.finished_at - r.started_at).total_seconds()
        for r in poll_runs
        if r.started_at and r.finished_at
    )
    return {
        "organizations": count,
        "users_per_organization": users,
        "workers": scale["workers"],
        "seed_seconds": round(seed_seconds, 1),
        "first_syncs_seconds": round(first_seconds, 1),
        "poll_runs": len(poll_ids),
        "poll_seconds": round(poll_seconds, 1),
        "interval_seconds": scale["interval_seconds"],
        "ratio_poll_to_interval": round(poll_seconds / scale["interval_seconds"], 3),
        "poll_run_seconds_median": round(durations[len(durations) // 2], 2) if durations else None,
        "pressure_runs": len(pressure),
        "runs_by_status": statuses,
        "overlapping_runs": overlaps(runs),
        "failed_runs": statuses.get("failed", 0),
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        ("organizations x users", f"{f['organizations']} x {f['users_per_organization']}", ""),
        ("first syncs of all (via finalize)", f"{f['first_syncs_seconds']:.1f} s", ""),
        (
            "scheduled poll, all done",
            f"{f['poll_seconds']:.1f} s ({f['poll_runs']} runs)",
            verdict(f["poll_seconds"] <= f["interval_seconds"], "within the 5-minute interval"),
        ),
        ("median run in the poll", f"{f['poll_run_seconds_median']} s", ""),
        (
            "runs by status",
            ", ".join(f"{k} {v}" for k, v in sorted(f["runs_by_status"].items())),
            "",
        ),
        (
            "overlapping runs of one organization",
            f"{f['overlapping_runs']}",
            verdict(f["overlapping_runs"] == 0, "0"),
        ),
    ]
