"""Scenario 2 — re-sync with nothing changed: time against fetch-only, and every row written.

Flow: in the main world after its first sync (scenario 1, or one unmeasured sync when run
alone), interleaved pairs A B A B …: a fetch-only pass, then a re-sync (`sync_directory`), each
in its own measured process after a CHECKPOINT. Nothing changes in the sandbox meanwhile (its
sign-in trickle is off), so every pair starts from the same state.

Rows written are checked on every re-sync, not only the first: PostgreSQL's counters of every
table (bench/writes.py), read after the syncing process's backends exited. Tables are grouped:
*data* (people, groups, memberships, seats, sessions, … — target 0) and the run's own *records*
(the run, its lock, its change and audit rows), reported apart.

Targets: median ratio re-sync / fetch-only ≤ 1.05; 0 data rows written by every re-sync; peak
memory ≤ 300 MB.
"""

from .. import hearth, method, worlds, writes
from ..measure import ProcessRun
from .full_sync import passes_figures

KEY = "resync"
TITLE = "2. Re-sync, nothing changed"
TARGET_RATIO = method.Target(1.05)
TARGET_RSS_MB = 300.0


def run(ctx) -> dict:
    env = ctx.env
    world = worlds.main_world(ctx, synced=True)
    slug = worlds.MAIN_SLUG
    fetches: list[ProcessRun] = []
    syncs: list[ProcessRun] = []

    def pair() -> float:
        fetch = hearth.timed(env, lambda: hearth.fetch_only(env, slug, quota=hearth.UNLIMITED))
        synced = hearth.timed(env, lambda: hearth.sync(env, slug, quota=hearth.UNLIMITED))
        fetches.append(fetch)
        syncs.append(synced)
        return synced.command_seconds / fetch.command_seconds

    least, most = ctx.pairs(KEY)
    ratios = method.sample(pair, target=TARGET_RATIO, least=least, most=most)
    data_rows = [writes.data_rows(r.written) for r in syncs]
    peaks = [r.max_rss_mb for r in syncs]
    return {
        "users": world.domain.users,
        **method.comparison("resync_to_fetch_only", ratios, TARGET_RATIO),
        "resync": passes_figures(syncs),
        "fetch_only": passes_figures(fetches),
        "api_calls_resync": syncs[-1].api_calls_ok,
        "api_calls_fetch_only": fetches[-1].api_calls_ok,
        # every re-sync: data rows written (target 0 each)
        "rows_written_each": data_rows,
        "rows_written": max(data_rows),
        **method.check("rows_written", all(n == 0 for n in data_rows)),
        "rows_written_by_table": [r.summary()["rows_written"] for r in syncs],
        **method.comparison(
            "resync_peak_rss_to_300mb", [p / TARGET_RSS_MB for p in peaks], method.Target(1.0)
        ),
        "peak_rss_mb": round(max(peaks), 1),
        "db_statements": syncs[-1].statements_total,
        "db_statements_by_kind": syncs[-1].statements,
        "sync_summary": syncs[-1].json(),
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    sync, fetch = f["resync"], f["fetch_only"]
    return [
        method.timed_pass_row("re-sync (median)", sync, f["api_calls_resync"]),
        method.timed_pass_row("fetch-only pass (median)", fetch, f["api_calls_fetch_only"]),
        (
            "ratio re-sync / fetch-only",
            method.describe(f, "resync_to_fetch_only"),
            method.target_text(f, "resync_to_fetch_only"),
        ),
        (
            "data rows written, each re-sync",
            ", ".join(f"{n:,}" for n in f["rows_written_each"]),
            method.target_text(f, "rows_written", label="0 every time"),
        ),
        (
            "peak memory, re-sync",
            f"{f['peak_rss_mb']:.0f} MB",
            method.target_text(f, "resync_peak_rss_to_300mb", label="≤ 300 MB"),
        ),
        ("DB statements", f"{f['db_statements']:,}", ""),
    ]
