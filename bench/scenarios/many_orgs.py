"""Scenario 10 — many organizations on two workers, scheduled by the real celery beat.

Flow, in a world of its own:
1. One large organization (100,000 people at full scale) and many small ones (200 x 500), each
   on a sandbox domain of its own with Google's latency, per-minute quota and concurrency
   limit; each connected through `integration_finalize` (which enqueues its first sync) with a
   short sync interval (an admin's setting). Two single-process Celery workers run the syncs.
2. An independent log of the sync lock: a PostgreSQL trigger (bench code, installed in the
   benchmark database only) on the lock table writes a row at every acquire, release and
   takeover, with the database's clock — whatever path of the product moved the lock.
3. Once every first sync finished, the real celery beat starts (`setup_periodic_tasks`, the
   database scheduler, real time) and runs for `observe_intervals` intervals. Then beat stops
   and the runs still working finish.
4. From the SyncRun records and the lock log:
   - per organization, the gaps between its successful syncs (finish to finish) over the
     observed window, the window's end counting as the last one: every gap must be within the
     interval plus one beat period (the schedule looks once a minute); and, the schedule's side
     of it, the time between successive requests of one organization's runs;
   - overlaps over all pairs of one organization's runs ([started, finished]) and of its lock
     holds ([acquire, release]); runs that worked outside their own lock hold;
   - queue waits, run durations, runs by status, the sandbox's answers by status.

Targets: every organization synced within its interval (max gap ≤ interval + 60 s);
0 overlapping runs, 0 overlapping lock holds, 0 runs outside their hold.
"""

import itertools
import statistics
import time

from .. import hearth, method
from ..directory import domain_seed
from ..env import CouldNotMeasure

KEY = "many_orgs"
TITLE = "10. Many organizations, real beat, two workers"
BEAT_PERIOD_SECONDS = 60  # config/periodic_tasks.py: sync_schedule_due every minute
UNFINISHED = ("queued", "running")

LOCK_LOG_SQL = """
CREATE TABLE IF NOT EXISTS bench_lock_log (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL,
    holder text NOT NULL,
    event text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION bench_lock_log_write() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.holder <> ''
       AND (TG_OP = 'DELETE' OR OLD.holder IS DISTINCT FROM NEW.holder) THEN
        INSERT INTO bench_lock_log (organization_id, holder, event)
        VALUES (OLD.organization_id, OLD.holder,
                CASE WHEN TG_OP = 'UPDATE' AND NEW.holder <> '' THEN 'taken over'
                     ELSE 'release' END);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.holder <> ''
       AND (TG_OP = 'INSERT' OR OLD.holder IS DISTINCT FROM NEW.holder) THEN
        INSERT INTO bench_lock_log (organization_id, holder, event)
        VALUES (NEW.organization_id, NEW.holder, 'acquire');
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_lock_log ON {table};
CREATE TRIGGER bench_lock_log AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION bench_lock_log_write();
"""


def lock_log_install() -> str:
    """The trigger on the lock table (found by its name's end, wherever the app lives)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE %s",
            ["%\\_synclock"],
        )
        found = [row[0] for row in cursor.fetchall()]
        if len(found) != 1:
            raise CouldNotMeasure(f"expected one *_synclock table, found {found}")
        cursor.execute(LOCK_LOG_SQL.format(table=found[0]))
    return found[0]


def lock_holds(rows) -> list[tuple[int, str, object, object]]:
    """(organization, holder, acquired, released or None) from the log's rows in order."""
    holds, open_ = [], {}
    for organization_id, holder, event, at in rows:
        if event == "acquire":
            open_[(organization_id, holder)] = at
        else:
            started = open_.pop((organization_id, holder), None)
            if started is not None:
                holds.append((organization_id, holder, started, at))
    holds.extend((org, holder, at, None) for (org, holder), at in open_.items())
    return holds


def overlapping_pairs(intervals) -> int:
    """Pairs of (organization, start, end) intervals of one organization that overlap — all
    pairs, not only consecutive ones. An open end (None) lasts for ever."""
    by_org: dict = {}
    for organization_id, start, end in intervals:
        by_org.setdefault(organization_id, []).append((start, end))
    count = 0
    for spans in by_org.values():
        for (s1, e1), (s2, e2) in itertools.combinations(spans, 2):
            if (e1 is None or s2 < e1) and (e2 is None or s1 < e2):
                count += 1
    return count


def overlaps(runs) -> int:
    """Overlapping working intervals of one organization's runs (skipped runs never worked)."""
    return overlapping_pairs(
        (r.organization_id, r.started_at, r.finished_at)
        for r in runs
        if r.started_at and r.status != "skipped"
    )


def runs_outside_hold(runs, holds) -> int:
    """Successful runs that did not start inside a hold of the lock by that very run, or did
    not finish inside one (a resumed run has one hold per attempt)."""
    by_run: dict[int, list] = {}
    for organization_id, holder, start, end in holds:
        if holder.startswith("run-"):
            run_id = int(holder[4:].split("@", 1)[0])
            by_run.setdefault(run_id, []).append((organization_id, start, end))
    outside = 0
    for run in runs:
        if run.status != "succeeded" or not run.started_at or not run.finished_at:
            continue
        own = [(s, e) for org, s, e in by_run.get(run.pk, []) if org == run.organization_id]
        started_inside = any(
            s <= run.started_at and (e is None or run.started_at <= e) for s, e in own
        )
        finished_inside = any(
            s <= run.finished_at and (e is None or run.finished_at <= e) for s, e in own
        )
        outside += not (started_inside and finished_inside)
    return outside


def gaps(finishes: list, *, window_start, window_end) -> list[float]:
    """Seconds between successive successful syncs over the window; the last one before the
    window starts the count and the window's end closes it."""
    before = [t for t in finishes if t <= window_start]
    inside = sorted(t for t in finishes if window_start < t <= window_end)
    points = ([max(before)] if before else [window_start]) + inside + [window_end]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(points)]


def _wait(run_filter, *, timeout: float) -> None:
    from integrations.models import SyncRun

    deadline = time.monotonic() + timeout
    while SyncRun.objects.filter(run_filter, status__in=UNFINISHED).exists():
        if time.monotonic() > deadline:
            left = SyncRun.objects.filter(run_filter, status__in=UNFINISHED).count()
            raise CouldNotMeasure(f"{left} runs still unfinished after {timeout:.0f}s")
        time.sleep(0.5)


def run(ctx) -> dict:
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from integrations.models import SyncRun

    env, scale = ctx.env, ctx.scale[KEY]
    ctx.world(KEY)
    limits = {k: scale[k] for k in ("latency_ms", "qpm", "concurrent_limit")}
    seed_started = time.perf_counter()
    large = scale["large"]
    domains = [
        domain_seed(
            "large.many.bench.example",
            users=large["users"],
            groups=large["groups"],
            members_per_group=large["members_per_group"],
            env=env,
            **limits,
        )
    ]
    domains += [
        domain_seed(
            f"org{index:03d}.many.bench.example",
            users=scale["users"],
            groups=scale["groups"],
            members_per_group=min(scale["members_per_group"], scale["users"]),
            **limits,
        )
        for index in range(scale["organizations"])
    ]
    seed_seconds = time.perf_counter() - seed_started
    lock_table = lock_log_install()
    env.workers_start(scale["workers"])
    interval = scale["interval_minutes"]

    connect_started = time.perf_counter()
    organizations = []
    for index, domain in enumerate(domains):
        slug = "many-large" if index == 0 else f"many-{index:03d}"
        organization = hearth.organization_connect(env, domain.name, slug=slug, keep_first_run=True)
        hearth.settings_update(organization, sync_interval_minutes=interval)
        organizations.append(organization)
    ours = Q(organization__in=organizations)
    _wait(ours, timeout=4 * 3600)
    first_seconds = time.perf_counter() - connect_started
    large_org = organizations[0]

    observe_seconds = scale["observe_intervals"] * interval * 60
    env.sandbox_log.mark()
    window_start = timezone.now()
    env.beat_start()
    time.sleep(observe_seconds)
    window_end = timezone.now()
    beat = [p for p in env.processes if p.log_path.name == "beat.log"]
    for process in beat:
        env.stop(process)
    _wait(ours & Q(status="running"), timeout=3600)
    sandbox_statuses = dict(env.sandbox_log.since_mark())

    runs = list(SyncRun.objects.filter(ours))
    with connection.cursor() as cursor:
        cursor.execute("SELECT organization_id, holder, event, at FROM bench_lock_log ORDER BY id")
        holds = lock_holds(cursor.fetchall())
    statuses: dict[str, int] = {}
    for run_ in runs:
        statuses[run_.status] = statuses.get(run_.status, 0) + 1
    finishes: dict[int, list] = {o.pk: [] for o in organizations}
    for run_ in runs:
        if run_.status == "succeeded" and run_.finished_at:
            finishes[run_.organization_id].append(run_.finished_at)
    org_gaps = {
        pk: gaps(times, window_start=window_start, window_end=window_end)
        for pk, times in finishes.items()
    }
    max_gap = {pk: max(g) for pk, g in org_gaps.items()}
    # the schedule's side: time between successive requests of an organization's runs
    requested: dict[int, list] = {o.pk: [] for o in organizations}
    for run_ in runs:
        if run_.status != "skipped":
            requested[run_.organization_id].append(run_.created_at)
    request_gaps = [
        (b - a).total_seconds()
        for times in requested.values()
        for a, b in itertools.pairwise(sorted(times))
        if b > window_start
    ]
    allowed = interval * 60 + BEAT_PERIOD_SECONDS
    in_window = [r for r in runs if r.created_at >= window_start]
    waits = sorted(
        (r.started_at - r.created_at).total_seconds()
        for r in in_window
        if r.started_at and r.status != "skipped"
    )
    durations_large = [
        round((r.finished_at - r.started_at).total_seconds(), 1)
        for r in runs
        if r.organization_id == large_org.pk
        and r.finished_at
        and r.started_at
        and r.status != "skipped"
    ]
    worst = max(max_gap.values())
    late = sum(1 for g in max_gap.values() if g > allowed)
    run_overlaps = overlaps(runs)
    hold_overlaps = overlapping_pairs((org, start, end) for org, _, start, end in holds)
    outside = runs_outside_hold(runs, holds)
    figures = {
        "organizations": len(organizations),
        "users_small": scale["users"],
        "users_large": large["users"],
        "workers": scale["workers"],
        "conditions": limits,
        "interval_minutes": interval,
        "observed_seconds": round((window_end - window_start).total_seconds(), 1),
        "seed_seconds": round(seed_seconds, 1),
        "first_syncs_seconds": round(first_seconds, 1),
        "runs_in_window": len(in_window),
        "runs_by_status": statuses,
        "failed_runs": statuses.get("failed", 0),
        "max_gap_seconds": round(worst, 1),
        "max_gap_seconds_large": round(max_gap[large_org.pk], 1),
        "median_max_gap_seconds_small": round(
            statistics.median(g for pk, g in max_gap.items() if pk != large_org.pk), 1
        ),
        "organizations_late": late,
        "allowed_gap_seconds": allowed,
        **method.comparison("max_gap_to_interval", [worst / allowed], method.Target(1.0)),
        "request_gap_seconds": {
            "median": round(statistics.median(request_gaps), 1) if request_gaps else None,
            "max": round(max(request_gaps), 1) if request_gaps else None,
        },
        "queue_wait_seconds": {
            "p50": round(statistics.median(waits), 1) if waits else None,
            "max": round(max(waits), 1) if waits else None,
        },
        "large_run_seconds": durations_large,
        "lock_table": lock_table,
        "lock_log_holds": len(holds),
        "overlapping_runs": run_overlaps,
        **method.check("overlapping_runs", run_overlaps == 0),
        "overlapping_lock_holds": hold_overlaps,
        **method.check("overlapping_lock_holds", hold_overlaps == 0),
        "runs_outside_their_hold": outside,
        **method.check("runs_outside_their_hold", outside == 0),
        "sandbox_answers_by_status": sandbox_statuses,
    }
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        (
            "organizations",
            f"1 x {f['users_large']:,} + {f['organizations'] - 1} x {f['users_small']:,} users",
            f"{f['workers']} workers, interval {f['interval_minutes']} min",
        ),
        ("first syncs of all (via finalize)", f"{f['first_syncs_seconds']:.0f} s", ""),
        (
            "observed with beat",
            f"{f['observed_seconds']:.0f} s, {f['runs_in_window']} runs",
            ", ".join(f"{k} {v}" for k, v in sorted(f["runs_by_status"].items())),
        ),
        (
            "longest gap between syncs of one org",
            f"{f['max_gap_seconds']:.0f} s (large org {f['max_gap_seconds_large']:.0f} s)",
            method.target_text(f, "max_gap_to_interval", label=f"≤ {f['allowed_gap_seconds']} s"),
        ),
        ("organizations late", f"{f['organizations_late']}", ""),
        (
            "between two requests of a run, median / max",
            f"{f['request_gap_seconds']['median']} s / {f['request_gap_seconds']['max']} s",
            f"interval {f['interval_minutes'] * 60} s",
        ),
        (
            "queue wait p50 / max",
            f"{f['queue_wait_seconds']['p50']} s / {f['queue_wait_seconds']['max']} s",
            "",
        ),
        (
            "overlapping runs (all pairs)",
            f"{f['overlapping_runs']}",
            method.target_text(f, "overlapping_runs", label="0"),
        ),
        (
            "overlapping lock holds (lock log)",
            f"{f['overlapping_lock_holds']} of {f['lock_log_holds']} holds",
            method.target_text(f, "overlapping_lock_holds", label="0"),
        ),
        (
            "runs outside their lock hold",
            f"{f['runs_outside_their_hold']}",
            method.target_text(f, "runs_outside_their_hold", label="0"),
        ),
    ]
