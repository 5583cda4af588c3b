"""Scenario 1 — Hearth's first full sync at scale against the floor: fetching the same pages.

Flow:
1. The main world (bench/worlds.py): the directory seeded in the sandbox (no latency, no quota:
   this scenario measures the machine, and Hearth's client-side quota gate is lifted to match),
   an organization connected to it, nothing synced yet. The whole database is snapshotted.
2. Interleaved pairs A B A B …: a fetch-only pass (`sync_directory --fetch-only`: the same API
   calls with the same client and concurrency, no apply), then Hearth's first full sync
   (`sync_directory`), each in its own measured process. Before *each* pass the snapshot is
   restored, the sandbox restarted and warmed up with one call of each kind, and a CHECKPOINT
   taken: both passes of a pair start from the very same state (a first sync can only be a
   first sync once; restoring before the fetch-only pass too keeps the two sides alike). Pairs
   are added while the verdict is unresolved (bench/method.py).
3. Per pass: wall time of the command, its CPU seconds, the sandbox's CPU seconds, peak memory,
   Google calls by outcome (client side) and requests (sandbox side), statements by kind (COPY
   included) and rows written to every table.

Target: median ratio first sync / fetch-only ≤ 1.25; peak memory ≤ 300 MB.
"""

import statistics

from .. import hearth, method, worlds
from ..measure import ProcessRun

KEY = "full_sync"
TITLE = "1. First full sync at scale"
TARGET_RATIO = method.Target(1.25)
TARGET_RSS_MB = 300.0


def passes_figures(runs: list[ProcessRun]) -> dict:
    """Medians of a side's passes, and every pass."""
    return {
        "seconds_median": round(statistics.median(r.command_seconds for r in runs), 2),
        "cpu_seconds_median": round(statistics.median(r.cpu_seconds for r in runs), 2),
        "sandbox_cpu_seconds_median": round(
            statistics.median(r.sandbox_cpu_seconds for r in runs), 2
        ),
        "peak_rss_mb_max": round(max(r.max_rss_mb for r in runs), 1),
        "passes": [r.summary() for r in runs],
    }


def run(ctx) -> dict:
    env = ctx.env
    world = worlds.main_world(ctx, synced=False)
    slug = worlds.MAIN_SLUG
    env.snapshot_take()
    fetches: list[ProcessRun] = []
    syncs: list[ProcessRun] = []

    def pair() -> float:
        env.snapshot_restore(warm=world.domain.name)
        fetch = hearth.timed(env, lambda: hearth.fetch_only(env, slug, quota=hearth.UNLIMITED))
        env.snapshot_restore(warm=world.domain.name)
        synced = hearth.timed(env, lambda: hearth.sync(env, slug, quota=hearth.UNLIMITED))
        fetches.append(fetch)
        syncs.append(synced)
        return synced.command_seconds / fetch.command_seconds

    least, most = ctx.pairs(KEY)
    ratios = method.sample(pair, target=TARGET_RATIO, least=least, most=most)
    world.synced = True
    last = syncs[-1]
    peaks = [r.max_rss_mb for r in syncs]
    figures = {
        "users": world.domain.users,
        "groups": world.domain.groups,
        "memberships": world.domain.members,
        "seed_seconds": world.domain.seed_seconds,
        **method.comparison("first_sync_to_fetch_only", ratios, TARGET_RATIO),
        "first_sync": passes_figures(syncs),
        "fetch_only": passes_figures(fetches),
        # the floor is only a floor if it made the very calls the sync made (the sync also
        # confirms people the listings missed with users.get: none in a steady directory)
        "api_calls_first_sync": last.api_calls_ok,
        "api_calls_fetch_only": fetches[-1].api_calls_ok,
        "fetch_only_same_calls": all(
            f.api_calls_ok == s.api_calls_ok for f, s in zip(fetches, syncs, strict=True)
        ),
        **method.comparison(
            "first_sync_peak_rss_to_300mb", [p / TARGET_RSS_MB for p in peaks], method.Target(1.0)
        ),
        "peak_rss_mb": round(max(peaks), 1),
        "peak_rss_mb_fetch_only": round(max(r.max_rss_mb for r in fetches), 1),
        "rows_after_sync": hearth.people_count(world.organization),
        "rows_written_first_sync": last.summary()["rows_written"],
        "db_statements": last.statements_total,
        "db_statements_by_kind": last.statements,
        "sync_summary": last.json(),
    }
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    sync, fetch = f["first_sync"], f["fetch_only"]
    return [
        (
            "directory",
            f"{f['users']:,} users / {f['groups']:,} groups / {f['memberships']:,} members",
            "",
        ),
        method.timed_pass_row("Hearth first full sync (median)", sync, f["api_calls_first_sync"]),
        method.timed_pass_row("fetch-only pass (median)", fetch, f["api_calls_fetch_only"]),
        (
            "ratio first sync / fetch-only",
            method.describe(f, "first_sync_to_fetch_only"),
            method.target_text(f, "first_sync_to_fetch_only"),
        ),
        (
            "peak memory, first sync",
            f"{f['peak_rss_mb']:.0f} MB",
            method.target_text(f, "first_sync_peak_rss_to_300mb", label="≤ 300 MB"),
        ),
        ("peak memory, fetch-only", f"{f['peak_rss_mb_fetch_only']:.0f} MB", ""),
        (
            "rows written (data tables)",
            f"{f['rows_written_first_sync']['data']:,}",
            "",
        ),
        ("DB statements (COPY counted)", f"{f['db_statements']:,}", ""),
    ]
