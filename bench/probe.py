"""`python -m bench.probe OUT.json COMMAND [ARGS...]`: run one management command, counted.

COMMAND is a management command name, or `module:function` for bench code (the naive syncs),
called with the remaining arguments and expected to return a JSON-able dict.

The syncing process of the benchmark is this process. It sets Django up and counts, without
changing what the command does:
- every SQL statement by kind: a `connection.execute_wrapper` on every database connection it
  opens (threads included), and COPY, which psycopg runs outside Django's cursor (the wrapper
  never sees it), by wrapping psycopg's `Cursor.copy`;
- every Google API call by outcome ("200", "403 userRateLimitExceeded", "timeout", ...): a wrap
  of google-api-python-client's `HttpRequest.execute`, the one call every request of Hearth's
  client goes through (token requests excluded);
- the command's own wall time and CPU time (all threads: `time.process_time`);
- its peak resident memory: the kernel's high-water mark of this process (`VmHWM` in
  /proc/self/status), read at the end — the whole process, threads included, not a sample. Not
  `ru_maxrss` from wait4: Linux carries it over from the parent across fork and exec.
Before it exits it asks PostgreSQL to flush its connections' table counters
(`pg_stat_force_next_flush()`), so the harness reads every row this process wrote.
With BENCH_PROFILE_MEMORY=1 (`python -m bench --profile`) it also runs tracemalloc and reports
the lines holding the most memory when the traced memory peaked (bench/profile.py).
"""

import importlib
import io
import json
import os
import sys
import threading
import time
from collections import Counter
from contextlib import redirect_stdout


class StatementCounter:
    def __init__(self):
        self.kinds = Counter()
        self.lock = threading.Lock()

    def count(self, kind: str) -> None:
        with self.lock:
            self.kinds[kind] += 1

    def __call__(self, execute, sql, params, many, context):
        self.count(sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?")
        return execute(sql, params, many, context)


class CallCounter:
    """Google API calls by outcome, as the client saw them."""

    def __init__(self):
        self.outcomes = Counter()
        self.lock = threading.Lock()

    def add(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1


def _outcome(exc: BaseException) -> str:
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        reason = ""
        details = getattr(exc, "error_details", None)
        if isinstance(details, list) and details and isinstance(details[0], dict):
            reason = details[0].get("reason", "")
        return f"{exc.status_code} {reason}".strip()
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return "timeout"
    return type(exc).__name__


def instrument_google(calls: CallCounter) -> None:
    from googleapiclient import http

    original = http.HttpRequest.execute

    def execute(self, *args, **kwargs):
        try:
            result = original(self, *args, **kwargs)
        except Exception as exc:
            calls.add(_outcome(exc))
            raise
        calls.add("200")
        return result

    http.HttpRequest.execute = execute


def instrument_copy(counter: StatementCounter) -> None:
    import psycopg

    original = psycopg.Cursor.copy

    def copy(self, statement, *args, **kwargs):
        counter.count("COPY")
        return original(self, statement, *args, **kwargs)

    psycopg.Cursor.copy = copy


def peak_rss_kb() -> int | None:
    """This process's peak resident memory in kB since its exec (None where /proc is absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def stats_flush() -> None:
    """Ask each open PostgreSQL connection to report its table counters now (PostgreSQL 15+),
    then close it; a backend also reports them as it exits."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        raw = connection.connection
        if raw is None or connection.vendor != "postgresql":
            continue
        try:
            raw.execute("SELECT pg_stat_force_next_flush()")
            raw.commit()
        except Exception:  # noqa: BLE001 — an older server, a broken connection: exit flushes
            pass
    connections.close_all()


def main(argv: list[str]) -> int:
    out_path, command, *args = argv
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db.backends.signals import connection_created

    counter = StatementCounter()
    calls = CallCounter()
    instrument_google(calls)
    instrument_copy(counter)

    def instrument(sender, connection, **kwargs):
        # the signal fires again on reconnects of the same wrapper: count each statement once
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(instrument, weak=False)
    from django.db import connections

    for alias in connections:  # a connection opened during setup (none usually) counts too
        instrument(None, connections[alias])

    memory = None
    if os.environ.get("BENCH_PROFILE_MEMORY") == "1":
        from bench.profile import PeakMemory

        memory = PeakMemory()
        memory.start()
    buffer = io.StringIO()
    started = time.perf_counter()
    cpu_started = time.process_time()
    exit_code = 0
    error = ""
    try:
        with redirect_stdout(buffer):
            if ":" in command:  # bench code, e.g. bench.naive:main — returns a dict
                module_name, function_name = command.split(":")
                function = getattr(importlib.import_module(module_name), function_name)
                buffer.write(json.dumps(function(args)) + "\n")
            else:
                call_command(command, *args, stdout=buffer)
    except SystemExit as exc:  # sync_directory exits 1/2/3 for failed/held/skipped
        exit_code = exc.code if isinstance(exc.code, int) else 1
    except CommandError as exc:
        exit_code, error = exc.returncode, str(exc)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = peak_rss_kb()
    memory_profile = memory.stop() if memory else None
    stats_flush()
    with open(out_path, "w") as fh:
        json.dump(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "exit_code": exit_code,
                "error": error,
                "stdout": buffer.getvalue(),
                "statements": dict(counter.kinds),
                "google_calls": dict(calls.outcomes),
                "peak_rss_kb": peak,
                "memory_profile": memory_profile,
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
