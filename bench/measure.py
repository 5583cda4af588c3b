"""Measuring one pass: a counted, memory-measured subprocess, the rows it wrote, the sandbox's
CPU and requests meanwhile; percentiles.

`run_probed` runs `python -m bench.probe` (bench/probe.py) under an application name of its own
(PGAPPNAME), and around it reads PostgreSQL's per-table counters of every table
(bench/writes.py): before the pass, and after it once every backend of the probe has gone —
a backend reports its counters as it exits, so the figure holds every row the pass wrote,
COPY included (PostgreSQL counts COPY's rows as inserts).
"""

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

from . import profile, writes
from .env import ROOT, BenchEnv, CouldNotMeasure

_probe_numbers = itertools.count(1)


@dataclass
class ProcessRun:
    seconds: float  # wall time seen by the parent, process start to exit (includes Django setup)
    command_seconds: float  # wall time of the command itself, inside the process
    cpu_seconds: float  # CPU time of the command (user + system, every thread of the process)
    max_rss_mb: float
    exit_code: int
    stdout: str
    statements: dict = field(default_factory=dict)
    google_calls: dict = field(default_factory=dict)  # outcome -> count, client side
    sandbox_cpu_seconds: float = 0.0
    sandbox_statuses: dict = field(default_factory=dict)  # HTTP status -> count, server side
    written: dict = field(default_factory=dict)  # table -> {inserted, updated, deleted}
    profile: dict | None = None  # `--profile` runs only (bench/profile.py)

    @property
    def statements_total(self) -> int:
        return sum(self.statements.values())

    @property
    def api_calls(self) -> int:
        """Calls the syncing process made (client side, retries and refusals included)."""
        return sum(self.google_calls.values())

    @property
    def api_calls_ok(self) -> int:
        return self.google_calls.get("200", 0)

    @property
    def sandbox_requests(self) -> int:
        return sum(self.sandbox_statuses.values())

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

    def summary(self) -> dict:
        """The figures of one pass, for results.json."""
        return {
            "seconds": round(self.command_seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "sandbox_cpu_seconds": round(self.sandbox_cpu_seconds, 2),
            "peak_rss_mb": round(self.max_rss_mb, 1),
            "api_calls": self.api_calls,
            "google_calls": dict(sorted(self.google_calls.items())),
            "sandbox_requests": self.sandbox_requests,
            "statements": self.statements_total,
            "rows_written": writes.grouped(self.written),
            **({"profile": self.profile} if self.profile else {}),
        }


def run_probed(
    env: BenchEnv,
    command: str,
    *args: str,
    timeout: float = 4 * 3600,
    extra_env: dict | None = None,
) -> ProcessRun:
    """Run COMMAND ARGS in its own process via bench.probe; measure it from outside too."""
    env.sandbox_check()
    app_name = f"bench-probe-{os.getpid()}-{next(_probe_numbers)}"
    counters_before = writes.table_counters()
    sandbox_cpu_before = env.sandbox_cpu_seconds()
    env.sandbox_log.mark()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    log_name = command.replace(":", "-").replace(".", "-")
    log = open(env.logs / f"probe-{log_name}.log", "ab")  # noqa: SIM115
    argv = [sys.executable, "-m", "bench.probe", out_path, command, *args]
    profile_env = {}
    if env.profile:
        spy_out = env.logs / f"profile-{app_name}.txt"
        argv = profile.wrap(argv, spy_out)
        profile_env = {"BENCH_PROFILE_MEMORY": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**env.environ, **(extra_env or {}), **profile_env, "PGAPPNAME": app_name},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired as exc:
        process.kill()
        process.wait()
        raise CouldNotMeasure(f"{command} did not finish within {timeout:.0f}s") from exc
    finally:
        log.close()
    seconds = time.perf_counter() - started
    env.sandbox_check()
    sandbox_cpu = env.sandbox_cpu_seconds() - sandbox_cpu_before
    statuses = dict(env.sandbox_log.since_mark_settled())
    writes.backends_wait_gone(app_name)
    written = writes.difference(counters_before, writes.table_counters())
    try:
        with open(out_path) as fh:
            report = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CouldNotMeasure(
            f"{command} {' '.join(args)} crashed (exit {process.returncode}); "
            f"see {env.logs / f'probe-{log_name}.log'}"
        ) from exc
    finally:
        os.unlink(out_path)
    if report["error"]:
        raise CouldNotMeasure(f"{command} {' '.join(args)}: {report['error']}")
    return ProcessRun(
        seconds=seconds,
        command_seconds=report["seconds"],
        cpu_seconds=report.get("cpu_seconds", 0.0),
        max_rss_mb=(report.get("peak_rss_kb") or 0) / 1024,
        exit_code=report["exit_code"],
        stdout=report["stdout"],
        statements=report["statements"],
        google_calls=report.get("google_calls", {}),
        sandbox_cpu_seconds=sandbox_cpu,
        sandbox_statuses=statuses,
        written=written,
        profile=(
            {**profile.summarize(spy_out), "memory": report.get("memory_profile")}
            if env.profile
            else None
        ),
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
    if not ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def counts_merge(*counters: dict) -> dict:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return dict(total)


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False
