"""`python -m bench.probe OUT.json COMMAND [ARGS...]`: run one management command, counted.

COMMAND is a management command name, or `module:function` for bench code (the naive sync),
called with the remaining arguments and expected to return a JSON-able dict.

The syncing process of the benchmark is this process: it sets Django up, installs a
`connection.execute_wrapper` on every database connection it opens (threads included) that
counts each SQL statement by kind, runs the command exactly as `manage.py` would, and writes the
counts, the command's own output, its wall time and its peak resident memory to OUT.json.

Peak memory is the kernel's high-water mark of this process's address space (`VmHWM` in
/proc/self/status), read at the end: the whole process, threads included, not a sample. Not
`ru_maxrss` from wait4: Linux carries it over from the parent across the fork and exec, so
every probe started by a harness that had grown to 511 MB (it seeds 100,000 users in-process)
reported 511 MB.
"""

import importlib
import io
import json
import sys
import threading
import time
from collections import Counter
from contextlib import redirect_stdout


class StatementCounter:
    def __init__(self):
        self.kinds = Counter()
        self.lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        with self.lock:
            self.kinds[kind] += 1
        return execute(sql, params, many, context)


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


def main(argv: list[str]) -> int:
    out_path, command, *args = argv
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db.backends.signals import connection_created

    counter = StatementCounter()

    def instrument(sender, connection, **kwargs):
        # the signal fires again on reconnects of the same wrapper: count each statement once
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(instrument, weak=False)
    from django.db import connections

    for alias in connections:  # a connection opened during setup (none usually) counts too
        instrument(None, connections[alias])

    buffer = io.StringIO()
    started = time.perf_counter()
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
    with open(out_path, "w") as fh:
        json.dump(
            {
                "seconds": seconds,
                "exit_code": exit_code,
                "error": error,
                "stdout": buffer.getvalue(),
                "statements": dict(counter.kinds),
                "peak_rss_kb": peak_rss_kb(),
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
