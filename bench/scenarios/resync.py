"""Scenario 2 — re-sync with nothing changed: wall time, ratio to fetch-only, rows written.

Flow: on scenario 1's organization (already synced; the sandbox unchanged), run
`sync_directory --json` again in a measured process, then a fetch-only pass right after it. Rows
written are PostgreSQL's own per-table counters (pg_stat_user_tables: inserted + updated +
deleted) for the people, group and membership tables, read before and after the run (after the
syncing process exited, so its counters are flushed); the run's own records (SyncRun, SyncChange,
audit) are counted apart. Target: ratio ≤ 1.05 and 0 rows written.
"""

from .. import hearth
from ..env import CouldNotMeasure
from ..measure import rows_written
from ..report import verdict

KEY = "resync"
TITLE = "2. Re-sync, nothing changed"
TARGET_RATIO = 1.05
RECORD_TABLES = [
    "integrations_syncrun",
    "integrations_syncchange",
    "audit_auditevent",
    "integrations_synclock",
]


def run(ctx) -> dict:
    env = ctx.env
    shared = ctx.shared.get("full_sync")
    if shared is None:
        raise CouldNotMeasure("needs scenario 1 (full_sync) in the same run")
    quota = hearth.UNLIMITED
    before = rows_written(hearth.PEOPLE_TABLES + RECORD_TABLES)
    calls_before = env.sandbox_requests()
    synced = hearth.sync(env, "full-bench", quota=quota)
    calls = env.sandbox_requests() - calls_before
    after = rows_written(hearth.PEOPLE_TABLES + RECORD_TABLES)
    fetch = hearth.fetch_only(env, "full-bench", quota=quota)
    written = {table: after[table] - before[table] for table in after}
    floor = fetch.command_seconds
    return {
        "sync_seconds": round(synced.command_seconds, 2),
        "sync_summary": synced.json(),
        "api_calls": calls,
        "fetch_only_seconds": round(floor, 2),
        "ratio_to_fetch_only": round(synced.command_seconds / floor, 3),
        "target_ratio_to_fetch_only": TARGET_RATIO,
        "rows_written": sum(written[t] for t in hearth.PEOPLE_TABLES),
        "rows_written_by_table": {t: written[t] for t in hearth.PEOPLE_TABLES},
        "record_rows_written_by_table": {t: written[t] for t in RECORD_TABLES},
        "db_statements": synced.statements_total,
        "db_statements_by_kind": synced.statements,
        "peak_rss_mb": round(synced.max_rss_mb, 1),
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        ("re-sync", f"{f['sync_seconds']:.1f} s, {f['api_calls']:,} calls", ""),
        ("fetch-only pass", f"{f['fetch_only_seconds']:.1f} s", ""),
        (
            "ratio re-sync / fetch-only",
            f"{f['ratio_to_fetch_only']:.2f}",
            verdict(f["ratio_to_fetch_only"] <= TARGET_RATIO, "≤ 1.05"),
        ),
        (
            "people/group/membership rows written",
            f"{f['rows_written']:,}",
            verdict(f["rows_written"] == 0, "0"),
        ),
        ("DB statements", f"{f['db_statements']:,}", ""),
    ]
