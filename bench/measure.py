"""Small measuring tools: a counted, memory-measured subprocess; percentiles; table rows counts."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .env import ROOT, BenchEnv, CouldNotMeasure


@dataclass
class ProcessRun:
    seconds: float  # wall time seen by the parent, process start to exit (includes Django setup)
    command_seconds: float  # wall time of the command itself, inside the process
    max_rss_mb: float
    exit_code: int
    stdout: str
    statements: dict = field(default_factory=dict)

    @property
    def statements_total(self) -> int:
        return sum(self.statements.values())

    def json(self) -> dict:
        """The command's `--json` output: the last line that parses as a JSON object."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    continue
        try:
            return json.loads(self.stdout)
        except ValueError:
            return {}


def run_probed(
    env: BenchEnv, command: str, *args: str, timeout: float = 7200, extra_env: dict | None = None
) -> ProcessRun:
    """Run `manage.py COMMAND ARGS` in its own process via bench.probe; reap it with wait4."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    log = open(env.logs / f"probe-{command}.log", "ab")  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.probe", out_path, command, *args],
        cwd=ROOT,
        env={**env.environ, **(extra_env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise CouldNotMeasure(f"{command} did not finish within {timeout:.0f}s")
            time.sleep(0.02)
    finally:
        log.close()
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    try:
        with open(out_path) as fh:
            report = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CouldNotMeasure(
            f"{command} {' '.join(args)} crashed (exit {process.returncode}); "
            f"see {env.logs / f'probe-{command}.log'}"
        ) from exc
    finally:
        os.unlink(out_path)
    if report["error"]:
        raise CouldNotMeasure(f"{command} {' '.join(args)}: {report['error']}")
    return ProcessRun(
        seconds=seconds,
        command_seconds=report["seconds"],
        # the probe's own high-water mark (see bench/probe.py); ru_maxrss includes the parent's
        max_rss_mb=(report.get("peak_rss_kb") or usage.ru_maxrss) / 1024,
        exit_code=report["exit_code"],
        stdout=report["stdout"],
        statements=report["statements"],
    )


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def rows_written(tables: list[str]) -> dict[str, int]:
    """Rows inserted+updated+deleted so far per table (PostgreSQL's cumulative statistics).

    Backends report their counters when a transaction ends and they go idle or exit; measure
    only after the writing process has exited.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s)",
            [tables],
        )
        found = dict(cursor.fetchall())
    return {table: int(found.get(table, 0)) for table in tables}


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False
