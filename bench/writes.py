"""Rows written, by table: PostgreSQL's own counters of every table, nothing left out.

`pg_stat_user_tables` counts, per table, the rows inserted, updated and deleted by every
statement of every backend — COPY's rows among the inserts, HOT updates among the updates. A
backend reports its counts when a transaction ends and it goes idle (at most once a second) and
when it exits; the probe forces a report before it ends (bench/probe.py) and the harness reads
only after every backend of the pass has gone (`backends_wait_gone`), and forces its own
connection's report before each reading, so nothing is read before it is counted.

Tables are grouped when reported:
- *data*: Hearth's own state (people, groups, memberships, seats, sessions, ...): what "a re-sync
  with nothing changed writes zero rows" is about;
- *records*: what every run writes about itself (the run, its changes, the lock, the audit log,
  and the integration's "last synced at");
- *google*: the sandbox's tables (Google's side: the access tokens it issues);
- *harness*: the benchmark's own tables (`bench_*`).
"""

import time

from .env import CouldNotMeasure

# Table names end like this whatever app holds the model (a refactor may move them).
RECORD_SUFFIXES = ("_syncrun", "_syncchange", "_synclock", "_auditevent", "_integration")
HARNESS_PREFIX = "bench_"
_google_tables: set[str] = set()


def google_tables() -> set[str]:
    """The sandbox's tables (its app's models), whatever their names."""
    if not _google_tables:
        from django.apps import apps

        _google_tables.update(
            model._meta.db_table for model in apps.get_app_config("googlesandbox").get_models()
        )
    return _google_tables


def table_counters() -> dict[str, tuple[int, int, int]]:
    """(inserted, updated, deleted) so far for every table of the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        # this connection's own pending counts first; then a fresh view of the shared ones
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
            "WHERE schemaname = 'public'"
        )
        return {name: (int(i), int(u), int(d)) for name, i, u, d in cursor.fetchall()}


def difference(before: dict, after: dict) -> dict[str, dict[str, int]]:
    """Per table with any change: rows inserted, updated and deleted between two readings."""
    changed = {}
    for table, (ins, upd, dele) in sorted(after.items()):
        b_ins, b_upd, b_del = before.get(table, (0, 0, 0))
        delta = {"inserted": ins - b_ins, "updated": upd - b_upd, "deleted": dele - b_del}
        if any(delta.values()):
            changed[table] = delta
    return changed


def kind_of(table: str) -> str:
    if table in google_tables():
        return "google"
    if table.startswith(HARNESS_PREFIX):
        return "harness"
    if table.endswith(RECORD_SUFFIXES):
        return "records"
    return "data"


def rows(delta: dict[str, int]) -> int:
    return delta["inserted"] + delta["updated"] + delta["deleted"]


def grouped(written: dict) -> dict:
    """{"data": total, "data_by_table": {...}, "records_by_table": {...}, ...} for results."""
    out = {"data": 0, "data_by_table": {}, "records_by_table": {}, "google_rows": 0}
    for table, delta in written.items():
        kind = kind_of(table)
        if kind == "data":
            out["data"] += rows(delta)
            out["data_by_table"][table] = delta
        elif kind == "records":
            out["records_by_table"][table] = delta
        elif kind == "google":
            out["google_rows"] += rows(delta)
    return out


def data_rows(written: dict) -> int:
    return sum(rows(delta) for table, delta in written.items() if kind_of(table) == "data")


def backends_wait_gone(app_name: str, *, timeout: float = 60) -> None:
    """Wait until no backend of `app_name` is left: each reported its counters as it exited."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
            )
            if cursor.fetchone()[0] == 0:
                return
        if time.monotonic() > deadline:
            raise CouldNotMeasure(f"the backends of {app_name} did not exit within {timeout}s")
        time.sleep(0.05)
